"""show ID --save DIR: a report's attachments written into DIR after
checking each one's SHA-256; a mismatch, or a name that could leave DIR
or pass for another (absolute, "..", a slash, control characters, bidi
overrides, empty), is refused with the attachment named and nothing is
written; an existing file is never overwritten (name-1.ext, said so); a
folder that cannot be opened names itself and the reason."""
import hashlib
import json
import os

import pytest

from nodeharness import Node
from planted import attachment, plant


@pytest.fixture()
def node(tmp_path, pki):
    return Node(tmp_path, pki, "450006", {"r": "wss://127.0.0.1:9/"})


def listing(d):
    return sorted(os.listdir(d))


def test_save_writes_checked_files_and_never_overwrites(node, tmp_path):
    memo = "日報\n".encode() * 100
    log = bytes(range(256))
    mid, inc = plant(node, attachments=[attachment("memo.txt", memo),
                                        attachment("log.bin", log)])
    out = tmp_path / "out"
    out.mkdir()
    (out / "log.bin").write_bytes(b"mine")
    p = node.run("show", mid, "--save", out)
    assert p.stdout.splitlines() == [
        f"saved {out}/memo.txt ({len(memo)} bytes, sha256 ok)",
        f"saved {out}/log-1.bin ({len(log)} bytes, sha256 ok; log.bin "
        f"exists, not overwritten)"], p.stdout
    assert (out / "memo.txt").read_bytes() == memo
    assert (out / "log.bin").read_bytes() == b"mine"
    assert (out / "log-1.bin").read_bytes() == log
    # Again, through the incident id: new names again, nothing replaced.
    p = node.run("show", inc, "--save", out)
    assert "memo-1.txt" in p.stdout and "log-2.bin" in p.stdout
    assert (out / "memo.txt").read_bytes() == memo
    assert listing(out) == ["log-1.bin", "log-2.bin", "log.bin",
                            "memo-1.txt", "memo.txt"]


def test_save_of_a_report_we_sent(node, tmp_path):
    (tmp_path / "evidence.eml").write_bytes(b"From: attacker\n")
    report = tmp_path / "r.json"
    report.write_text(json.dumps({
        "category": "cyber_attack", "level": 2, "summary": "添付あり",
        "attachments": [{"name": "evidence.eml", "media_type":
                         "message/rfc822", "path": "evidence.eml"}]},
        ensure_ascii=False))
    mid = node.run("send", "--report", report, "--to", "452017").stdout \
        .split()[3]
    out = tmp_path / "saved"
    out.mkdir()
    node.run("show", mid, "--save", out)
    assert (out / "evidence.eml").read_bytes() == b"From: attacker\n"


def test_save_refuses_a_digest_mismatch(node, tmp_path):
    good = attachment("ok.txt", b"ok")
    bad = attachment("report.pdf", b"%PDF-1.7 forged",
                     sha256=hashlib.sha256(b"%PDF-1.7 original").digest())
    mid, _ = plant(node, attachments=[good, bad])
    out = tmp_path / "out"
    out.mkdir()
    p = node.run("show", mid, "--save", out, expect=1)
    assert "attachment 2 \"report.pdf\"" in p.stderr, p.stderr
    assert "SHA-256 mismatch" in p.stderr
    assert hashlib.sha256(b"%PDF-1.7 original").hexdigest() in p.stderr
    assert "nothing saved" in p.stderr
    assert listing(out) == []


@pytest.mark.parametrize("name,why", [
    ("../escape.txt", "\"/\""),
    ("/etc/cron.d/x", "\"/\""),
    ("sub/dir.txt", "\"/\""),
    ("..", "\"..\""),
    (".", "\".\""),
    ("", "empty"),
    ("a\\b.txt", "\"\\\""),
    ("x\x1b[2J.txt", "control characters"),
    ("invoice\u202etxt.exe", "bidi"),
    ("new\nline.txt", "control characters"),
    ("長" * 90 + ".txt", "longer than 256 bytes"),
])
def test_save_refuses_names_that_escape(node, tmp_path, name, why):
    mid, _ = plant(node, attachments=[attachment("fine.txt", b"1"),
                                      attachment(name, b"2")])
    out = tmp_path / "out"
    out.mkdir()
    p = node.run("show", mid, "--save", out, expect=1)
    assert "attachment 2" in p.stderr and "refused" in p.stderr, p.stderr
    assert why in p.stderr, p.stderr
    assert "\x1b" not in p.stderr and "\u202e" not in p.stderr
    assert listing(out) == []
    assert not (tmp_path / "escape.txt").exists()


def test_save_refuses_a_name_with_a_nul(node, tmp_path):
    # protobuf-c would cut "evil\0/../../x" to "evil": the report is not
    # shown or saved under a name other than the one signed.
    mid, _ = plant(node, attachments=[attachment("evil\x00/../../x", b"2")])
    out = tmp_path / "out"
    out.mkdir()
    p = node.run("show", mid, "--save", out, expect=1)
    assert "attachments.name: embedded NUL" in p.stderr, p.stderr
    assert listing(out) == []


def test_save_into_a_missing_folder(node, tmp_path):
    mid, _ = plant(node, attachments=[attachment("a.txt", b"a")])
    p = node.run("show", mid, "--save", tmp_path / "nope", expect=1)
    assert p.stderr.strip() == (f"kairan-node: show: --save: cannot open "
                                f"{tmp_path}/nope: No such file or directory")
    p = node.run("show", mid, "--save", tmp_path / "x", "--json", expect=2)
    mid2, _ = plant(node)
    assert node.run("show", mid2, "--save", tmp_path).stdout == \
        "no attachments\n"
