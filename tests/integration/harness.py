"""Integration-test harness: real relays and nodes on loopback.

Paths come from the environment (tests/run.sh sets them):
  KAIRAN_BIN    directory with kairan-relay, kairan-node, kairan-dir
  KAIRAN_BUILD  build directory: py/kairan_pb2.py, directory.json
  KAIRAN_DATA   ../shared/data (the real directory data)

Nothing here waits by sleeping blindly: every wait polls a condition (a
log line, a file, a database row) until a deadline.

Parallel runs (two `make check` on one machine) share nothing: a relay
listens on a port stable_port() found free, below the kernel's range of
ephemeral ports, and the harness checks it against the relay's
"listening addr=127.0.0.1:PORT" line (a restart of the same relay asks for
that port again: a port of the ephemeral range could meanwhile be the
local end of some connection, and the restart would fail with "address in
use"); every process started here is registered, and the autouse fixture
of conftest.py kills whatever a test left running.
"""
import atexit
import os
import random
import re
import signal
import socket
import sqlite3
import subprocess
import sys
import time
from pathlib import Path


def stable_port():
    """A TCP port free on 127.0.0.1 now, below the kernel's ephemeral range
    (/proc/sys/net/ipv4/ip_local_port_range), so that no outgoing
    connection takes it while its relay is down; 0 (the kernel chooses) if
    that range leaves no room below it. Random, so that two runs on one
    machine rarely try the same one, and tried by binding it."""
    try:
        with open("/proc/sys/net/ipv4/ip_local_port_range") as f:
            low = int(f.read().split()[0])
    except (OSError, ValueError, IndexError):
        return 0
    first, last = 10000, low - 1
    if last - first < 1000:
        return 0
    rng = random.SystemRandom()
    for _ in range(100):
        port = rng.randint(first, last)
        with socket.socket() as s:
            try:
                s.bind(("127.0.0.1", port))
            except OSError:
                continue
        return port
    return 0

ROOT = Path(__file__).resolve().parents[2]
BIN = Path(os.environ.get("KAIRAN_BIN", ROOT / "bin"))
BUILD = Path(os.environ.get("KAIRAN_BUILD", ROOT / "build"))
DATA = Path(os.environ.get("KAIRAN_DATA", ROOT.parent / "shared" / "data"))
DIRECTORY = BUILD / "directory.json"
sys.path.insert(0, str(BUILD / "py"))

HOOKS_RELAY = BUILD / "tests" / "hooks" / "kairan-relay"


def hooked_relay(relays, gate, **kw):
    """A relay of the hooks build (walsync with KAIRAN_TEST_HOOKS, never
    bin/): every sync is held before its fsync for as long as the file gate
    exists, so that a slow disk is forced, not hoped for. kw as relays()."""
    if not HOOKS_RELAY.exists():
        raise RuntimeError(f"{HOOKS_RELAY} is missing: `make unit-build` "
                           "builds it")
    r = relays(start=False, **kw)
    r.process.argv[0] = str(HOOKS_RELAY)
    r.process.env = dict(os.environ, KAIRAN_TEST_SYNC_GATE=str(gate))
    return r.start()


def held_relay(relays, tmp_path, **kw):
    """hooked_relay with its gate in tmp_path, there from the start (every
    sync held): (relay, gate)."""
    gate = tmp_path / "gate"
    gate.touch()
    return hooked_relay(relays, gate, **kw), gate


def release_when_batched(relay, gate, sender, n):
    """Once n envelopes of sender are verified and waiting behind the held
    sync (the relay's `batched` lines), the disk is back: gate removed."""
    wait_for(lambda: relay.process.count(
        r"batched id=\S+ sender=%s " % sender) == n,
        what=f"all {n} of {sender} waiting behind the held sync")
    gate.unlink()


# Sanitizer builds: a leak or UB report fails the process.
os.environ.setdefault("ASAN_OPTIONS", "abort_on_error=1:detect_leaks=1")
os.environ.setdefault("UBSAN_OPTIONS", "halt_on_error=1:print_stacktrace=1")

