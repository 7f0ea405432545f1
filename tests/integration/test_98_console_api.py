"""Scenario 98: the console's JSON API (relay/API.md) on a real relay with
real node connections, read with an operator's bearer token.

/api/nodes shows a node never seen, then connected (with its address),
then offline since the moment it left; a report's cell in the receipt
matrix goes pending -> delivered -> acknowledged (by whom); /api/events
delivers a change event when the 受理確認 is committed; a recipient that
does not acknowledge by its (seconds-short) deadline appears in
/api/overdue with its point of contact and its mail; a phone
confirmation (POST /api/confirm) shows beside the cell's state, never as
it, cancels the pending mail step and is a row of the audit chain; bad
inputs are refused with 400 naming the field and change nothing; the
drill comes as JSON and as CSV (UTF-8 with a BOM), the report as the
報告様式's lines; at most 64 live feeds at once.
"""
import json
import re
import socket
import ssl
import threading

import pytest

import harness
import kairan_client as kc
from kairan_client import Client, Identity, pb
import consolehelp as ch
from smtpsink import SmtpSink

PW = "correct horse battery staple"


@pytest.fixture()
def sink():
    s = SmtpSink().start()
    yield s
    s.stop()


GEOMETRY = harness.DATA / "geometry" / "smartnews_N03-21_210101_s0001.topojson"


def api_relay(relays, sink, geometry=None):
    """relay-45 with a console, deadlines of 3 s for level 3 and two mails
    (the second an hour after the first: pending while the test runs).
    handshake_timeout 1s: the live feed outlives a request's timeout."""
    r = relays(start=False, extra={"handshake_timeout": "1s"})
    ch.with_sections(r, console=True)
    with open(r.conf, "a") as f:
        if geometry is not None:
            f.write(f"geometry = {geometry}\n")   # in [console]
        f.write(f"[escalation]\nlevel3 = 3s\nmails = 2\nrepeat = 1h\n"
                f"retry = 1s\n[smtp]\nurl = {sink.url}\n"
                "from = kairan@relay-45.example.jp\ntls = none\n"
                "timeout = 5s\n")
    r.start()
    ch.add_operator(r, "tanaka", PW)
    return r, ch.issue_token(r, "tanaka")


class Api:
    def __init__(self, relay, token):
        self.c = ch.Console(relay)
        self.h = {"Authorization": "Bearer " + token}

    def get(self, path, want=200):
        status, h, body = self.c.request("GET", path, headers=self.h,
                                         cookie=False)
        assert status == want, (path, status, body)
        return body if isinstance(body, (dict, list)) else (h, body)

    def post(self, path, body, want=200):
        status, _, out = self.c.request("POST", path, body, headers=self.h,
                                        cookie=False)
        assert status == want, (path, status, out)
        return out


class Events:
    """GET /api/events read by a plain TLS socket in a thread: the events
    (event name, data) as they come."""

    def __init__(self, relay, token):
        port = ch.console_port(relay)
        ctx = ch.tls_context(relay)
        raw = socket.create_connection(("127.0.0.1", port), timeout=30)
        self.sock = ctx.wrap_socket(raw, server_hostname="localhost")
        self.sock.sendall(b"GET /api/events HTTP/1.1\r\nHost: localhost\r\n"
                          b"Authorization: Bearer " + token.encode() +
                          b"\r\nAccept: text/event-stream\r\n\r\n")
        self.buf = b""
        self.head = None
        self.events = []
        self.lock = threading.Lock()
        self.t = threading.Thread(target=self._read, daemon=True)
        self.t.start()

    def _read(self):
        try:
            while True:
                b = self.sock.recv(65536)
                if not b:
                    return
                with self.lock:
                    self.buf += b
                    if self.head is None and b"\r\n\r\n" in self.buf:
                        self.head, _, self.buf = self.buf.partition(
                            b"\r\n\r\n")
                    while self.head is not None and b"\n\n" in self.buf:
                        block, _, self.buf = self.buf.partition(b"\n\n")
                        ev = {}
                        for line in block.decode().split("\n"):
                            if line.startswith("event: "):
                                ev["event"] = line[7:]
                            elif line.startswith("data: "):
                                ev["data"] = json.loads(line[6:])
                        if "event" in ev:
                            self.events.append(ev)
        except (OSError, ssl.SSLError, ValueError):
            return

    def kinds(self):
        with self.lock:
            return [e["data"]["what"] for e in self.events]

    def close(self):
        try:
            self.sock.close()
        except OSError:
            pass


