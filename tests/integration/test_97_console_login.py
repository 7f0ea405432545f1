"""Scenario 97: who may use the console (relay/API.md, "Who may ask").

An operator logs in with name and password (argon2id, checked off the
relay's loop); the session cookie is HttpOnly, Secure, SameSite=Strict,
Path=/ and expires; a request that changes something needs the session's
CSRF token; logging in and out are rows of the audit chain. Without a
session or token the API answers 401, with a session of another relay
too. A bearer token (operator token NAME) works without a cookie and
without CSRF, and a new one replaces the old. Failed logins are limited
per client address: after five, the sixth gets 429 with Retry-After even
with the right password, while an operator at another address still logs
in. Bad bodies are refused naming what is wrong, and change nothing.
"""
import re
import sqlite3

import consolehelp as ch

PW = "correct horse battery staple"


def console_relay(relays, **kw):
    r = relays(start=False, **kw)
    ch.with_sections(r, console=True)
    r.start()
    ch.add_operator(r, "tanaka", PW)
    return r


def audit(relay, event):
    return relay.query("SELECT entity, detail FROM audit WHERE event = ? "
                       "ORDER BY seq", (event,))


def test_login_cookie_session_logout(relays):
    r = console_relay(relays)
    c = ch.Console(r)
    status, h, body = c.request("GET", "/api/session")
    assert status == 401 and body == {"error": "login required"}
    assert h["cache-control"] == "no-store"

    status, h, body = c.login("tanaka", PW)
    assert status == 200, body
    assert body["operator"] == "tanaka"
    assert re.fullmatch(r"[0-9a-f]{64}", body["csrf"])
    cookie = h["set-cookie"][0]
    attrs = [a.strip() for a in cookie.split(";")]
    assert re.fullmatch(r"kairan_session=[0-9a-f]{64}", attrs[0])
    assert {"HttpOnly", "Secure", "SameSite=Strict", "Path=/",
            "Max-Age=43200"} <= set(attrs[1:]), cookie
    assert "frame-ancestors 'none'" in h["content-security-policy"]
    # the store keeps only the cookie's hash
    token = attrs[0].split("=", 1)[1]
    rows = r.query("SELECT hex(token_hash), operator FROM session")
    assert len(rows) == 1 and rows[0][1] == "tanaka"
    assert rows[0][0].lower() != token
    r.wait_log(r"console login operator=\"tanaka\" addr=\"127\.0\.0\.1\"")
    assert audit(r, "login") == [("operator:tanaka",
                                  "login from 127.0.0.1")]

    status, _, body = c.request("GET", "/api/session")
    assert status == 200
    assert body["operator"] == "tanaka" and body["csrf"] == c.csrf
    assert body["bearer"] is False
    assert body["relay"] == {"id": "relay-45", "serves": ["45", "mic"]}

    # a change without the CSRF token, or with another, is refused
    status, _, body = c.post("/logout", None, csrf=False)
    assert status == 403 and "X-CSRF-Token" in body["error"]
    status, _, _ = c.request("POST", "/logout", b"",
                             headers={"X-CSRF-Token": "0" * 64})
    assert status == 403
    assert c.request("GET", "/api/session")[0] == 200
    status, h, body = c.post("/logout", None)
    assert status == 200 and body == {}
    assert "Max-Age=0" in h["set-cookie"][0]
    assert c.request("GET", "/api/session")[0] == 401
    assert audit(r, "logout") == [("operator:tanaka",
                                   "logout from 127.0.0.1")]
    assert r.query("SELECT count(*) FROM session")[0][0] == 0
    # the chain is whole with the operators' rows in it
    res = r.run("audit", "verify")
    assert res.returncode == 0, res.stdout + res.stderr


def test_api_refuses_without_session(relays):
    r = console_relay(relays)
    c = ch.Console(r)
    for path in ("/api/session", "/api/nodes", "/api/incidents",
                 "/api/overdue"):
        status, _, body = c.request("GET", path)
        assert status == 401, path
    status, _, _ = c.request("POST", "/api/confirm", {"report": "x"})
    assert status == 401
    # a cookie that is not a session, a malformed one
    c.cookie = "kairan_session=" + "ab" * 32
    assert c.request("GET", "/api/session")[0] == 401
    c.cookie = "kairan_session=../../etc"
    assert c.request("GET", "/api/session")[0] == 401
    r.wait_log(r"console refused addr=\"127\.0\.0\.1\" status=401")
    # a session expires: forced by moving its expiry into the past
    c.cookie = None
    assert c.login("tanaka", PW)[0] == 200
    assert c.request("GET", "/api/session")[0] == 200
    with sqlite3.connect(r.db) as db:
        db.execute("UPDATE session SET expires_at = 1")
    status, _, body = c.request("GET", "/api/session")
    assert status == 401 and "expired" in body["error"]


