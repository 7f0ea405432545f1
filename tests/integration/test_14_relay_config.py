"""Scenario 14: `kairan-relay -n` says "configuration OK" or
"file:line: what is wrong", and a bad configuration never starts; a
port in use is named, and the start is undone without a leak."""
import os
import socket
import subprocess

import harness


def check(conf):
    return subprocess.run([str(harness.BIN / "kairan-relay"), "-f", str(conf),
                           "-n"], capture_output=True, text=True)


def test_good_configuration(tmp_path, pki):
    r = harness.Relay(tmp_path, pki)
    out = check(r.conf)
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip() == "configuration OK"


def test_errors_name_file_and_line(tmp_path, pki):
    r = harness.Relay(tmp_path, pki)
    good = r.conf.read_text().splitlines()
    cases = [
        ("listen = 127.0.0.1:99999", "listen"),
        ("max_frame = lots", "max_frame"),
        ("frobnicate = 1", 'unknown key "frobnicate"'),
        ("serve = 45 99", "serve"),
        ("id = 452018", "id"),
    ]
    for line, what in cases:
        conf = tmp_path / "bad.conf"
        key = line.split(" = ")[0]
        lines = [l for l in good if not l.startswith(key + " ")]
        lines.insert(3, line)
        conf.write_text("\n".join(lines) + "\n")
        out = check(conf)
        assert out.returncode == 1, (line, out.stdout)
        assert out.stderr.startswith(f"{conf}:4: "), (line, out.stderr)
        assert what in out.stderr, (line, out.stderr)


def test_files_are_checked(tmp_path, pki):
    r = harness.Relay(tmp_path, pki)
    conf = tmp_path / "bad.conf"
    # a certificate that is not the relay's own
    text = r.conf.read_text().replace(
        str(pki.entity("relay-45")), str(pki.entity("452017")))
    conf.write_text(text)
    out = check(conf)
    assert out.returncode == 1
    assert "452017" in out.stderr and "relay-45" in out.stderr


def test_port_in_use_is_named(tmp_path, pki):
    """A relay whose port is taken says which address it could not listen
    on and exits 1, its start undone: under ASan, nothing of ours leaks on
    that path (the mail route's libcurl handle did). lws 4.1.6 itself
    keeps 96 bytes of the vhost it failed to make; only that is
    suppressed."""
    supp = tmp_path / "lsan.supp"
    supp.write_text("leak:libwebsockets.so\n")
    env = dict(os.environ, LSAN_OPTIONS=f"suppressions={supp}")
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        r = harness.Relay(tmp_path, pki, port=port)
        out = subprocess.run([str(harness.BIN / "kairan-relay"), "-f",
                              str(r.conf)], capture_output=True, text=True,
                             timeout=harness.TIMEOUT, env=env)
    assert out.returncode == 1, out.stderr[-3000:]
    assert f"cannot listen on 127.0.0.1:{port}" in out.stderr, out.stderr
    assert "LeakSanitizer" not in out.stderr, out.stderr[-3000:]
