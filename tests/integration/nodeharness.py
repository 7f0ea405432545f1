"""Integration-test harness for kairan-node: a node with its own
configuration, database and log, its daemon, and its command line.

Builds on harness.py (Process, Pki, Relay, wait_for): nothing here sleeps
blindly; every wait polls a log line or the node's own status output.
"""
import json
import signal
import sqlite3
import subprocess
from pathlib import Path

import harness
from harness import BIN, DIRECTORY, ROOT, TIMEOUT, Process, wait_for

REPORT_1 = ROOT / "deploy" / "demo" / "report-1.json"
REPORT_2 = ROOT / "deploy" / "demo" / "report-2.json"

PREF = "450006"
SENDER = "452017"
NEIGHBOURS = ["452025", "452041", "452050", "452084", "453412", "453820",
              "453838", "454028"]


class NodeError(AssertionError):
    pass


class Node:
    """One kairan-node: node.conf with a [route NAME] per relay in routes
    (a dict NAME -> Relay or URL), its database, its daemon."""

    def __init__(self, workdir, pki, nid, routes, extra=None):
        self.id = nid
        self.pki = pki
        self.dir = Path(workdir) / f"node-{nid}"
        self.dir.mkdir(parents=True, exist_ok=True)
        self.db = self.dir / "node.db"
        self.conf = self.dir / "node.conf"
        self.routes = dict(routes)
        e = pki.entity(nid)
        lines = [
            "[node]",
            f"id = {nid}",
            f"db = {self.db}",
            f"cert = {e / 'chain.pem'}",
            f"key = {e / 'key.pem'}",
            f"ca = {pki.ca}",
            f"crl = {pki.crl}",
            f"directory = {DIRECTORY}",
            "log_level = debug",
        ]
        for k, v in (extra or {}).items():
            lines.append(f"{k} = {v}")
        for name, r in self.routes.items():
            url = r if isinstance(r, str) else r.url
            lines += ["", f"[route {name}]", f"url = {url}"]
        self.conf.write_text("\n".join(lines) + "\n")
        self.process = Process([BIN / "kairan-node", "-f", self.conf, "run"],
                               self.dir / "node.log")

    # -- the daemon --

    def start(self, wait=True):
        """Starts the daemon; with wait, until every route says ready."""
        self.process.start()
        if wait:
            for name in self.routes:
                self.wait_ready(name)
        return self

    def wait_ready(self, route, timeout=TIMEOUT, since_start=True):
        return self.process.wait_log(r"route=%s ready" % route, timeout,
                                     since_start)

    def wait_log(self, pattern, timeout=TIMEOUT, since_start=True):
        return self.process.wait_log(pattern, timeout, since_start)

    def count(self, pattern):
        return self.process.count(pattern)

    def stop(self):
        rc = self.process.stop()
        assert rc == 0, f"node {self.id} exited {rc}:\n{self.log()[-3000:]}"

    def kill(self):
        """SIGKILL: no chance to clean up."""
        self.process.kill()

    def hup(self):
        self.process.signal(signal.SIGHUP)

    def alive(self):
        return self.process.alive()

    def log(self):
        return self.process.text(since_start=False)

    # -- the command line --

    def run(self, *args, check=True, expect=0):
        """Runs `kairan-node -f node.conf ARGS`; with check, asserts the
        exit code is expect. Returns the CompletedProcess."""
        p = subprocess.run([str(BIN / "kairan-node"), "-f", str(self.conf),
                            *map(str, args)], capture_output=True, text=True,
                           timeout=TIMEOUT * 2)
        if check and p.returncode != expect:
            raise NodeError(f"kairan-node {self.id} {' '.join(map(str, args))}"
                            f": exit {p.returncode} (want {expect})\n"
                            f"stdout: {p.stdout}\nstderr: {p.stderr}")
        return p

    def json(self, *args):
        return json.loads(self.run(*args, "--json").stdout)

    def _ids(self, out):
        # "incident <32 hex> message <32 hex>"
        w = out.split()
        assert len(w) == 4 and w[0] == "incident" and w[2] == "message", out
        assert len(w[1]) == 32 and len(w[3]) == 32, out
        return w[1], w[3]

    def send(self, report, to, exercise=False):
        """Returns (incident, message)."""
        args = ["send", "--report", report, "--to", to]
        if exercise:
            args.append("--exercise")
        return self._ids(self.run(*args).stdout)

    def update(self, incident, report, to=None, reopen=False):
        args = ["update", incident, "--report", report]
        if to:
            args += ["--to", to]
        if reopen:
            args.append("--reopen")
        return self._ids(self.run(*args).stdout)

    def close(self, incident, summary=None, reopen=False):
        args = ["close", incident]
        if summary:
            args += ["--summary", summary]
        if reopen:
            args.append("--reopen")
        return self._ids(self.run(*args).stdout)

    def final(self, incident, summary=None, report=None):
        args = ["final", incident]
        if summary:
            args += ["--summary", summary]
        if report:
            args += ["--report", report]
        return self._ids(self.run(*args).stdout)

    def withdraw(self, incident, reason):
        return self._ids(self.run("withdraw", incident, "--reason",
                                  reason).stdout)

    def sent(self):
        return self.json("sent")

    def ack(self, mid, by, note=None):
        args = ["ack", mid, "--by", by]
        if note:
            args += ["--note", note]
        return self.run(*args).stdout

    def status(self, mid):
        return self.json("status", mid)

    def inbox(self, all=True):
        return self.json("inbox", *(["--all"] if all else []))

    def inbox_text(self, all=True):
        return self.run("inbox", *(["--all"] if all else [])).stdout

    def show(self, mid):
        return self.json("show", mid)

    def form(self, mid):
        return self.run("show", mid, "--form").stdout

    def has(self, mid):
        """1 if mid is in this node's inbox (or outbox)."""
        return self.run("show", mid, "--json", check=False).returncode == 0

    # -- waiting on receipts --

    def wait_status(self, mid, cond, what="status", timeout=TIMEOUT):
        """Polls `status MID --json` until cond(status) holds; returns it."""
        last = {}

        def ok():
            last["s"] = self.status(mid)
            return last["s"] if cond(last["s"]) else None
        try:
            return wait_for(ok, timeout, what, interval=0.1)
        except AssertionError as e:
            raise AssertionError(f"{e}; last status: "
                                 f"{json.dumps(last.get('s'), ensure_ascii=False)}")

    def wait_delivered(self, mid, timeout=TIMEOUT):
        return self.wait_status(
            mid, lambda s: s["delivered"] == s["total"],
            f"{mid} delivered to all", timeout)

    def wait_acknowledged(self, mid, n, timeout=TIMEOUT):
        return self.wait_status(mid, lambda s: s["acknowledged"] >= n,
                                f"{mid} acknowledged by {n}", timeout)

    def wait_inbox(self, mid, timeout=TIMEOUT):
        return wait_for(lambda: self.has(mid), timeout,
                        f"{mid} in the inbox of {self.id}", interval=0.1)

    # -- the database (read only) --

    def query(self, sql, args=()):
        if not self.db.exists():
            return []
        c = sqlite3.connect(f"file:{self.db}?mode=ro", uri=True)
        try:
            return c.execute(sql, args).fetchall()
        finally:
            c.close()

    def rows(self):
        """Row counts of every table of the node's store."""
        if not self.db.exists():
            return {}
        tables = [t for (t,) in self.query(
            "SELECT name FROM sqlite_master WHERE type = 'table' "
            "AND name NOT LIKE 'sqlite_%'")]
        return {t: self.query(f'SELECT count(*) FROM "{t}"')[0][0]
                for t in tables}


