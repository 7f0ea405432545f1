"""Scenario 27: an incident's life on the node: 第N報 numbers taken in the
outbox's write transaction (parallel updates never share one), 収束宣言 and
最終報告 in order (update and a second close refused unless --reopen), a
title no longer carrying an earlier report's 「（第2報）」, and ids given by
a unique prefix. Everything here runs without a daemon: the command line
says so, and the reports wait in the outbox."""
import re
import subprocess
from concurrent.futures import ThreadPoolExecutor

from harness import BIN
from nodeharness import REPORT_1, REPORT_2, Node

PARALLEL = 24


def node(tmp_path, pki, nid="452017"):
    # a route to a port nobody listens on: the daemon is never started
    return Node(tmp_path, pki, nid, {"pref": "wss://127.0.0.1:9/"})


def test_parallel_updates_get_distinct_contiguous_numbers(tmp_path, pki):
    s = node(tmp_path, pki)
    inc, _ = s.send(REPORT_1, "450006")
    argv = [str(BIN / "kairan-node"), "-f", str(s.conf), "update", inc,
            "--report", str(REPORT_2)]
    # all started at once: each `update` reads the last number and writes
    # the next one; without one transaction for both, they collide
    procs = [subprocess.Popen(argv, stdout=subprocess.PIPE,
                              stderr=subprocess.PIPE, text=True)
             for _ in range(PARALLEL)]
    with ThreadPoolExecutor(PARALLEL) as ex:
        outs = list(ex.map(lambda p: p.communicate(timeout=60) +
                           (p.returncode,), procs))
    assert [rc for _, _, rc in outs] == [0] * PARALLEL, outs
    nos = [n for (n,) in s.query(
        "SELECT report_no FROM outbox WHERE kind = 1 ORDER BY report_no")]
    assert nos == list(range(1, PARALLEL + 2)), nos
    # the database itself refuses a second report with one number
    idx = s.query("SELECT sql FROM sqlite_master WHERE name = "
                  "'outbox_report_no'")
    assert idx and "UNIQUE" in idx[0][0].upper()
    assert s.query("PRAGMA user_version")[0][0] >= 2


def test_no_daemon_is_said(tmp_path, pki):
    s = node(tmp_path, pki)
    p = s.run("send", "--report", REPORT_1, "--to", "450006")
    assert ("queued in the outbox; the daemon for %s is not running: it "
            "goes out when it starts" % s.db) in p.stderr
    inc = p.stdout.split()[1]
    for args in (["update", inc, "--report", REPORT_2],
                 ["close", inc], ["final", inc]):
        p = s.run(*args)
        assert "is not running" in p.stderr, (args, p.stderr)
    st = s.status(inc)
    assert st["routes"][0]["connection"]["state"] == "no_daemon"
    assert "no daemon running" in s.run("status", inc).stdout


def test_closed_incident_needs_reopen(tmp_path, pki):
    s = node(tmp_path, pki)
    inc, _ = s.send(REPORT_1, "450006")
    # 最終報告 comes after 収束宣言 only
    p = s.run("final", inc, expect=1)
    assert "close it first" in p.stderr
    s.update(inc, REPORT_2)
    _, closed = s.close(inc)
    for args in (["update", inc, "--report", REPORT_2], ["close", inc]):
        p = s.run(*args, expect=1)
        assert "use --reopen" in p.stderr, p.stderr
    # refused steps wrote nothing
    assert s.query("SELECT count(*) FROM outbox")[0][0] == 3
    _, fin = s.final(inc)
    assert s.run("close", inc, expect=1).returncode == 1
    _, reopened = s.update(inc, REPORT_2, reopen=True)
    _, again = s.close(inc, reopen=True)
    rows = s.query("SELECT report_no, phase FROM outbox WHERE kind = 1 "
                   "ORDER BY report_no")
    # INITIAL 1, UPDATE 2, CLOSED 3, FINAL 4, UPDATE 2, CLOSED 3
    assert rows == [(1, 1), (2, 2), (3, 3), (4, 4), (5, 2), (6, 3)], rows
    assert s.show(closed)["phase"] == "CLOSED"
    assert s.show(fin)["phase"] == "FINAL"
    assert s.show(fin)["report"]["summary"] == "最終報告"
    text = s.run("show", inc).stdout
    assert "第3報 (収束宣言)" in text and "第4報 (最終報告)" in text
    assert " 第3報 収束宣言" in s.run("status", closed).stdout.splitlines()[0]
    assert " 第4報 最終報告" in s.run("status", fin).stdout.splitlines()[0]


def test_title_does_not_carry_an_earlier_number(tmp_path, pki):
    s = node(tmp_path, pki)
    inc, m1 = s.send(REPORT_1, "450006")
    _, m2 = s.update(inc, REPORT_2)
    _, m3 = s.close(inc)
    titles = [s.show(m)["report"]["title"] for m in (m1, m2, m3)]
    # report-2.json's title ends in 「（第2報）」; the number is report_no's
    assert all(not re.search(r"第\d+報", t) for t in titles), titles
    assert titles[2] == titles[1] == "標的型攻撃メールによるマルウェア感染"


def test_id_prefix(tmp_path, pki):
    s = node(tmp_path, pki)
    inc, m1 = s.send(REPORT_1, "450006")
    assert s.status(inc[:6])["id"] == m1
    assert s.show(m1[:8].upper())["id"] == m1
    _, m2 = s.update(inc[:7], REPORT_2)
    assert s.status(inc[:10])["id"] == m2
    # fewer than 6 digits: a usage error
    p = s.run("status", inc[:5], expect=2)
    assert "at least 6" in p.stderr
    # an ambiguous prefix lists the candidates: a second incident whose
    # id shares 6 digits with the first is forced into the database
    twin = inc[:6] + ("0" * 26 if inc[6] != "0" else "1" * 26)
    db = __import__("sqlite3").connect(s.db)
    db.execute("INSERT INTO outbox(id, kind, incident, report_no, status, "
               "created_ms, envelope, digest) VALUES(?, 1, ?, 1, 1, 1, "
               "x'00', x'00')", (bytes.fromhex(twin[::-1]),
                                 bytes.fromhex(twin)))
    db.commit()
    db.close()
    p = s.run("status", inc[:6], expect=1)
    assert "ambiguous" in p.stderr
    assert inc in p.stderr and twin in p.stderr
    assert s.status(inc)["id"] == m2     # the full id still works