def node(body, entity):
    for n in body["nodes"]:
        if n["id"] == entity:
            return n
    raise AssertionError(f"{entity} not in /api/nodes")


def cell(inc, recipient, col=0):
    for r in inc["recipients"]:
        if r["id"] == recipient:
            return r["cells"][col]
    raise AssertionError(f"{recipient} not in the matrix")


def send(relay, pki, to, status=pb.EXERCISE):
    with Client(relay.url, pki, Identity(pki.entity("452017"))) as c:
        msg = kc.report("452017", to, status=status)
        env, a = kc.submit(c, msg)
        assert a.WhichOneof("kind") == "accepted", a
    return msg, env


def test_nodes_matrix_events_overdue_confirm(relays, pki, sink):
    relay, token = api_relay(relays, sink)
    api = Api(relay, token)
    assert api.get("/api/geometry", want=404)["error"].startswith("geometry")
    assert node(api.get("/api/nodes"), "450006")["state"] == "never"
    nodes = api.get("/api/nodes")
    assert nodes["relay"]["id"] == "relay-45"
    assert node(nodes, "452025")["since"] is None

    msg, env = send(relay, pki, ["450006", "452025"])
    incident = msg.report.incident_id.hex()
    path = "/api/incidents/" + incident
    lst = api.get("/api/incidents")["incidents"]
    assert [i["id"] for i in lst] == [incident]
    assert lst[0]["status"] == "exercise" and lst[0]["recipients"] == 2
    assert lst[0]["sender_name"] == "宮崎市"
    inc = api.get(path)
    assert inc["reports"][0]["label"] == "第1報"
    assert inc["reports"][0]["id"] == msg.id.hex()
    assert cell(inc, "450006")["state"] == "pending"

    ev = Events(relay, token)
    try:
        harness.wait_for(lambda: ev.head is not None, what="the stream")
        assert ev.head.startswith(b"HTTP/1.1 200"), ev.head
        head = ev.head.decode().lower()
        assert "content-type: text/event-stream" in head
        assert "cache-control: no-store" in head
        assert "content-security-policy:" in head

        with Client(relay.url, pki, Identity(pki.entity("450006"))) as r:
            harness.wait_for(lambda: node(api.get("/api/nodes"), "450006")
                             ["state"] == "connected", what="connected")
            n = node(api.get("/api/nodes"), "450006")
            assert n["connections"][0]["address"] == "127.0.0.1"
            assert n["since"] > 0
            harness.wait_for(lambda: "node" in ev.kinds(), what="node event")
            _, m = r.expect_delivery()
            assert m.id == msg.id
            harness.wait_for(lambda: cell(api.get(path), "450006")["state"]
                             == "delivered", what="delivered")
            before = ev.kinds().count("receipt")
            ack = kc.receipt("450006", msg, env, pb.Receipt.ACKNOWLEDGED,
                             by="県 担当者")
            _, a = kc.submit(r, ack)
            assert a.WhichOneof("kind") == "accepted", a
            harness.wait_for(lambda: ev.kinds().count("receipt") > before,
                             what="a receipt event")
            c = cell(api.get(path), "450006")
            assert c["state"] == "acknowledged" and c["by"] == "県 担当者"
            assert c["overdue"] is False
        harness.wait_for(lambda: node(api.get("/api/nodes"), "450006")
                         ["state"] == "offline", what="offline")
        n = node(api.get("/api/nodes"), "450006")
        assert n["since"] >= n["last_seen"] - 1 and n["connections"] == []

        # 452025 never answers: overdue at 3 s, its first mail sent
        def overdue():
            o = api.get("/api/overdue")["overdue"]
            return o and o[0]["mail"] and o[0]["mail"]["state"] == "sent"
        harness.wait_for(overdue, what="452025 overdue, mailed")
        o = api.get("/api/overdue")["overdue"]
        assert len(o) == 1
        o = o[0]
        assert o["recipient"] == "452025" and o["recipient_name"] == "都城市"
        assert o["report"] == msg.id.hex() and o["status"] == "exercise"
        assert o["contact"]["phone"] == "0986-00-0003"
        assert o["contact"]["after_hours_phone"] == "0986-00-0093"
        assert o["contact"]["email"] == "joho@city.miyakonojo.example.jp"
        assert o["mail"]["code"] == 250 and o["mail"]["attempts"] == 1
        assert o["confirmation"] is None
        assert cell(api.get(path), "452025")["state"] == "overdue"
        harness.wait_for(lambda: "escalation" in ev.kinds(),
                         what="an escalation event")

        # the phone confirmation
        before = ev.kinds().count("confirm")
        audit0 = relay.query("SELECT count(*) FROM audit")[0][0]
        out = api.post("/api/confirm", {"report": msg.id.hex(),
                                        "recipient": "452025",
                                        "name": "山田（総務課）",
                                        "note": "端末を隔離済み"})
        conf = out["confirmation"]
        assert conf["operator"] == "tanaka" and conf["mails_cancelled"] == 1
        # where and by whom it was recorded: this relay, its operator
        assert (conf["recorded_at"], conf["relay"]) == ("relay", "relay-45")
        c = cell(api.get(path), "452025")
        assert c["state"] == "overdue"   # what the receipts say
        assert c["confirmation"]["name"] == "山田（総務課）"
        assert c["confirmation"]["operator"] == "tanaka"
        assert c["confirmation"]["recorded_at"] == "relay"
        assert c["confirmation"]["relay"] == "relay-45"
        o = api.get("/api/overdue")["overdue"][0]
        assert o["confirmation"]["note"] == "端末を隔離済み"
        assert o["mail"]["state"] == "cancelled"
        assert relay.query(
            "SELECT e.step, e.state FROM escalation e WHERE e.recipient = "
            "'452025' ORDER BY e.step") == [(0, 1), (1, 1), (2, 3)]
        assert relay.query("SELECT count(*) FROM audit")[0][0] == audit0 + 1
        rows = relay.query("SELECT entity, detail FROM audit WHERE event = "
                           "'confirm'")
        assert len(rows) == 1 and rows[0][0] == "operator:tanaka"
        assert "recipient=452025" in rows[0][1]
        harness.wait_for(lambda: ev.kinds().count("confirm") > before,
                         what="a confirm event")
        relay.wait_log(rf"confirm id={msg.id.hex()} recipient=452025 "
                       r'operator="tanaka"')
        assert relay.run("audit", "verify").returncode == 0
    finally:
        ev.close()