class Federation:
    """Relays and nodes of one test, stopped (cleanly) at the end."""

    def __init__(self, workdir, pki):
        self.workdir = Path(workdir)
        self.pki = pki
        self.relays = []
        self.nodes = {}

    def relay(self, rid="relay-45", serve="45 mic", start=True, **kw):
        r = harness.Relay(self.workdir / f"r{len(self.relays)}", self.pki,
                          rid=rid, serve=serve, **kw)
        self.relays.append(r)
        if start:
            r.start()
        return r

    def node(self, nid, routes, start=True, wait=True):
        n = Node(self.workdir, self.pki, nid, routes)
        self.nodes[nid] = n
        if start:
            n.start(wait=wait)
        return n

    def close(self):
        errors = []
        for n in self.nodes.values():
            if n.alive():
                try:
                    n.stop()
                except AssertionError as e:
                    errors.append(str(e))
        for r in self.relays:
            if r.process.alive():
                try:
                    r.stop()
                except AssertionError as e:
                    errors.append(str(e))
        assert not errors, "\n".join(errors)


try:
    import pytest

    @pytest.fixture()
    def fed(tmp_path, pki):
        """A Federation for one test; everything stopped cleanly after."""
        f = Federation(tmp_path, pki)
        try:
            yield f
        finally:
            f.close()
except ImportError:  # used outside pytest
    pass
