"""--help and -h work at the top level of every program and exit 0 with
the usage on stdout (and nothing on stderr), without a configuration;
every verb of kairan-node has --help too."""
import subprocess

import pytest

from harness import BIN, ROOT

PROGRAMS = {
    "kairan-node": (BIN / "kairan-node", "usage: kairan-node"),
    "kairan-relay": (BIN / "kairan-relay", "usage: kairan-relay"),
    "kairan-dir": (BIN / "kairan-dir", "usage: kairan-dir"),
    "kairan-pki": (ROOT / "certs" / "kairan-pki", "kairan-pki init DIR"),
}
VERBS = ["send", "update", "close", "final", "withdraw", "inbox", "show",
         "ack", "status", "sent", "template"]


@pytest.mark.parametrize("prog", sorted(PROGRAMS))
@pytest.mark.parametrize("flag", ["--help", "-h"])
def test_top_level_help(prog, flag, tmp_path):
    path, first = PROGRAMS[prog]
    p = subprocess.run([str(path), flag], capture_output=True, text=True,
                       cwd=tmp_path, timeout=30)
    assert p.returncode == 0, (p.returncode, p.stderr)
    assert first in p.stdout, p.stdout
    assert p.stderr == ""


@pytest.mark.parametrize("verb", VERBS)
def test_verb_help(verb, tmp_path):
    # -f names a file that does not exist: --help must not need it.
    p = subprocess.run([str(BIN / "kairan-node"), "-f", tmp_path / "none",
                        verb, "--help"], capture_output=True, text=True,
                       timeout=30)
    assert p.returncode == 0 and p.stderr == "", p.stderr
    assert f"kairan-node" in p.stdout and verb in p.stdout.split("\n")[0]


def test_send_help_points_to_the_report_format():
    p = subprocess.run([str(BIN / "kairan-node"), "send", "--help"],
                       capture_output=True, text=True, timeout=30)
    assert "node/REPORT.md" in p.stdout and "template" in p.stdout
    assert (ROOT / "node" / "REPORT.md").exists()


def test_wrong_usage_still_exits_2():
    for path, _ in PROGRAMS.values():
        p = subprocess.run([str(path), "--no-such-option"],
                           capture_output=True, text=True, timeout=30)
        assert p.returncode == 2, (path, p.returncode)


@pytest.mark.parametrize("args,message", [
    (["send", "--to", "@prefecture"], "send: --report is required"),
    (["send", "--report", "r.json"], "send: --to is required"),
    (["send", "--report", "r.json", "--to", "x", "extra"],
     'send: unexpected argument "extra"'),
    (["update", "--report", "r.json"], "update: one INCIDENT is required"),
    (["close"], "close: one INCIDENT is required"),
    (["ack", "0" * 32], "ack: --by is required"),
    (["ack", "0" * 32, "--by", ""], "ack: --by is required"),
    (["status", "0" * 32, "--wait", "soon"],
     'status: --wait: "soon" is not a number of seconds'),
    (["show", "0" * 32, "--json", "--form"],
     "show: --json, --form and --save exclude each other"),
    (["inbox", "--bogus"], "unrecognized option"),
    (["template", "x"], 'template: unexpected argument "x"'),
    (["withdraw", "0" * 32], "withdraw: --reason is required"),
    (["withdraw", "--reason", "x"], "withdraw: one INCIDENT is required"),
    (["final", "0" * 32, "--report", "r.json", "--summary", "x"],
     "final: --report and --summary exclude each other"),
    (["close", "0" * 32, "--reason", "x"], "unrecognized option"),
    (["sent", "x"], 'sent: unexpected argument "x"'),
    (["status", "abcde"], "at least 6"),
    (["show", "abcdefg!"], "at least 6"),
])
def test_verb_usage_errors(args, message, tmp_path):
    """One option parser for every verb: the same errors, exit 2, before
    any configuration is read."""
    p = subprocess.run([str(BIN / "kairan-node"), "-f", tmp_path / "none",
                        *args], capture_output=True, text=True, timeout=30)
    assert p.returncode == 2, (p.returncode, p.stderr)
    assert message in p.stderr, p.stderr
    assert "usage: kairan-node" in p.stderr and p.stdout == ""
