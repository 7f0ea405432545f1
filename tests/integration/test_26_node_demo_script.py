"""Scenario 26: `make demo`'s script itself (deploy/demo/run.sh) runs from
start to end without a terminal, leaves the federation running, and
`run.sh stop` stops every process it started. Run in a temporary demo
directory (KAIRAN_DEMO_DIR) so that a developer's own demo is untouched,
on ports the kernel chose (two runs at once never collide).

The federation facts are checked on the processes' own records (relay
logs, the nodes' databases and `--json` output), not only on what the
script prints: three relays with their links (relay-45 -> hub, relay-46 ->
hub, relay-45 -> relay-46); the 第1報 of 都城市 in every recipient's inbox
on both sides of the border and at mic, with every DELIVERED receipt back
at 都城市 and a QUEUED receipt from each home relay (志布志市's node is
offline at first: relay-46 holds the report for it until it comes up); the 第2報 reaching mic
and the Kagoshima side while relay-45 was down (received before relay-45
was started again) and the rest after; each report exactly once in every
inbox. Its traffic is an exercise (訓練): signed as EXERCISE, shown as such,
and the script says so. relay-45's console: the script prints its address
and the demo operator's login, which works over HTTPS and shows the
incident as an exercise."""
import http.client
import json
import os
import re
import sqlite3
import ssl
import subprocess

from harness import BIN, BUILD, ROOT, TIMEOUT, wait_for

SCRIPT = ROOT / "deploy" / "demo" / "run.sh"

SENDER = "452025"                                   # 都城市
MIYAZAKI = ["450006", "452017", "452041", "452050", "452076", "453412",
            "453617"]                               # 宮崎県 and its side
KAGOSHIMA = ["460001", "462179", "462187", "462217"]  # 鹿児島県 and its side
# 宮崎県 holds a route to the hub too; the municipalities of its side only
# the one to relay-45.
EARLY = ["mic", "450006"] + KAGOSHIMA
LATE = MIYAZAKI[1:]
RECIPIENTS = MIYAZAKI + KAGOSHIMA + ["mic"]
RELAYS = ["relay-45", "relay-46", "relay-national"]
OFF = "462217"      # 志布志市: offline when the 第1報 is sent


def alive(pid):
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    with open(f"/proc/{pid}/stat") as f:
        return f.read().split()[2] != "Z"


def pids_of(demo):
    d = demo / "pids"
    if not d.is_dir():
        return []
    return [int((d / f).read_text()) for f in os.listdir(d)]


