"""Scenario 99: the prefecture console in a real browser (Debian's chromium,
headless, driven by python3-selenium through chromium-driver), against a
real relay with real nodes.

An operator logs in (the session cookie is HttpOnly, Secure,
SameSite=Strict and expires; a POST without the CSRF header is refused);
the map shows 都城市 never seen, then connected when its node starts
after the page is open; a report of 宮崎市 to 都城市 and 宮崎県 appears,
and its matrix cell for 都城市 turns 配送済, then 受理確認 (by whom),
without a reload; 宮崎県, which never connects, passes its (seconds-short)
deadline and appears under 期限超過 with its phone numbers; the operator
records a phone confirmation, which shows beside the cell, in its own
style, never as a 受理確認; logout. A wrong password is limited (429, as a
message), an exercise is marked 訓練 on every screen (report form,
訓練の結果 and its CSV), the loss of the live feed is shown and cleared,
and Japanese renders with the CJK fonts. Every test saves screenshots
(and the browser's console) into $KAIRAN_ARTIFACTS (tests/artifacts/).

Without chromium the tests skip locally and fail when CI is set.
"""
import base64
import re
import time

import consolehelp as ch
from consolehelp import browser  # noqa: F401 (the fixture)
from nodeharness import REPORT_1, Node

PW = "correct horse battery staple"


def console_relay(relays, deadline="6s", geometry=True):
    """relay-45 with a console that has the map's geometry, level-3
    deadlines of seconds (no [smtp]: overdue is only marked), and the
    operator tanaka."""
    r = relays(start=False)
    ch.with_sections(r, console=True,
                     geometry=ch.GEOMETRY if geometry else None)
    with open(r.conf, "a") as f:
        f.write(f"[escalation]\nlevel3 = {deadline}\n")
    r.start()
    ch.add_operator(r, "tanaka", PW)
    return r


def url(relay):
    return f"https://localhost:{ch.console_port(relay)}/"


def log_in(b, relay, name="tanaka", password=PW):
    b.driver.get(url(relay))
    b.wait_css("#login-form", "the login form")
    b.css("#login-name")[0].clear()
    b.css("#login-name")[0].send_keys(name)
    b.css("#login-password")[0].clear()
    b.css("#login-password")[0].send_keys(password)
    b.click("#login-submit")


def go(b, screen):
    """Follows the navigation's link (what an operator clicks)."""
    b.click(f'#nav a[data-screen="{screen}"]')
    b.wait_css(f"#screen-{screen}", f"the screen {screen}")


def select(b, selector, value):
    """Chooses value in the <select>, if its option is there yet."""
    from selenium.common.exceptions import (
        NoSuchElementException, StaleElementReferenceException)
    from selenium.webdriver.support.ui import Select
    try:
        Select(b.css(selector)[0]).select_by_value(value)
        return True
    except (NoSuchElementException, StaleElementReferenceException):
        return False


def cell(b, recipient, state, text=None):
    return b.wait_css(f'#matrix td[data-recipient="{recipient}"]'
                      f'[data-state="{state}"]',
                      f"the matrix cell of {recipient} {state}", text)


