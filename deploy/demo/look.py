#!/usr/bin/env python3
"""The demo's eyes (deploy/demo/run.sh): reads the directory, the nodes'
`--json` output and the relays' logs, polls for the conditions the demo
waits on (never a fixed sleep), and prints aligned tables. Japanese names
are padded by display width (East Asian wide characters take two columns),
as the node's own tables are.

    look.py neighbours DIRECTORY ID PP      ID's neighbours in prefecture PP
    look.py table relays < ID|URL|ROLE      the relays of the federation
    look.py nodes [--off IDS] ID...         nodes and their routes
    look.py watch SENDER MSG --until delivered|acknowledged=N [--only IDS]
                 [--rows IDS] [--held IDS] [--quiet]
                                            each receipt as it comes back
                                            (--rows: only those recipients;
                                            --held: until those are held at
                                            a relay, if the node shows it)
    look.py held MSG                        the QUEUED receipts (relay logs)
    look.py wait-inbox ID MSG               until ID's inbox holds MSG
    look.py pending SENDER MSG ID...        those not reached yet (asserted)
    look.py inboxes MSG[,MSG] ID...         each exactly once (asserted)

Every verb but neighbours takes --bin DIR and --demo DIR (run.sh passes
them). Exit status 1 with a message on stderr when a wait times out or an
assertion fails: the demo stops there, saying what did not happen.
"""
import argparse
import json
import os
import re
import subprocess
import sys
import time
import unicodedata

TIMEOUT = float(os.environ.get("DEMO_TIMEOUT", "30"))


def width(s):
    return sum(2 if unicodedata.east_asian_width(c) in "WF" else 1 for c in s)


def pad(s, n):
    return s + " " * max(0, n - width(s))


def table(rows, indent="  "):
    """Prints rows (lists of strings) in columns aligned by display width."""
    if not rows:
        return
    ws = [max(width(r[i]) for r in rows if i < len(r))
          for i in range(max(len(r) for r in rows))]
    for r in rows:
        cells = [pad(c, ws[i]) if i < len(r) - 1 else c
                 for i, c in enumerate(r)]
        print(indent + "  ".join(cells).rstrip())
    sys.stdout.flush()


def fail(msg):
    sys.stdout.flush()
    print(f"demo: {msg}", file=sys.stderr)
    sys.exit(1)


class Demo:
    def __init__(self, bin_dir, demo_dir):
        self.bin = bin_dir
        self.dir = demo_dir
        with open(os.path.join(demo_dir, "directory.json"),
                  encoding="utf-8") as f:
            d = json.load(f)
        self.names = {e["id"]: e["name"] for e in d["entities"]}

    def name(self, nid):
        return self.names.get(nid, nid)

    def node(self, nid, *args, check=True):
        p = subprocess.run(
            [os.path.join(self.bin, "kairan-node"), "-f",
             os.path.join(self.dir, "nodes", nid, "node.conf"), *args,
             "--json"], capture_output=True, text=True)
        if p.returncode != 0:
            if check:
                fail(f"kairan-node {nid} {' '.join(args)}: "
                     f"{p.stderr.strip()}")
            return None
        return json.loads(p.stdout)

    def routes(self, nid):
        path = os.path.join(self.dir, "nodes", nid, "node.conf")
        with open(path, encoding="utf-8") as f:
            text = f.read()
        return re.findall(r"^\[route (\S+)\]\s*\nurl = wss://127\.0\.0\.1:"
                          r"(\d+)", text, re.M)

    def relay_of_port(self):
        out = {}
        rdir = os.path.join(self.dir, "relays")
        for rid in os.listdir(rdir):
            try:
                with open(os.path.join(rdir, rid, "port")) as f:
                    out[f.read().strip()] = rid
            except FileNotFoundError:
                pass
        return out


def hhmmss(jst):
    """'2026-12-02T09:00:01.234+09:00' -> '09:00:01' (JST as the node
    prints it); anything else as it is."""
    m = re.search(r"T(\d\d:\d\d:\d\d)", jst or "")
    return m.group(1) if m else (jst or "")


def held_of(r):
    """The held-at-relay stage of a recipient in `status --json`, if the
    node shows it (relay, since) or None. Tolerant: the field is newer than
    this demo's first version."""
    h = r.get("held")
    if isinstance(h, dict):
        return (h.get("relay") or h.get("by") or "?",
                h.get("since") or h.get("at") or "")
    for k in ("held_by", "held_at_relay", "queued_by"):
        if r.get(k):
            return (r[k], r.get("held_since") or r.get("held_at") or
                    r.get("queued_at") or "")
    if isinstance(h, str) and h:
        return (h, r.get("held_since") or r.get("held_at") or "")
    return None


