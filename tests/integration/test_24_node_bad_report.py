"""Scenario 24: a bad report is refused by the command line with the field
named (exit 1), and nothing is written: the row counts of every table of
the node's database stay as they were. Needs neither relay nor daemon."""
import json
import shutil

import pytest

from nodeharness import REPORT_1, Node

GOOD = json.loads(REPORT_1.read_text())


def variant(**changes):
    d = dict(GOOD)
    for k, v in changes.items():
        if v is None:
            d.pop(k, None)
        else:
            d[k] = v
    return d


CASES = [
    (variant(level="high"), "report.level: must be an integer 0..3"),
    (variant(level=4), "report.level"),
    (variant(category="hacking"), "report.category: must be one of"),
    (variant(summary=None), "report.summary: missing"),
    (variant(summary=""), "report.summary: must not be empty"),
    (variant(colour="red"), "report.colour: unknown key"),
    (variant(occurred_at="2026/11/22 09:30"), "report.occurred_at"),
    (variant(subtypes=["標的型攻撃", 7]), "report.subtypes[1]"),
    (variant(records_affected=-1), "report.records_affected"),
    (variant(contact={"phone": "1", "tel": "2"}), "report.contact.tel"),
    (variant(attachments=[{"name": "x", "media_type": "text/plain",
                           "path": "does-not-exist.txt"}]),
     "report.attachments[0].path"),
    (variant(report_no=3), "report.report_no"),
    (variant(title="あ" * 100), "report.title: too long"),
]


@pytest.fixture()
def node(tmp_path, pki):
    n = Node(tmp_path, pki, "452017", {"pref": "wss://127.0.0.1:1/"})
    # One good report first, so that the tables are not all empty.
    shutil.copytree(REPORT_1.parent / "attachments", tmp_path / "attachments")
    n.send(REPORT_1, "452025")
    return n


@pytest.mark.parametrize("report,field", CASES,
                         ids=[c[1].split(":")[0] for c in CASES])
def test_bad_field_refused_nothing_written(node, tmp_path, report, field):
    before = node.rows()
    assert before["outbox"] == 1
    f = tmp_path / "bad.json"
    f.write_text(json.dumps(report, ensure_ascii=False))
    for verb in (["send", "--report", f, "--to", "452025"],
                 ["send", "--report", f, "--to", "452025", "--exercise"]):
        p = node.run(*verb, expect=1)
        assert field in p.stderr, p.stderr
        assert p.stderr.startswith("kairan-node: send: "), p.stderr
        assert p.stdout == ""
    inc = node.query("SELECT hex(incident) FROM outbox LIMIT 1")
    if inc and inc[0][0]:
        p = node.run("update", inc[0][0].lower(), "--report", f, expect=1)
        assert field in p.stderr, p.stderr
    assert node.rows() == before


def test_syntax_error_names_line_and_column(node, tmp_path):
    before = node.rows()
    f = tmp_path / "syntax.json"
    f.write_text('{\n  "category": "other",\n  "level": 1\n  "summary": "x"\n}\n')
    p = node.run("send", "--report", f, "--to", "452025", expect=1)
    assert f"{f}:4:" in p.stderr and "JSON syntax error" in p.stderr, p.stderr
    assert node.rows() == before


def test_unknown_recipient_nothing_written(node):
    before = node.rows()
    p = node.run("send", "--report", REPORT_1, "--to", "452025,999999",
                 expect=1)
    assert "--to" in p.stderr and "999999" in p.stderr, p.stderr
    assert node.rows() == before


def test_japanese_everywhere_accepted(node, tmp_path):
    f = tmp_path / "ja.json"
    f.write_text(json.dumps({
        "title": "庁内ネットワーク障害", "category": "system_outage",
        "subtypes": ["機器故障"], "level": 1,
        "summary": "本庁舎の基幹スイッチ故障により、窓口業務が一時停止した。",
        "location": "本庁舎 サーバ室", "other": "特記事項なし"},
        ensure_ascii=False))
    before = node.rows()
    inc, mid = node.send(f, "452025")
    after = node.rows()
    assert after["outbox"] == before["outbox"] + 1
    shown = node.show(mid)
    assert shown["report"]["title"] == "庁内ネットワーク障害"
    assert shown["report"]["category"] == "system_outage"