def test_demo_script(tmp_path):
    demo = tmp_path / "demo"
    env = dict(os.environ, KAIRAN_BIN=str(BIN), KAIRAN_BUILD=str(BUILD),
               KAIRAN_DEMO_DIR=str(demo), CI="true")
    env.pop("TERM", None)
    pids = []
    try:
        p = subprocess.run(["bash", str(SCRIPT)], env=env, text=True,
                           stdin=subprocess.DEVNULL, capture_output=True,
                           timeout=TIMEOUT * 10)
        # kept for a failing run: what the demo printed
        (tmp_path / "demo.out").write_text(p.stdout + p.stderr)
        assert p.returncode == 0, p.stdout[-4000:] + p.stderr[-4000:]
        out = p.stdout
        n = len(RECIPIENTS)
        assert f"delivered {n}/{n}, acknowledged 0/{n}" in out, out
        assert f"delivered {n}/{n}, acknowledged 5/{n}" in out, out
        assert "第2報" in out and "make demo-stop" in out
        assert "訓練 (EXERCISE)" in out and "--exercise" in out, out
        logs = {r: (demo / "logs" / f"{r}.log").read_text() for r in RELAYS}

        # three relays, each on the port it logged, with their links
        for r in RELAYS:
            conf = (demo / "relays" / r / "relay.conf").read_text()
            assert "listen = 127.0.0.1:0" not in conf, conf
        assert logs["relay-45"].count("link=national ready") >= 2  # restart
        assert logs["relay-45"].count("link=p46 ready") >= 2
        assert "link=national ready" in logs["relay-46"]
        assert "entity=relay-45 role=relay link=p45" in logs["relay-46"]
        hub = logs["relay-national"]
        assert "entity=relay-45 role=relay link=p45" in hub
        assert "entity=relay-46 role=relay link=p46" in hub

        def cli(nid, *args):
            return json.loads(subprocess.run(
                [str(BIN / "kairan-node"), "-f",
                 str(demo / "nodes" / nid / "node.conf"), *args, "--json"],
                capture_output=True, text=True, check=True).stdout)

        def db(nid, sql, *args):
            c = sqlite3.connect(f"file:{demo}/nodes/{nid}/node.db?mode=ro",
                                uri=True, timeout=TIMEOUT)
            try:
                return c.execute(sql, args).fetchall()
            finally:
                c.close()

        sent = re.findall(r"incident [0-9a-f]{32} message ([0-9a-f]{32})", out)
        assert len(sent) == 2, out
        msg1, msg2 = sent

        # 第1報 and 第2報: every recipient (both sides of the border, mic)
        # DELIVERED at 都城市, as signed receipts from the recipients
        for mid in sent:
            s = cli(SENDER, "status", mid)
            assert s["status"] == "EXERCISE"
            assert sorted(r["entity"] for r in s["recipients"]) == \
                sorted(RECIPIENTS), s
            assert all(r["state"] in ("delivered", "acknowledged")
                       for r in s["recipients"]), s
            signers = {x for (x,) in db(
                SENDER, "SELECT signer FROM receipt_in WHERE ref_id = ? "
                "AND state = 1", bytes.fromhex(mid))}
            assert signers == set(RECIPIENTS), signers
        acked = {x for (x,) in db(
            SENDER, "SELECT signer FROM receipt_in WHERE ref_id = ? "
            "AND state = 2", bytes.fromhex(msg1))}
        assert acked == {"450006", "mic", "462187", "462179", "452017"}

        # the held-at-relay stage: each home relay wrote its QUEUED receipt
        for mid in sent:
            for r, held in (("relay-45", 7), ("relay-46", 4),
                            ("relay-national", 1)):
                assert f"queued id={mid} sender={SENDER} held={held}" in \
                    logs[r], (r, mid)
        assert "held at the home relays" in out
        # A node that knows QUEUED receipts (its status --json counts
        # "held") records them, and shows 志布志市 held at relay-46: its
        # node was offline when the 第1報 came.
        s1 = cli(SENDER, "status", msg1)
        if "held" in s1:
            for mid in sent:
                writers = {x for (x,) in db(
                    SENDER, "SELECT signer FROM receipt_in WHERE ref_id = ? "
                    "AND state = 4", bytes.fromhex(mid))}
                assert writers == set(RELAYS), (mid, writers)
            (shibushi,) = [r for r in s1["recipients"]
                           if r["entity"] == OFF]
            assert shibushi["held_by"] == "relay-46", shibushi
            assert f"{OFF}  志布志市  held at relay-46 since" in out, out

        # each report exactly once in every inbox, shown as 訓練
        for nid in RECIPIENTS:
            box = cli(nid, "inbox", "--all")
            assert sorted(x["id"] for x in box) == sorted(sent), (nid, box)
            assert all(x["status"] == "EXERCISE" and x["exercise"]
                       for x in box), box
        inbox_text = out[out.index("the inbox of 霧島市"):]
        assert inbox_text.count("訓練") >= 2, inbox_text

        # 第2報 while relay-45 was down: mic, 宮崎県 and the Kagoshima side
        # had it before relay-45 was started again (its pid file is
        # written then), the Miyazaki municipalities only after
        restart_ms = (demo / "pids" / "relay-45").stat().st_mtime_ns // 10**6
        for nid in EARLY + LATE:
            (got,) = db(nid, "SELECT received_ms FROM inbox WHERE id = ?",
                        bytes.fromhex(msg2))
            if nid in EARLY:
                assert got[0] < restart_ms, (nid, got, restart_ms)
            else:
                assert got[0] > restart_ms, (nid, got, restart_ms)
        assert "still waiting for relay-45" in out, out

        # the console of relay-45: its address and the demo operator's
        # login are printed, and that login works over HTTPS with the
        # demo's certificate; the incident is there, marked 訓練
        m = re.search(r"https://localhost:(\d+)/\n\s+operator: demo\s+"
                      r"password: (demo-[0-9a-f]{12})", out)
        assert m, out
        port, password = int(m.group(1)), m.group(2)
        assert (demo / "console-password").read_text().strip() == password
        assert (demo / "console-password").stat().st_mode & 0o077 == 0
        ctx = ssl.create_default_context(
            cafile=str(demo / "pki" / "console-cert.pem"))

        def console(method, path, body=None, headers=None):
            c = http.client.HTTPSConnection("localhost", port, context=ctx,
                                            timeout=TIMEOUT)
            try:
                c.request(method, path, body=body, headers=headers or {})
                r = c.getresponse()
                return r.status, r.getheader("set-cookie"), r.read()
            finally:
                c.close()
        st, cookie, _ = console("POST", "/login", json.dumps(
            {"name": "demo", "password": password}),
            {"Content-Type": "application/json"})
        assert st == 200 and cookie.startswith("kairan_session=")
        st, _, body = console("GET", "/api/incidents",
                              headers={"Cookie": cookie.split(";")[0]})
        assert st == 200, body
        (inc,) = json.loads(body)["incidents"]
        assert inc["sender"] == SENDER and inc["status"] == "exercise"
        assert inc["reports"] == 2

        pids += pids_of(demo)
        assert len(pids) == 3 + len(RECIPIENTS) + 1     # relays, nodes
        assert all(alive(pid) for pid in pids)     # left running
    finally:
        if not pids:
            pids += pids_of(demo)
        s = subprocess.run(["bash", str(SCRIPT), "stop"], env=env, text=True,
                           capture_output=True, timeout=TIMEOUT)
        if s.returncode != 0:   # never leave a federation behind
            for pid in pids:
                if alive(pid):
                    os.kill(pid, 9)
    assert s.returncode == 0, s.stderr
    wait_for(lambda: not any(alive(pid) for pid in pids), what="demo stopped")
    assert os.listdir(demo / "pids") == []
