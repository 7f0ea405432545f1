"""Terminal spoofing: a stored report whose title and summary hold ESC[2J,
an OSC sequence, a C1 control and bidi overrides (old data, or another
implementation: the protocol refuses them on the wire, so the test puts
the report into the node's database) shows no raw control character in
any output: inbox, show, show --form, show of its incident, status of a
report of ours whose receipts carry such text, the banner of a withdrawal
whose reason holds such text, and kairan-dir show/expand
of a directory with such a name. --json stays valid JSON and carries the
strings unchanged."""
import json
import sqlite3
import subprocess

import pytest

from harness import BIN, DIRECTORY
from nodeharness import Node, REPORT_1
import kairan_pb2 as pb
from planted import plant

CLEAR = "\x1b[2J\x1b[H"
OSC = "\x1b]0;kairan\x07\x1b]8;;http://evil.example/\x1b\\"
FAKE = "【訂正】本件は誤報です"
SUMMARY = CLEAR + OSC + FAKE + "\n二行目\u202e反転\u2066隔離\u2069\u009b2J"
TITLE = "本物の件名\r\n\x1b[1A第1報  確認済"


def raw_controls(text):
    """The control characters (but \\n, \\t) and bidi controls in text."""
    bad = set(range(0x00, 0x20)) - {0x0a, 0x09} | {0x7f} | \
        set(range(0x80, 0xa0)) | set(range(0x202a, 0x202f)) | \
        set(range(0x2066, 0x206a)) | {0x2028, 0x2029}
    return sorted({hex(ord(ch)) for ch in text if ord(ch) in bad})


@pytest.fixture()
def node(tmp_path, pki):
    # No daemon: what is shown comes from the database alone.
    return Node(tmp_path, pki, "450006", {"r": "wss://127.0.0.1:9/"})


def run_text(node, *args):
    p = node.run(*args)
    assert p.stderr == "" or not raw_controls(p.stderr), p.stderr
    return p.stdout


def test_received_report_shows_no_raw_control(node):
    contact = pb.Contact(name="担当\x1b[31m者", phone="0985\x7f-1")
    mid, inc = plant(node, title=TITLE, summary=SUMMARY,
                     subtypes=["ウイルス\x1b[5m"], cause="原因\x07",
                     contact=contact)
    outputs = {
        "inbox": run_text(node, "inbox"),
        "inbox --all": run_text(node, "inbox", "--all"),
        "show": run_text(node, "show", mid),
        "show --form": run_text(node, "show", mid, "--form"),
        "show INCIDENT": run_text(node, "show", inc),
        "show INCIDENT --form": run_text(node, "show", inc, "--form"),
    }
    for what, out in outputs.items():
        assert "\x1b" not in out, what
        assert raw_controls(out) == [], (what, raw_controls(out), out)

    # The escapes are visible, the text around them intact.
    show = outputs["show"]
    assert "\\x1b[2J\\x1b[H\\x1b]0;kairan\\x07" in show
    assert "\\u202e反転\\u2066隔離\\u2069\\u009b2J" in show
    assert "担当\\x1b[31m者" in show
    # A newline in the one-line title cannot start a line of its own.
    assert "件名: 本物の件名\\x0d\\x0a\\x1b[1A第1報  確認済\n" in show
    # The summary keeps its two lines, the second indented under 概要.
    assert "概要: \\x1b[2J" in show and "\n  二行目" in show
    form = outputs["show --form"]
    assert "　　\\x1b[2J\\x1b[H" in form and FAKE in form
    # One inbox line per report, whatever the title holds.
    lines = [x for x in outputs["inbox"].splitlines() if x]
    assert len(lines) == 1 and lines[0].startswith(mid), lines
    assert "本物の件名\\x0d\\x0a\\x1b[1A" in lines[0]

    # --json: valid JSON, the strings exactly as they were signed.
    shown = json.loads(node.run("show", mid, "--json").stdout)
    assert shown["report"]["summary"] == SUMMARY
    assert shown["report"]["title"] == TITLE
    box = json.loads(node.run("inbox", "--json").stdout)
    assert box[0]["report"]["summary"] == SUMMARY


