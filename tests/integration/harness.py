"""Integration-test harness: real relays and nodes on loopback.

Paths come from the environment (tests/run.sh sets them):
  KAIRAN_BIN    directory with kairan-relay, kairan-node, kairan-dir
  KAIRAN_BUILD  build directory: py/kairan_pb2.py, directory.json
  KAIRAN_DATA   ../shared/data (the real directory data)

Nothing here waits by sleeping blindly: every wait polls a condition (a
log line, a file, a database row) until a deadline.
"""
import os
import re
import signal
import socket
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
BIN = Path(os.environ.get("KAIRAN_BIN", ROOT / "bin"))
BUILD = Path(os.environ.get("KAIRAN_BUILD", ROOT / "build"))
DATA = Path(os.environ.get("KAIRAN_DATA", ROOT.parent / "shared" / "data"))
DIRECTORY = BUILD / "directory.json"
sys.path.insert(0, str(BUILD / "py"))

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


def free_port():
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


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

    def stop(self, timeout=TIMEOUT):
        if self.proc is None or self.proc.poll() is not None:
            return self.returncode()
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

    def returncode(self):
        if self._fh:
            self._fh.close()
            self._fh = None
        return self.proc.returncode

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
        self.port = port or free_port()
        self.db = self.dir / "relay.db"
        self.conf = self.dir / "relay.conf"
        e = pki.entity(rid)
        lines = [
            "[relay]",
            f"id = {rid}",
            f"listen = 127.0.0.1:{self.port}",
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
        self.url = f"wss://127.0.0.1:{self.port}/"
        self.process = Process([BIN / "kairan-relay", "-f", self.conf],
                               self.dir / "relay.log")

    def start(self):
        self.process.start()
        self.process.wait_log(r"listening addr=127\.0\.0\.1:%d" % self.port)
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