def test_refusals_change_nothing_and_the_drill(relays, pki, sink):
    relay, token = api_relay(relays, sink, geometry=GEOMETRY)
    api = Api(relay, token)
    msg, env = send(relay, pki, ["450006", "452025"])
    rid = msg.id.hex()
    with Client(relay.url, pki, Identity(pki.entity("450006"))) as r:
        r.expect_delivery()
        ack = kc.receipt("450006", msg, env, pb.Receipt.ACKNOWLEDGED,
                         by="県 担当者")
        assert kc.submit(r, ack)[1].WhichOneof("kind") == "accepted"
    audit0 = relay.query("SELECT count(*) FROM audit")[0][0]
    good = {"report": rid, "recipient": "452025", "name": "山田"}
    for body, field in [
            (dict(good, report=rid[:31] + "z"), "report:"),
            (dict(good, report=rid.upper()), "report:"),
            (dict(good, recipient="999999"), "recipient:"),
            (dict(good, recipient="452033"), "recipient:"),  # not one of its
            (dict(good, name=""), "name:"),
            (dict(good, name="山" * 65), "name:"),
            (dict(good, note="確" * 501), "note:"),
            (dict(good, by="me"), "by:"),
            ({"recipient": "452025", "name": "x"}, "report:"),
            ([1, 2], "body:")]:
        out = api.post("/api/confirm", body, want=400)
        assert out["error"].startswith(field), (body, out)
    out = api.post("/api/confirm", dict(good, report="0" * 32), want=404)
    assert out["error"].startswith("report:")
    assert relay.query("SELECT count(*) FROM confirmation")[0][0] == 0
    assert relay.query("SELECT count(*) FROM audit")[0][0] == audit0
    assert relay.query("SELECT count(*) FROM escalation WHERE state = 3 "
                       "AND recipient = '452025'")[0][0] == 0
    assert api.get("/api/incidents/xyz", want=400)["error"].startswith(
        "incident:")
    assert api.get("/api/nope", want=404) == {"error": "no such endpoint"}
    assert api.get("/api/geometry") == json.loads(GEOMETRY.read_bytes())
    assert relay.run("-n").returncode == 0
    conf = relay.conf.read_text()
    relay.conf.write_text(conf.replace(str(GEOMETRY), "/nonexistent.json"))
    res = relay.run("-n")
    assert res.returncode != 0 and "[console] geometry" in res.stderr, \
        res.stderr
    relay.conf.write_text(conf)

    # the 報告様式, the lines of `kairan-node show --form` (proto/form.c)
    f = api.get(f"/api/reports/{rid}/form")
    assert f["report"] == rid and f["status"] == "exercise"
    kinds = [x["kind"] for x in f["lines"]]
    assert kinds[0] == "banner" and kinds[-1] == "banner" and "end" in kinds
    assert any("職員端末のマルウェア感染" in x["label"] + x["value"]
               for x in f["lines"])
    assert api.get("/api/reports/%s/form" % ("0" * 32), want=404)

    incident = msg.report.incident_id.hex()
    d = api.get("/api/drill/" + incident)
    by = {x["id"]: x for x in d["recipients"]}
    assert by["450006"]["answered"] is True
    assert by["450006"]["to_delivery_s"] >= 0
    assert by["450006"]["to_ack_s"] >= by["450006"]["to_delivery_s"]
    assert by["452025"]["answered"] is False
    assert by["452025"]["to_ack_s"] is None
    h, body = api.get("/api/drill/%s.csv" % incident)
    assert h["content-type"] == "text/csv; charset=utf-8"
    assert h["content-disposition"] == \
        f'attachment; filename="drill-{incident}.csv"'
    assert body.startswith(b"\xef\xbb\xbf")
    lines = body[3:].decode("utf-8").split("\r\n")
    assert lines[0] == "宛先ID,宛先,配送まで(秒),受理確認まで(秒),応答"
    assert re.fullmatch(r'450006,"宮崎県",\d+\.\d,\d+\.\d,あり', lines[1]), \
        lines[1]
    assert lines[2] == '452025,"都城市",,,なし'