def test_an_operators_day(relays, pki, browser, tmp_path):
    b = browser
    relay = console_relay(relays)
    b.driver.get(url(relay))
    b.wait_css("#login-form", "the login form")
    # Japanese renders: a CJK heading has a width, and the CJK font is
    # there (a full-width glyph of Noto Sans CJK is exactly 1 em wide)
    h2 = b.wait_css("#login h2", text="ログイン")
    assert h2.size["width"] > 0 and h2.size["height"] > 0
    assert b.js('return document.fonts.check(\'12px "Noto Sans CJK JP"\')')
    width = b.js("const c = document.createElement('canvas').getContext('2d');"
                 "c.font = '20px \"Noto Sans CJK JP\"';"
                 "return c.measureText('県').width;")
    assert abs(width - 20) < 0.5, width
    family = b.js("return getComputedStyle(document.body).fontFamily")
    assert "Noto Sans CJK JP" in family, family
    b.shot("login")

    log_in(b, relay)
    b.wait_css("#operator-name", text="tanaka")
    # a marker that a reload would wipe: everything below is live
    b.js("window.kairanNoReload = 1")

    # the cookie: HttpOnly (the page's script cannot read it), Secure,
    # SameSite=Strict, expiring in [console] session_hours (12)
    cookies = {c["name"]: c for c in b.driver.get_cookies()}
    c = cookies["kairan_session"]
    assert c["httpOnly"] is True and c["secure"] is True, c
    assert c["sameSite"] == "Strict", c
    assert abs(c["expiry"] - (time.time() + 12 * 3600)) < 120, c
    assert "kairan_session" not in b.js("return document.cookie")

    # a POST of this very session without the CSRF header is refused
    r = b.fetch("POST", "/logout", {"Content-Type": "application/json"}, "{}")
    assert r["status"] == 403, r
    r = b.fetch("POST", "/api/confirm", {"Content-Type": "application/json"},
                '{"report": "' + "0" * 32 + '", "recipient": "450006",'
                ' "name": "x"}')
    assert r["status"] == 403, r
    assert b.fetch("GET", "/api/session")["status"] == 200

    # 管内: 都城市 (45202 -> 452025) never seen, then connected once its
    # node starts after the page is open
    b.wait_css("#map path[data-code='45202'][data-state='never']",
               "都城市 never seen on the map")
    assert len(b.css("#map path.muni")) >= 26  # 宮崎県's municipalities
    b.wait_css("#nodes tr[data-node='452025'][data-state='never']")
    b.shot("map-never")
    miyakonojo = Node(tmp_path, pki, "452025", {"r45": relay})
    sender = Node(tmp_path, pki, "452017", {"r45": relay})
    try:
        miyakonojo.start()
        sender.start()
        b.wait_css("#map path[data-code='45202'][data-state='connected']",
                   "都城市 connected on the map")
        # the colour is not the only cue: a tooltip and the table say it
        assert "都城市（452025）: 接続中" in b.js(
            "return document.querySelector(\"#map path[data-code='45202'] "
            "title\").textContent")
        b.wait_css("#nodes tr[data-node='452025'][data-state='connected']",
                   text="接続中")
        b.wait_css("#map path[data-code='45201'][data-state='connected']",
                   "宮崎市 connected on the map")
        b.shot("map-connected")

        # a report: its cell for 都城市 turns 配送済, then 受理確認
        go(b, "incidents")
        inc, mid = sender.send(REPORT_1, "452025,450006")
        b.click(f"tr.incident-row[data-incident='{inc}'] a",
                "the incident in the list")
        b.wait_css(f"#matrix[data-incident='{inc}']", "the matrix")
        b.wait_css("#matrix thead", text="第1報")
        cell(b, "452025", "delivered", "配送済")
        b.shot("matrix-delivered")
        miyakonojo.ack(mid, "都城市 情報政策課 田中")
        cell(b, "452025", "acknowledged", "受理確認（都城市 情報政策課 田中）")
        b.shot("matrix-acknowledged")

        # 宮崎県 never connects: past its deadline it is 期限超過, with
        # its point of contact's numbers (deploy/contacts-demo.csv)
        go(b, "overdue")
        item = (f"article.overdue-item[data-recipient='450006']"
                f"[data-report='{mid}']")
        for needle in ("宮崎県", "0985-00-0001", "0985-00-0091",
                       "0985-00-0051", "csirt@pref.miyazaki.example.jp",
                       "平日 8:30-17:15"):
            b.wait_css(item, f"宮崎県 overdue with {needle}", text=needle)
        b.shot("overdue")

        # the operator reached them by phone and records it (the form
        # outlives the refreshes a change event makes)
        form = "article.overdue-item[data-recipient='450006'] "
        b.wait_css(form + ".confirm-name").send_keys("山田（県 情報政策課）")
        b.wait_css(form + ".confirm-note").send_keys(
            "電話で受信を確認。受理確認は後ほど送るとのこと")
        b.click(form + ".confirm-submit")
        b.wait_css("article.overdue-item[data-recipient='450006'] "
                   ".phone-confirm", "the confirmation under 期限超過",
                   text="電話で確認: 山田（県 情報政策課）")
        b.wait_css("article.overdue-item[data-recipient='450006'] "
                   ".phone-confirm",
                   text="（運用者 tanaka・リレー relay-45 で記録）")

        # in the matrix it is the operator's note beside the state, in its
        # own style, never a 受理確認
        b.click(f"{item} a[href='#/incidents/{inc}']")
        b.wait_css("#matrix td[data-recipient='450006'] .phone-confirm",
                   "the confirmation in the matrix",
                   text="電話で確認: 山田（県 情報政策課）")
        td = b.js("const td = document.querySelector("
                  "\"#matrix td[data-recipient='450006']\");"
                  "const c = td.querySelector('.phone-confirm');"
                  "const s = getComputedStyle(c);"
                  "return [td.dataset.state, td.querySelector('.state')"
                  ".textContent, c.textContent, s.borderTopStyle,"
                  " s.fontStyle];")
        state, label, note, border, font = td
        assert state != "acknowledged" and "受理確認" not in label, td
        assert "運用者 tanaka" in note, td
        assert (border, font) == ("dashed", "italic"), td
        b.shot("matrix-phone-confirmation")
        assert b.js("return window.kairanNoReload") == 1

        # the map coloured by this incident's receipts: 都城市 acknowledged,
        # 宮崎市 (the sender) not a recipient; the legend says so
        go(b, "region")
        b.wait(lambda d: select(b, "#map-incident", inc),
               "the incident chosen for the map")
        b.wait_css("#map[data-mode='incident'] path[data-code='45202']"
                   "[data-state='acknowledged']", "都城市 acknowledged on the map")
        b.wait_css("#map path[data-code='45201'][data-state='none']")
        b.wait_css("#legend", text="受理確認")
        b.shot("map-incident")

        # logout: back to the login; the session is gone
        b.click("#logout")
        b.wait_css("#login-form", "the login form after logout")
        b.wait_css("#login-error", text="ログアウトしました")
        assert b.fetch("GET", "/api/session")["status"] == 401
        b.shot("logged-out")
        assert b.errors() == [], b.errors()
    finally:
        for n in (miyakonojo, sender):
            if n.alive():
                n.stop()


