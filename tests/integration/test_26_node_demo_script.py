"""Scenario 26: `make demo`'s script itself (deploy/demo/run.sh) runs from
start to end without a terminal, leaves the federation running, and
`run.sh stop` stops every process it started. Run in a temporary demo
directory (KAIRAN_DEMO_DIR) so that a developer's own demo is untouched."""
import os
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