def test_live_feeds_are_bounded(relays, pki, sink):
    """64 streams at once; the 65th is told 503, and gets in once one
    of the 64 has gone."""
    relay, token = api_relay(relays, sink)
    port = ch.console_port(relay)
    ctx = ch.tls_context(relay)

    def open_stream():
        raw = socket.create_connection(("127.0.0.1", port), timeout=30)
        s = ctx.wrap_socket(raw, server_hostname="localhost")
        s.sendall(b"GET /api/events HTTP/1.1\r\nHost: localhost\r\n"
                  b"Authorization: Bearer " + token.encode() + b"\r\n\r\n")
        head = b""
        while b"\r\n\r\n" not in head:
            b = s.recv(4096)
            if not b:
                break
            head += b
        return s, head

    streams = []
    try:
        for _ in range(64):
            s, head = open_stream()
            streams.append(s)
            assert head.startswith(b"HTTP/1.1 200"), head
        s, head = open_stream()
        streams.append(s)
        assert head.startswith(b"HTTP/1.1 503"), head
        assert b"too many live feeds" in head + s.recv(4096)
        streams.pop(0).close()

        def admitted():
            s, head = open_stream()
            streams.append(s)
            return head.startswith(b"HTTP/1.1 200")
        harness.wait_for(admitted, what="a place freed")
    finally:
        for s in streams:
            s.close()


def advisory(sender, to, due_at_ms, status=pb.EXERCISE):
    """A request (要請) with a due time, as `kairan-node advise` signs one."""
    m = pb.Message(id=kc.new_id(), sender=sender, recipients=list(to),
                   created_at_ms=kc.now_ms(), status=status)
    a = m.advisory
    a.kind = pb.Advisory.REQUEST
    a.title = "VPN装置の脆弱性（CVE-2024-21887）への緊急対応の要請"
    a.source = "JPCERT/CC"
    a.summary = "外部から認証なしに任意のコマンドを実行される脆弱性。"
    a.references.append("CVE-2024-21887")
    a.actions.append("該当装置の有無を確認する")
    a.due_at_ms = due_at_ms
    a.severity = pb.Advisory.CRITICAL
    return m


def adv_row(api, recipient, aid):
    d = api.get("/api/advisories/" + aid)
    for r in d["recipients"]:
        if r["id"] == recipient:
            return r
    raise AssertionError(f"{recipient} not a recipient of {aid}")