def stage(r):
    """pending / held at relay-46 since HH:MM:SS / delivered HH:MM:SS /
    acknowledged HH:MM:SS by NAME / rejected: REASON."""
    st = r.get("state") or "pending"
    if st == "acknowledged":
        return f"acknowledged {hhmmss(r.get('acknowledged_at'))} " \
               f"({r.get('acknowledged_by') or ''})"
    if st == "delivered":
        return f"delivered    {hhmmss(r.get('delivered_at'))}"
    if st == "rejected":
        return f"rejected: {r.get('reason') or ''}"
    h = held_of(r)
    if h is not None:
        return f"held at {h[0]} since {hhmmss(h[1])}"
    return st


def progress(s):
    """The node's own progress line; with the held count where the node
    reports it (a node that knows QUEUED receipts)."""
    line = "delivered %d/%d, acknowledged %d/%d" % (
        s["delivered"], s["total"], s["acknowledged"], s["total"])
    if isinstance(s.get("held"), int) and s["held"] > 0:
        line += ", held at a relay %d" % s["held"]
    return line


def cmd_watch(dm, a):
    """Polls the sender's status; prints a line for every recipient whose
    stage changed, then the progress line; until the condition holds."""
    field, _, want = a.until.partition("=")
    if field not in ("delivered", "acknowledged"):
        fail(f"--until: {a.until}: expected delivered or acknowledged=N")
    only = set(a.only.split(",")) if a.only else None
    seen, last = {}, None
    end = time.monotonic() + TIMEOUT * 2
    while True:
        s = dm.node(a.sender, "status", a.msg)
        rows = []
        for r in s["recipients"]:
            e, now = r["entity"], stage(r)
            if seen.get(e) != now:
                seen[e] = now
                rows.append([e, dm.name(e), now])
        if a.rows is not None:
            # those recipients only; still pending at the first look: as
            # the previous step showed them
            rows = [r for r in rows if r[0] in a.rows.split(",") and
                    not (last is None and r[2] == "pending")]
        if rows and not a.quiet:
            table(rows, indent="  ")
        line = progress(s)
        if line != last:
            last = line
            print("  " + line)
            sys.stdout.flush()
        rcpts = [r for r in s["recipients"]
                 if only is None or r["entity"] in only]
        if field == "delivered":
            done = all(r["state"] in ("delivered", "acknowledged")
                       for r in rcpts)
        else:
            done = s["acknowledged"] >= int(want or s["total"])
        # --held: those recipients held at a relay too, when the node
        # shows that stage (its status counts "held"); else not waited for
        if a.held and "held" in s:
            done = done and all(held_of(r) is not None for r in
                                s["recipients"]
                                if r["entity"] in a.held.split(","))
        if done:
            return
        if time.monotonic() > end:
            missing = [r["entity"] for r in rcpts if r["state"] not in
                       ("delivered", "acknowledged")]
            fail(f"message {a.msg}: {a.until} not reached after "
                 f"{TIMEOUT * 2:.0f}s (still waiting for {' '.join(missing)})")
        time.sleep(0.2)


def cmd_held(dm, a):
    """The QUEUED receipts (held-at-relay stage) as the home relays logged
    them: `queued id=MSG sender=... held=N`."""
    rows = []
    for rid in ("relay-45", "relay-46", "relay-national"):
        try:
            with open(os.path.join(dm.dir, "logs", rid + ".log"),
                      encoding="utf-8", errors="replace") as f:
                text = f.read()
        except FileNotFoundError:
            continue
        for m in re.finditer(r"queued id=" + a.msg +
                             r" sender=(\S+) held=(\d+)", text):
            rows.append([rid, f"holds it for {m.group(2)} recipient(s)",
                         f"QUEUED receipt to {m.group(1)}"])
    if rows:
        print("  held at the home relays (their QUEUED receipts):")
        table(rows, indent="    ")


def cmd_wait_inbox(dm, a):
    end = time.monotonic() + TIMEOUT
    while dm.node(a.id, "show", a.msg, check=False) is None:
        if time.monotonic() > end:
            fail(f"{a.id}: message {a.msg} not received after {TIMEOUT:.0f}s")
        time.sleep(0.2)


