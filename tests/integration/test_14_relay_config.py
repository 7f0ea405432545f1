"""Scenario 14: `kairan-relay -n` says "configuration OK" or
"file:line: what is wrong", and a bad configuration never starts."""
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