def test_advisories_who_acted(relays, pki, sink):
    """An advisory from the prefecture to two municipalities is listed
    apart from the incidents, with its counts; one says 確認しました, the
    other 対応済 with a note, and both arrive through the live feed; its
    asked-by time has passed, so whoever has not reported 対応済 is past
    due."""
    relay, token = api_relay(relays, sink)
    api = Api(relay, token)
    assert api.get("/api/advisories") == {"advisories": []}
    due = kc.now_ms() - 60_000   # already past: no waiting on a clock
    msg = advisory("450006", ["452017", "452025"], due)
    with Client(relay.url, pki, Identity(pki.entity("450006"))) as c:
        env, a = kc.submit(c, msg)
        assert a.WhichOneof("kind") == "accepted", a
    aid = msg.id.hex()
    # apart from the incidents
    assert api.get("/api/incidents")["incidents"] == []
    lst = api.get("/api/advisories")["advisories"]
    assert [x["id"] for x in lst] == [aid]
    x = lst[0]
    assert x["kind"] == "request" and x["kind_label"] == "要請"
    assert x["title"] == msg.advisory.title and x["source"] == "JPCERT/CC"
    assert x["sender"] == "450006" and x["sender_name"] == "宮崎県"
    assert x["status"] == "exercise" and x["due_at"] == due
    assert x["past_due_time"] is True
    assert (x["recipients"], x["delivered"], x["acknowledged"], x["done"],
            x["past_due"]) == (2, 0, 0, 0, 2)
    d = api.get("/api/advisories/" + aid)
    assert d["advisory"]["summary"] == msg.advisory.summary
    assert d["advisory"]["actions"] == ["該当装置の有無を確認する"]
    assert d["advisory"]["references"] == ["CVE-2024-21887"]
    assert d["advisory"]["severity"] == "critical"
    assert adv_row(api, "452017", aid)["cell"]["state"] == "pending"
    assert adv_row(api, "452017", aid)["name"] == "宮崎市"

    ev = Events(relay, token)
    try:
        harness.wait_for(lambda: ev.head is not None, what="the stream")
        with Client(relay.url, pki, Identity(pki.entity("452017"))) as r1, \
                Client(relay.url, pki, Identity(pki.entity("452025"))) as r2:
            _, m1 = r1.expect_delivery()
            _, m2 = r2.expect_delivery()
            assert m1.id == msg.id and m2.id == msg.id
            harness.wait_for(lambda: api.get("/api/advisories")
                             ["advisories"][0]["delivered"] == 2,
                             what="delivered to both")
            before = ev.kinds().count("receipt")
            ack = kc.receipt("452017", msg, env, pb.Receipt.ACKNOWLEDGED,
                             by="宮崎市 情報政策課 佐藤")
            assert kc.submit(r1, ack)[1].WhichOneof("kind") == "accepted"
            done = kc.receipt("452025", msg, env, pb.Receipt.DONE,
                              by="都城市 情報政策課 田中",
                              note="該当装置なし（資産台帳で確認）")
            assert kc.submit(r2, done)[1].WhichOneof("kind") == "accepted"
            harness.wait_for(lambda: ev.kinds().count("receipt") >= before + 2,
                             what="two receipt events")
        c1 = adv_row(api, "452017", aid)["cell"]
        assert c1["state"] == "acknowledged"
        assert c1["acknowledged"]["by"] == "宮崎市 情報政策課 佐藤"
        assert c1["done"] is None and c1["past_due"] is True
        c2 = adv_row(api, "452025", aid)["cell"]
        assert c2["state"] == "done" and c2["past_due"] is False
        assert c2["done"]["by"] == "都城市 情報政策課 田中"
        assert c2["done"]["note"] == "該当装置なし（資産台帳で確認）"
        assert c2["delivered_at"] is not None
        x = api.get("/api/advisories")["advisories"][0]
        assert (x["delivered"], x["acknowledged"], x["done"],
                x["past_due"]) == (2, 2, 1, 1)
        # an incident's id is no advisory, a bad id is named
        assert "hex" in api.get("/api/advisories/xyz", want=400)["error"]
        assert api.get("/api/advisories/" + "0" * 32, want=404)["error"] \
            .startswith("advisory")
    finally:
        ev.close()
