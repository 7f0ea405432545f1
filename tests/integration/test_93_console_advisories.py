"""Scenario 93: advisories in the prefecture console, in a real browser
(chromium through selenium, consolehelp's `browser` fixture).

宮崎県's node sends its region a request (要請, an exercise) with
`kairan-node advise --to @region`; the console lists it under 注意喚起・要請,
apart from the incidents, with its counts; its recipients' table shows
宮崎市 確認しました (by whom) and 都城市 対応済 with the note, each arriving
through the live feed without a reload; 訓練 is marked; a municipality
that never answered is past the asked-by time (対応期限) once it passes.
"""
import json

import consolehelp as ch
from consolehelp import browser  # noqa: F401 (the fixture)
from nodeharness import Node
from test_99_console_browser import console_relay, go, log_in

NOTE = "全庁のVPN装置を修正版へ更新済み（12月3日）"


def advisory(due_at):
    return {
        "kind": "request",
        "title": "VPN装置の脆弱性（CVE-2024-21887）に関する緊急措置の要請",
        "source": "JPCERT/CC",
        "severity": "critical",
        "summary": "VPN装置の脆弱性を悪用する攻撃が国内で確認されています。",
        "references": ["CVE-2024-21887"],
        "actions": ["該当装置のファームウェアを修正版へ更新する"],
        "due_at": due_at,
    }


def row(b, aid, recipient, state, text=None):
    return b.wait_css(f"#advisory[data-advisory='{aid}'] "
                      f"tr.adv-recipient[data-recipient='{recipient}']"
                      f"[data-state='{state}']",
                      f"{recipient} {state} in the advisory's table", text)


def test_advisory_who_acted_live(relays, pki, browser, tmp_path):
    b = browser
    relay = console_relay(relays, deadline="1h", geometry=False)
    pref = Node(tmp_path, pki, "450006", {"r45": relay})
    acker = Node(tmp_path, pki, "452017", {"r45": relay})
    doer = Node(tmp_path, pki, "452025", {"r45": relay})
    nodes = (pref, acker, doer)
    try:
        for n in nodes:
            n.start()
        log_in(b, relay)
        b.wait_css("#operator-name", text="tanaka")
        b.js("window.kairanNoReload = 1")
        go(b, "advisories")
        b.wait_css("#advisories-empty", text="注意喚起・要請はありません")

        f = tmp_path / "advisory.json"
        f.write_text(json.dumps(advisory("2099-12-05T17:00:00+09:00"),
                                ensure_ascii=False), encoding="utf-8")
        out = pref.run("advise", "--file", str(f), "--to", "@region",
                       "--exercise")
        aid = out.stdout.split()[1]
        assert len(aid) == 32, out.stdout

        # it appears in the list, apart from the incidents, live
        line = f"tr.advisory-row[data-advisory='{aid}']"
        b.wait_css(line, "the advisory in the list", text="要請")
        b.wait_css(line, text="JPCERT/CC")
        b.wait_css(line, text="宮崎県（450006）")
        b.wait_css(line, text="訓練")
        b.wait_css(line + " .count-delivered", "both nodes delivered",
                   text="2")
        b.click(line + " a", "the advisory's title")
        b.wait_css(f"#advisory[data-advisory='{aid}']", "the advisory's box")
        b.wait_css("#advisory h3", text="訓練")
        b.wait_css("#advisory .drill-note", text="訓練")
        b.wait_css("#drill-banner:not([hidden])", "the 訓練 banner")
        b.wait_css("#advisory thead", text="宛先【訓練】")
        b.wait_css("#advisory .advisory-due", text="対応期限: 2099/12/05")
        row(b, aid, "452017", "delivered", "配送済")
        row(b, aid, "452025", "delivered", "配送済")
        # a municipality without a running node: still held at the relay
        row(b, aid, "452033", "pending", "未配送")
        b.shot("advisory-delivered")

        # 宮崎市 reads it, 都城市 reports it done: both arrive live
        acker.ack(aid, "宮崎市 CSIRT 宮崎 太郎")
        r = row(b, aid, "452017", "acknowledged", "確認しました")
        b.wait_css(f"tr.adv-recipient[data-recipient='452017'] .adv-ack",
                   text="宮崎市 CSIRT 宮崎 太郎")
        assert "受理確認" not in r.text, r.text
        doer.run("done", aid, "--by", "都城市 情報政策課 霧島", "--note", NOTE)
        row(b, aid, "452025", "done", "対応済")
        b.wait_css("tr.adv-recipient[data-recipient='452025'] .adv-done",
                   "the done note", text=NOTE)
        b.wait_css("tr.adv-recipient[data-recipient='452025'] .adv-done",
                   text="都城市 情報政策課 霧島")
        b.wait_css(line + " .count-acknowledged", text="2")
        b.wait_css(line + " .count-done", text="1")
        b.wait_css("#advisory .advisory-counts",
                   text="確認しました 2・対応済 1・期限超過 0")
        b.shot("advisory-answered")
        assert b.js("return window.kairanNoReload") == 1

        # the incidents screen does not list it
        go(b, "incidents")
        b.wait_css("#incidents-empty", text="対応中のインシデントはありません")
        assert not b.css(f"tr[data-incident='{aid}']")

        # a second request whose asked-by time has passed: whoever has not
        # reported 対応済 is 対応期限超過
        f.write_text(json.dumps(advisory("2020-01-01T17:00:00+09:00"),
                                ensure_ascii=False), encoding="utf-8")
        late = pref.run("advise", "--file", str(f), "--to",
                        "452017,452025").stdout.split()[1]
        go(b, "advisories")
        b.click(f"tr.advisory-row[data-advisory='{late}'] a",
                "the late advisory")
        doer.wait_inbox(late)
        doer.run("done", late, "--by", "都城市 情報政策課 霧島", "--note",
                 "該当装置なし")
        row(b, late, "452025", "done", "対応済")
        r = row(b, late, "452017", "delivered", "対応期限超過")
        assert r.get_attribute("data-past-due") == "true"
        b.wait_css(f"tr.advisory-row[data-advisory='{late}'] "
                   ".count-past-due.late", text="1")
        b.wait_css("#advisory .advisory-due", text="期限を過ぎました")
        b.shot("advisory-past-due")
        assert b.js("return window.kairanNoReload") == 1
        assert b.errors() == [], b.errors()
    finally:
        for n in nodes:
            if n.alive():
                n.stop()