def test_session_of_another_relay(relays, fed_pki):
    a = console_relay(relays, pki=fed_pki)
    b = console_relay(relays, pki=fed_pki, rid="relay-46", serve="46")
    ca, cb = ch.Console(a), ch.Console(b)
    assert ca.login("tanaka", PW)[0] == 200
    cb.cookie, cb.csrf = ca.cookie, ca.csrf
    status, _, body = cb.request("GET", "/api/session")
    assert status == 401 and "unknown here" in body["error"]
    status, _, _ = cb.post("/logout", None)
    assert status == 401
    # and the session still works where it was made
    assert ca.request("GET", "/api/session")[0] == 200


def test_bearer_token(relays):
    r = console_relay(relays)
    token = ch.issue_token(r, "tanaka")
    assert audit(r, "operator-token")[0][0] == "operator:tanaka"
    c = ch.Console(r)
    auth = {"Authorization": "Bearer " + token}
    status, _, body = c.request("GET", "/api/session", headers=auth)
    assert status == 200
    assert body["operator"] == "tanaka" and body["bearer"] is True
    assert body["csrf"] is None
    # no cookie, no CSRF token needed
    status, _, _ = c.request("POST", "/logout", b"", headers=auth)
    assert status == 200
    # malformed and unknown
    for bad in ("Basic dGFuYWth", "Bearer " + "0" * 64, "Bearer abc"):
        status, _, _ = c.request("GET", "/api/session",
                                 headers={"Authorization": bad})
        assert status == 401, bad
    # a new one replaces the old one
    token2 = ch.issue_token(r, "tanaka")
    assert token2 != token
    assert c.request("GET", "/api/session", headers=auth)[0] == 401
    auth2 = {"Authorization": "Bearer " + token2}
    assert c.request("GET", "/api/session", headers=auth2)[0] == 200
    # an operator deleted: its token is dead
    assert ch.run_op(r, "del", "tanaka").returncode == 0
    assert c.request("GET", "/api/session", headers=auth2)[0] == 401
    res = ch.run_op(r, "token", "nobody")
    assert res.returncode == 1 and "no operator nobody" in res.stderr


def test_failed_logins_limited_per_address(relays):
    r = console_relay(relays)
    attacker = ch.Console(r, source="127.0.0.1")
    for i in range(5):
        status, _, body = attacker.login("tanaka", "wrong password %d" % i)
        assert status == 401, (i, body)
        assert body == {"error": "wrong name or password"}
    r.wait_log(r"console login failed name=\"tanaka\" "
               r"addr=\"127\.0\.0\.1\" failures=5 \(limited\)")
    # the sixth attempt from there waits, even with the right password
    status, h, body = attacker.login("tanaka", PW)
    assert status == 429, body
    assert int(h["retry-after"]) > 0
    assert "too many failed logins" in body["error"]
    r.wait_log(r"console login refused addr=\"127\.0\.0\.1\" "
               r"reason=\"too many failed logins\"")
    # the operator at another address is not kept out
    op = ch.Console(r, source="127.0.0.2")
    status, _, body = op.login("tanaka", PW)
    assert status == 200, body
    # an unknown name gets the same answer as a wrong password
    other = ch.Console(r, source="127.0.0.3")
    status, _, body = other.login("nobody", PW)
    assert status == 401 and body == {"error": "wrong name or password"}
    status, _, body = other.login("Not A Name!", PW)
    assert status == 401 and body == {"error": "wrong name or password"}


def test_bad_login_bodies(relays):
    r = console_relay(relays)
    c = ch.Console(r, source="127.0.0.4")
    cases = [
        (b"name=tanaka&password=x", "expected a JSON object"),
        (b"[]", "expected a JSON object"),
        (b'{"name": "tanaka", "password": "x", "admin": true}',
         "unknown key"),
        (b'{"name": "tanaka", "password": 5}', "expected two strings"),
        (b'{"name": "tanaka", "name": "x", "password": "y"}',
         "expected a JSON object"),
    ]
    for raw, why in cases:
        status, _, body = c.request("POST", "/login", raw, cookie=False)
        assert status == 400, raw
        assert why in body["error"], (raw, body)
    assert r.query("SELECT count(*) FROM session")[0][0] == 0
    assert audit(r, "login") == []
    # bad bodies are not failed logins: the right password still works
    assert c.login("tanaka", PW)[0] == 200


def test_session_length_configured(relays):
    r = relays(start=False)
    ch.with_sections(r, console=True)
    text = r.conf.read_text()
    r.conf.write_text(text + "session = 30m\n")
    assert r.run("-n").returncode == 0
    r.start()
    ch.add_operator(r, "tanaka", PW)
    status, h, _ = ch.Console(r).login("tanaka", PW)
    assert status == 200 and "Max-Age=1800" in h["set-cookie"][0]
    bad = relays(start=False)
    ch.with_sections(bad, console=True)
    bad.conf.write_text(bad.conf.read_text() + "session = 5s\n")
    res = bad.run("-n")
    assert res.returncode == 1 and "[console] session" in res.stderr