def test_withdrawal_reason_shows_no_raw_control(node):
    """A withdrawal (取消) whose reason holds control characters (old data,
    another implementation): its banner is still one line, first on every
    surface, with the reason escaped."""
    reason = "誤送信" + CLEAR + "\n*** 本件は解決 ***\u202e"
    mid, inc = plant(node, title="件名", summary="概要")
    wid, _ = plant(node, incident=bytes.fromhex(inc), report_no=2,
                   phase=pb.IncidentReport.Phase.WITHDRAWN,
                   withdraw_reason=reason)
    shown = "誤送信\\x1b[2J\\x1b[H\\x0a*** 本件は解決 ***\\u202e ***"
    for args in (["inbox"], ["show", mid], ["show", mid, "--form"],
                 ["show", inc], ["show", wid, "--form"]):
        out = run_text(node, *args)
        assert raw_controls(out) == [], (args, raw_controls(out), out)
        first = out.splitlines()[0]
        assert first.startswith("*** 取消 (withdrawn) "), (args, out)
        assert first.endswith(shown), (args, first)
    # every inbox line of the incident has its banner above it
    box = run_text(node, "inbox").splitlines()
    assert len(box) == 4 and box[2] == box[0], box
    assert box[1].startswith(wid) and box[3].startswith(mid), box
    j = json.loads(node.run("show", mid, "--json").stdout)
    assert j["withdrawn"]["reason"] == reason
    assert j["withdrawn"]["message"] == wid


def test_already_acknowledged_name_is_escaped(node):
    """ack of a report acknowledged before names who did, escaped."""
    mid, _ = plant(node, title="件名")
    db = sqlite3.connect(node.db, timeout=10)
    with db:
        db.execute("UPDATE inbox SET acknowledged_ms = 1795307400000, "
                   "acknowledged_by = ? "
                   "WHERE id = ?", ("日向\x1b[2J\n太郎", bytes.fromhex(mid)))
    db.close()
    out = run_text(node, "ack", mid[:8], "--by", "都城 一郎")
    assert raw_controls(out) == [], out
    assert out == ("already acknowledged %s by 日向\\x1b[2J\\x0a太郎 at "
                   "2026-11-22T09:30:00+09:00\n" % mid), out


def test_status_of_ours_shows_no_raw_control(node):
    """Receipts and refusals come from other nodes and relays."""
    out = node.run("send", "--report", REPORT_1, "--to", "452017,mic").stdout
    mid = out.split()[3]
    db = sqlite3.connect(node.db, timeout=10)
    with db:
        db.execute("UPDATE recipient SET acknowledged_ms = 1795307400000, "
                   "delivered_ms = 1795307400000, acknowledged_by = ?, "
                   "ack_note = ? WHERE entity = '452017'",
                   ("日向\x1b[2J", "確認\n済み\u202e"))
        db.execute("UPDATE recipient SET rejected_ms = 1795307400000, "
                   "rejected_reason = ?, rejected_by = 'relay-45' "
                   "WHERE entity = 'mic'", ("no\x1b]0;x\x07route",))
        db.execute("INSERT INTO outbox_route(id, route, refused_reason, "
                   "refused_detail, refused_ms) VALUES(?, 'r', 8, ?, 1)",
                   (bytes.fromhex(mid), "bad\r\nfield\x1b[K"))
    db.close()
    text = node.run("status", mid).stdout
    assert raw_controls(text) == [], (raw_controls(text), text)
    assert 'acknowledged 2026-11-22T09:30:00+09:00 by 日向\\x1b[2J ' \
        '"確認\\x0a済み\\u202e"' in text
    assert 'rejected "no\\x1b]0;x\\x07route" (by relay-45)' in text
    assert 'route r: refused INVALID_FIELD "bad\\x0d\\x0afield\\x1b[K"' in text
    st = json.loads(node.run("status", mid, "--json").stdout)
    by = {r["entity"]: r for r in st["recipients"]}
    assert by["452017"]["acknowledged_by"] == "日向\x1b[2J"
    assert st["routes"][0]["detail"] == "bad\r\nfield\x1b[K"


def test_kairan_dir_shows_no_raw_control(tmp_path):
    d = json.loads(DIRECTORY.read_text())
    for e in d["entities"]:
        if e["id"] == "452025":
            e["name"] = "都城市\x1b[2J\u202e"
    path = tmp_path / "directory.json"
    path.write_text(json.dumps(d, ensure_ascii=False))
    for args in (["show", "452017"], ["show", "452025"],
                 ["expand", "452017", "@neighbours"]):
        p = subprocess.run([BIN / "kairan-dir", "-d", path, *args],
                           capture_output=True, text=True, check=True)
        assert raw_controls(p.stdout) == [], (args, p.stdout)
        assert "都城市\\x1b[2J\\u202e" in p.stdout, p.stdout