def test_wrong_password_is_limited(relays, browser):
    b = browser
    relay = console_relay(relays, geometry=False)  # the login alone
    for i in range(5):
        log_in(b, relay, password="wrong password")
        err = b.wait_css("#login-error[data-status='401']",
                         f"failed login {i + 1}")
        assert "運用者名またはパスワードが違います" in err.text
        # the next attempt must see a fresh message
        b.js("const e = document.getElementById('login-error');"
             "e.hidden = true; delete e.dataset.status;")
    log_in(b, relay, password="wrong password")
    err = b.wait_css("#login-error[data-status='429']", "the 429")
    assert "しばらくログインできません" in err.text
    assert "秒後に再度お試しください" in err.text
    # the right password from the same address is limited too
    b.js("delete document.getElementById('login-error').dataset.status")
    log_in(b, relay)
    b.wait_css("#login-error[data-status='429']", "the 429 again")
    assert b.css("#app")[0].is_displayed() is False
    b.shot("rate-limited")
    relay.wait_log(r'console login refused addr="\S+" '
                   r'reason="too many failed logins"')
    assert relay.log().count("console login failed name=") >= 5
    assert b.errors() == [], b.errors()


def test_exercise_is_marked_everywhere(relays, pki, browser, tmp_path):
    b = browser
    relay = console_relay(relays, deadline="1h")
    log_in(b, relay)
    b.wait_css("#operator-name", text="tanaka")
    r = Node(tmp_path, pki, "450006", {"r45": relay})
    s = Node(tmp_path, pki, "452017", {"r45": relay})
    try:
        r.start()
        s.start()
        inc, mid = s.send(REPORT_1, "450006", exercise=True)
        r.wait_inbox(mid)
        r.ack(mid, "訓練担当 日向")
        go(b, "incidents")
        b.wait_css(f"tr.incident-row.drill[data-incident='{inc}']",
                   "the exercise in the list, marked", text="訓練")
        b.click(f"tr.incident-row[data-incident='{inc}'] a")
        b.wait_css("#drill-banner", "the 訓練 banner", text="訓練")
        b.wait_css("#matrix thead", text="宛先【訓練】")
        b.wait_css("#matrix thead", text="【訓練】第1報")
        cell(b, "450006", "acknowledged")
        b.shot("matrix-exercise")

        # the report in its form, with the 訓練 banner, printable on A4
        b.click(f"#matrix thead a[href='#/report/{mid}']")
        b.wait_css("#report-form .form-item", "the 報告様式")
        b.wait_css("#drill-banner", text="訓練")
        b.wait_css("#report-form", text="訓練")
        b.shot("report-form")
        b.driver.execute_cdp_cmd("Emulation.setEmulatedMedia",
                                 {"media": "print"})
        assert not b.css("#nav")[0].is_displayed()
        assert b.css("#report-form .form-item")[0].is_displayed()
        pdf = b.driver.execute_cdp_cmd("Page.printToPDF",
                                       {"preferCSSPageSize": True})
        data = base64.b64decode(pdf["data"])
        assert data.startswith(b"%PDF")
        ch.ARTIFACTS.mkdir(parents=True, exist_ok=True)
        (ch.ARTIFACTS / f"{b.name}-report-a4.pdf").write_bytes(data)
        # A4 (print.css's @page): 595 x 842 points
        box = re.search(rb"/MediaBox\s*\[\s*0 0 ([\d.]+) ([\d.]+)\s*\]", data)
        assert box and abs(float(box.group(1)) - 595.3) < 1 and \
            abs(float(box.group(2)) - 841.9) < 1, box
        b.driver.execute_cdp_cmd("Emulation.setEmulatedMedia", {"media": ""})

        # 訓練の結果 and its CSV
        go(b, "drill")
        b.click(f"#drill-list a[href='#/drill/{inc}']")
        b.wait_css(f"#drill-result[data-incident='{inc}'] "
                   "tr[data-recipient='450006']", "the drill result",
                   text="応答あり")
        b.wait_css("#drill-result h3", text="【訓練】")
        assert b.js("return document.getElementById('drill-csv').href") \
            .endswith(f"/api/drill/{inc}.csv")
        csv = b.fetch("GET", f"/api/drill/{inc}.csv")
        assert csv["status"] == 200
        assert csv["text"].lstrip("\ufeff").splitlines()[0] == \
            "宛先ID,宛先,配送まで(秒),受理確認まで(秒),応答"
        b.shot("drill")
        assert b.errors() == [], b.errors()
    finally:
        for n in (r, s):
            if n.alive():
                n.stop()


def test_live_feed_lost_and_back(relays, browser):
    b = browser
    relay = console_relay(relays)
    ch.keep_console_port(relay)  # the page's origin across the restart
    log_in(b, relay)
    b.wait_css("#operator-name", text="tanaka")
    b.wait(lambda d: b.js("return document.body.dataset.live") == "up",
           "the live feed up")
    assert not b.css("#live-lost")[0].is_displayed()
    relay.stop()
    lost = b.wait_css("#live-lost", "the feed's loss shown")
    assert lost.text == "ライブ更新が切断されました（再接続中）"
    b.shot("live-lost")
    relay.start()  # the same port; the session is in the store
    b.wait(lambda d: not b.css("#live-lost")[0].is_displayed(),
           "the loss cleared once the relay is back")
    assert b.js("return document.body.dataset.live") == "up"
    assert b.css("#app")[0].is_displayed()
    b.shot("live-back")