TIMEOUT = float(os.environ.get("KAIRAN_TEST_TIMEOUT", "30"))


def wait_for(cond, timeout=TIMEOUT, what="condition", interval=0.02):
    """Polls cond() until it returns something truthy; returns that."""
    deadline = time.monotonic() + timeout
    while True:
        v = cond()
        if v:
            return v
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout}s waiting for {what}")
        time.sleep(interval)


class Pki:
    """The test PKI of tests/unit/mkpki.sh: good entities, bad certificates."""

    def __init__(self, path):
        self.path = Path(path)
        if not (self.path / ".done").exists():
            subprocess.run(["bash", str(ROOT / "tests" / "unit" / "mkpki.sh"),
                            str(self.path)], check=True)
        self.ca = self.path / "root" / "ca.pem"
        self.crl = self.path / "crl.pem"

    def entity(self, e):
        d = self.path / "entities" / e
        if not (d / "cert.pem").exists():
            subprocess.run([str(ROOT / "certs" / "kairan-pki"), "issue",
                            str(self.path), e, "--role",
                            "relay" if e.startswith("relay-") else "node"],
                           check=True, capture_output=True)
        return d

    def bad(self, case):
        return self.path / "bad" / case

    def revoke(self, e):
        subprocess.run([str(ROOT / "certs" / "kairan-pki"), "revoke",
                        str(self.path), e], check=True, capture_output=True)


# Every Process that was started and may still run (see reap()).
LIVE = set()


def proxy_lines(form):
    """(label, value) of the proxy-log lines (プロキシログ確認期限,
    プロキシログ確認) of a 報告様式's text: `show --form`'s or a mail's."""
    out = []
    for line in form.splitlines():
        label, sep, value = line.strip("\u3000 ").partition(": ")
        if sep and label.startswith("プロキシログ確認"):
            out.append((label, value))
    return out


def reap():
    """Kills (SIGKILL) every process started here that still runs; returns
    their argv[0]s. Called after each test by conftest.py, and at exit."""
    left = []
    for p in list(LIVE):
        if p.alive():
            left.append(p.argv[0])
        p.kill()
    return left


class Process:
    """A daemon with its stderr in a file we can search."""

    def __init__(self, argv, log, env=None):
        self.argv = [str(a) for a in argv]
        self.log = Path(log)
        self.env = env
        self.proc = None
        self._fh = None

    def start(self):
        self._fh = open(self.log, "ab")
        self.mark = self.log.stat().st_size
        self.proc = subprocess.Popen(self.argv, stdout=self._fh,
                                     stderr=subprocess.STDOUT, env=self.env)
        LIVE.add(self)
        return self

    def text(self, since_start=True):
        data = self.log.read_bytes()
        return data[self.mark if since_start else 0:].decode("utf-8", "replace")

    def wait_log(self, pattern, timeout=TIMEOUT, since_start=True):
        rx = re.compile(pattern)

        def found():
            if self.proc.poll() is not None and not rx.search(self.text(since_start)):
                raise AssertionError(
                    f"{self.argv[0]} exited ({self.proc.returncode}) before "
                    f"logging {pattern!r}:\n{self.text()[-3000:]}")
            return rx.search(self.text(since_start))
        return wait_for(found, timeout, f"log line {pattern!r} in {self.log}")

    def count(self, pattern):
        return len(re.findall(pattern, self.text(since_start=False)))

    def signal(self, sig):
        self.proc.send_signal(sig)

    def pause(self):
        """SIGSTOP: the process reads nothing until resume() (a test uses it
        to make data pile up in its sockets, instead of hoping it does)."""
        self.proc.send_signal(signal.SIGSTOP)

        def stopped():
            with open(f"/proc/{self.proc.pid}/stat") as f:
                return f.read().rsplit(")", 1)[1].split()[0] == "T"
        wait_for(stopped, what=f"{self.argv[0]} stopped (SIGSTOP)")

    def resume(self):
        self.proc.send_signal(signal.SIGCONT)

    def stop(self, timeout=TIMEOUT):
        if self.proc is None or self.proc.poll() is not None:
            return self.returncode()
        self.proc.send_signal(signal.SIGCONT)  # a paused one cannot stop
        self.proc.send_signal(signal.SIGTERM)
        try:
            self.proc.wait(timeout)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()
            raise AssertionError(f"{self.argv[0]} did not stop on SIGTERM")
        return self.returncode()

    def kill(self):
        if self.proc is not None and self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait()
        self.returncode()

    def returncode(self):
        if self._fh:
            self._fh.close()
            self._fh = None
        LIVE.discard(self)
        return self.proc.returncode if self.proc is not None else None

    def alive(self):
        return self.proc is not None and self.proc.poll() is None