def cmd_pending(dm, a):
    """Those recipients have not got MSG (nothing could reach them): their
    inboxes lack it and the sender's status shows them not delivered."""
    s = dm.node(a.sender, "status", a.msg)
    st = {r["entity"]: r for r in s["recipients"]}
    rows = []
    for nid in a.ids:
        if dm.node(nid, "show", a.msg, check=False) is not None:
            fail(f"{nid} already holds {a.msg} while its relay is down")
        r = st.get(nid)
        if r is None or r["state"] in ("delivered", "acknowledged"):
            fail(f"{nid}: the sender's status says {r and r['state']}")
        rows.append([nid, dm.name(nid), stage(r),
                     "(only a route to relay-45)"])
    print("  still waiting for relay-45:")
    table(rows, indent="    ")


def cmd_inboxes(dm, a):
    """Each of the messages exactly once in every inbox given."""
    msgs = a.msgs.split(",")
    labels = ["第1報", "第2報"] if len(msgs) == 2 else ["received"]
    rows, bad = [], []
    for nid in a.ids:
        box = dm.node(nid, "inbox", "--all")
        ids = [x["id"] for x in box]
        row = [nid, dm.name(nid)]
        for m, lab in zip(msgs, labels):
            n = ids.count(m)
            row.append(f"{lab} x{n}")
            if n != 1:
                bad.append(f"{nid} holds {m} {n} times")
        rows.append(row)
    if a.title:
        print(f"  {a.title}:")
    table(rows, indent="    ")
    if bad:
        fail("; ".join(bad))


def cmd_nodes(dm, a):
    ports = dm.relay_of_port()
    off = set(a.off.split(",")) if a.off else set()
    rows = []
    for nid in a.ids:
        rs = [f"{r}→{ports.get(p, p)}" for r, p in dm.routes(nid)]
        rows.append([nid, dm.name(nid), "  ".join(rs)] +
                    (["(offline for now)"] if nid in off else []))
    table(rows)


def cmd_table(_dm, a):
    rows = [line.rstrip("\n").split("|") for line in sys.stdin if
            line.strip()]
    table(rows)


def cmd_neighbours(a):
    with open(a.directory, encoding="utf-8") as f:
        d = json.load(f)
    pref = {e["id"]: e["pref"] for e in d["entities"]}
    out = sorted({y for pair in d.get("adjacency", []) if a.id in pair
                  for y in pair if y != a.id and pref.get(y) == a.pp})
    print("\n".join(out))


def main():
    common = argparse.ArgumentParser(add_help=False)
    common.add_argument("--bin")
    common.add_argument("--demo")
    ap = argparse.ArgumentParser(prog="look.py")
    sub = ap.add_subparsers(dest="verb", required=True)

    def verb(name):
        return sub.add_parser(name, parents=[common])

    p = verb("neighbours")
    p.add_argument("directory")
    p.add_argument("id")
    p.add_argument("pp")
    p = verb("watch")
    p.add_argument("sender")
    p.add_argument("msg")
    p.add_argument("--until", default="delivered")
    p.add_argument("--only")
    p.add_argument("--quiet", action="store_true")
    p.add_argument("--rows")
    p.add_argument("--held")
    p = verb("held")
    p.add_argument("msg")
    p = verb("wait-inbox")
    p.add_argument("id")
    p.add_argument("msg")
    p = verb("pending")
    p.add_argument("sender")
    p.add_argument("msg")
    p.add_argument("ids", nargs="+")
    p = verb("inboxes")
    p.add_argument("--title")
    p.add_argument("msgs")
    p.add_argument("ids", nargs="+")
    p = verb("nodes")
    p.add_argument("--off")
    p.add_argument("ids", nargs="+")
    p = verb("table")
    p.add_argument("what")
    a = ap.parse_args()
    if a.verb == "neighbours":
        return cmd_neighbours(a)
    if not a.bin or not a.demo:
        fail(f"{a.verb}: --bin and --demo are needed")
    dm = Demo(a.bin, a.demo)
    {"watch": cmd_watch, "held": cmd_held, "wait-inbox": cmd_wait_inbox,
     "pending": cmd_pending, "inboxes": cmd_inboxes, "nodes": cmd_nodes,
     "table": cmd_table}[a.verb](dm, a)


if __name__ == "__main__":
    main()
