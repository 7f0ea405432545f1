"""Scenario 26: `make demo`'s script itself (deploy/demo/run.sh) runs from
start to end without a terminal, leaves the federation running, and
`run.sh stop` stops every process it started. Run in a temporary demo
directory (KAIRAN_DEMO_DIR) so that a developer's own demo is untouched,
and on a port the kernel chose (two runs at once never collide). Its
traffic is an exercise (訓練): signed as EXERCISE, shown as such, and the
script says so."""
import json
import os
import re
import subprocess

from harness import BIN, BUILD, ROOT, TIMEOUT, wait_for

SCRIPT = ROOT / "deploy" / "demo" / "run.sh"


def alive(pid):
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    with open(f"/proc/{pid}/stat") as f:
        return f.read().split()[2] != "Z"


def test_demo_script(tmp_path):
    demo = tmp_path / "demo"
    env = dict(os.environ, KAIRAN_BIN=str(BIN), KAIRAN_BUILD=str(BUILD),
               KAIRAN_DEMO_DIR=str(demo), CI="true")
    env.pop("TERM", None)
    pids = []
    try:
        p = subprocess.run(["bash", str(SCRIPT)], env=env, text=True,
                           stdin=subprocess.DEVNULL, capture_output=True,
                           timeout=TIMEOUT * 6)
        assert p.returncode == 0, p.stdout[-4000:] + p.stderr[-4000:]
        out = p.stdout
        assert "delivered 10/10, acknowledged 0/10" in out, out
        assert "delivered 10/10, acknowledged 5/10" in out, out
        assert "第2報" in out and "make demo-stop" in out
        # 訓練: said, shown by status and inbox, signed as EXERCISE
        assert "訓練 (EXERCISE)" in out, out
        assert "--exercise" in out
        assert "listen = 127.0.0.1:0" not in (demo / "relay" /
                                              "relay.conf").read_text()

        def cli(nid, *args):
            return json.loads(subprocess.run(
                [str(BIN / "kairan-node"), "-f",
                 str(demo / "nodes" / nid / "node.conf"), *args, "--json"],
                capture_output=True, text=True, check=True).stdout)
        sent = re.findall(r"incident [0-9a-f]{32} message ([0-9a-f]{32})", out)
        assert len(sent) == 2, out
        for mid in sent:
            assert cli("452017", "status", mid)["status"] == "EXERCISE"
        for nid in ("452025", "mic"):
            box = cli(nid, "inbox", "--all")
            assert sorted(x["id"] for x in box) == sorted(sent), box
            assert all(x["status"] == "EXERCISE" and x["exercise"]
                       for x in box), box
        inbox_text = out[out.index("the inbox of 都城市"):]
        assert inbox_text.count("訓練") >= 2, inbox_text
        pids += [int((demo / "pids" / f).read_text())
                 for f in os.listdir(demo / "pids")]
        assert len(pids) == 12
        assert all(alive(pid) for pid in pids)     # left running
    finally:
        if not pids and (demo / "pids").is_dir():
            pids += [int((demo / "pids" / f).read_text())
                     for f in os.listdir(demo / "pids")]
        s = subprocess.run(["bash", str(SCRIPT), "stop"], env=env, text=True,
                           capture_output=True, timeout=TIMEOUT)
    assert s.returncode == 0, s.stderr
    wait_for(lambda: not any(alive(pid) for pid in pids), what="demo stopped")
    assert os.listdir(demo / "pids") == []
