"""kairan-node template prints an empty report that send accepts once
summary and level are filled in (and refuses, naming the field, before);
report files are read as people save them: a UTF-8 BOM is fine, a
Shift_JIS file is refused as not UTF-8 with its line, a file that cannot
be opened names its path and the reason; nothing reaches the outbox."""
import json

import pytest

from nodeharness import Node


@pytest.fixture()
def node(tmp_path, pki):
    return Node(tmp_path, pki, "452017", {"r": "wss://127.0.0.1:9/"})


def outbox(node):
    node.run("inbox")   # the database exists
    return node.query("SELECT count(*) FROM outbox")[0][0]


def test_template_filled_in_is_sent(node, tmp_path):
    t = node.run("template").stdout
    report = json.loads(t)
    path = tmp_path / "r.json"
    path.write_text(t)
    p = node.run("send", "--report", path, "--to", "@prefecture", expect=1)
    assert "report.level: missing" in p.stderr, p.stderr
    report["level"] = 1
    path.write_text(json.dumps(report, ensure_ascii=False, indent=2))
    p = node.run("send", "--report", path, "--to", "@prefecture", expect=1)
    assert "report.summary" in p.stderr, p.stderr
    assert outbox(node) == 0
    report["summary"] = "庁内LANの一部が停止した。"
    path.write_text(json.dumps(report, ensure_ascii=False, indent=2))
    inc, mid = node._ids(node.run("send", "--report", path, "--to",
                                  "@prefecture").stdout)
    shown = node.show(mid)["report"]
    assert shown["summary"] == "庁内LANの一部が停止した。"
    assert shown["category"] == "other" and shown["level"] == 1
    # The empty contact of the template is no contact: the form shows the
    # sender's point of contact from the directory.
    assert shown["contact"] is None
    assert "連絡先（名簿より）" in node.form(mid)
    assert outbox(node) == 1


def test_report_file_encodings(node, tmp_path):
    text = json.dumps({"category": "other", "level": 1,
                       "summary": "標的型攻撃メール"}, ensure_ascii=False,
                      indent=1)
    bom = tmp_path / "bom.json"
    bom.write_bytes(b"\xef\xbb\xbf" + text.encode())
    node.run("send", "--report", bom, "--to", "@prefecture")
    sjis = tmp_path / "sjis.json"
    sjis.write_bytes(text.encode("shift_jis"))
    p = node.run("send", "--report", sjis, "--to", "@prefecture", expect=1)
    line = 1 + text.split("標")[0].count("\n")
    assert p.stderr.strip() == (f"kairan-node: send: {sjis}: not UTF-8 "
                                f"(line {line}): save it as UTF-8"), p.stderr
    p = node.run("send", "--report", tmp_path / "no.json", "--to",
                 "@prefecture", expect=1)
    assert p.stderr.strip() == (f"kairan-node: send: cannot open "
                                f"{tmp_path}/no.json: No such file or "
                                f"directory"), p.stderr
    assert outbox(node) == 1