class Relay:
    """A kairan-relay with its own directory, configuration and database."""

    def __init__(self, workdir, pki, rid="relay-45", serve="45 mic", port=None,
                 crl=True, extra=None):
        self.dir = Path(workdir) / rid
        self.dir.mkdir(parents=True, exist_ok=True)
        self.pki = pki
        self.id = rid
        # None: one below the ephemeral range (stable_port), or the
        # kernel's choice at the first start if there is no room there;
        # the port is then kept for every restart of this relay.
        self.port = port if port is not None else (stable_port() or None)
        self.db = self.dir / "relay.db"
        self.conf = self.dir / "relay.conf"
        e = pki.entity(rid)
        lines = [
            "[relay]",
            f"id = {rid}",
            f"listen = 127.0.0.1:{self.port or 0}",
            f"db = {self.db}",
            f"cert = {e / 'chain.pem'}",
            f"key = {e / 'key.pem'}",
            f"ca = {pki.ca}",
            f"directory = {DIRECTORY}",
            f"serve = {serve}",
        ]
        extra = dict(extra or {})
        lines.append(f"log_level = {extra.pop('log_level', 'debug')}")
        if crl:
            lines.append(f"crl = {pki.crl}")
        for k, v in extra.items():
            lines.append(f"{k} = {v}")
        self.conf.write_text("\n".join(lines) + "\n")
        self.process = Process([BIN / "kairan-relay", "-f", self.conf],
                               self.dir / "relay.log")

    @property
    def url(self):
        if not self.port:
            raise AssertionError(
                f"{self.id}: no port yet: the kernel chooses it at the first "
                "start (for a relay that is down, start() then stop() it; "
                "restarts keep the port)")
        return f"wss://127.0.0.1:{self.port}/"

    def start(self):
        self.process.start()
        m = self.process.wait_log(r"listening addr=127\.0\.0\.1:(\d+)\b")
        port = int(m.group(1))
        if self.port:
            assert port == self.port, (self.id, port, self.port)
        else:
            # from now on this relay has that port, restarts included
            self.port = port
            text = self.conf.read_text()
            self.conf.write_text(text.replace("listen = 127.0.0.1:0\n",
                                              f"listen = 127.0.0.1:{port}\n"))
        return self

    def stop(self):
        rc = self.process.stop()
        assert rc == 0, f"relay exited {rc}:\n{self.process.text()[-3000:]}"

    def kill(self):
        self.process.kill()

    def hup(self):
        self.process.signal(signal.SIGHUP)

    def wait_log(self, pattern, timeout=TIMEOUT, since_start=True):
        return self.process.wait_log(pattern, timeout, since_start)

    def log(self):
        return self.process.text(since_start=False)

    def query(self, sql, args=()):
        with sqlite3.connect(f"file:{self.db}?mode=ro", uri=True) as c:
            return c.execute(sql, args).fetchall()

    def run(self, *args):
        return subprocess.run([str(BIN / "kairan-relay"), "-f", str(self.conf),
                               *map(str, args)], capture_output=True, text=True)


atexit.register(reap)
