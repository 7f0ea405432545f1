"""Integration-test harness for federation: a PKI with the CAs of three
prefectures and the national one, relays with [peer] sections, a fault
proxy (faultproxy.py) in front of every relay-to-relay link, and nodes
with routes to them.

The standard topology (Federation.standard()):

    relay-45 ──────────► relay-46          宮崎県 and 鹿児島県: a direct link
       │                    │              (45 dials 46), both dial the hub
       ▼                    ▼
    relay-national ◄──── relay-13          東京都: only through the hub
    (the hub; home of mic, nisc)

Every arrow is a link: the dialing relay's [peer] url points at that
link's FaultProxy, whose target is the accepting relay's real port (known
once it started; restarts keep it). The accepting side has the same
[peer] section without url. Each prefecture relay serves its prefecture
by default (its id, relay-PP); the hub is the home of the national bodies.

Builds on harness.py (Process, Relay, wait_for; port 0, the port read
from the log; every process registered for the autouse no_process_left)
and nodeharness.py (Node). Nothing here sleeps blindly.
"""
import re
import shutil
import subprocess
from pathlib import Path

import harness
from faultproxy import FaultProxy
from harness import BIN, DIRECTORY, ROOT, TIMEOUT, Process, wait_for
from nodeharness import Node

PKI_SCRIPT = ROOT / "certs" / "kairan-pki"

# Entities of the real directory (build/directory.json, from ../shared/data)
MIYAZAKI = "450006"        # 宮崎県
MIYAZAKI_CITY = "452017"   # 宮崎市
MIYAKONOJO = "452025"      # 都城市: borders the three below across the line
KAGOSHIMA = "460001"       # 鹿児島県
KAGOSHIMA_CITY = "462012"  # 鹿児島市
SOO = "462179"             # 曽於市
KIRISHIMA = "462187"       # 霧島市
SHIBUSHI = "462217"        # 志布志市
TOKYO = "130001"           # 東京都
KOTO = "131083"            # 江東区
MIC = "mic"                # 総務省
NISC = "nisc"

# 都城市's @neighbours across the border (kairan-dir expand 452025 @neighbours)
BORDER = [SOO, KIRISHIMA, SHIBUSHI]

# What a relay logs when a relay link is up, on both sides: "peer
# connected entity=ID role=relay link=NAME addr=... dialled=yes|no" (NAME:
# its [peer NAME] section for the other relay). One place to change if
# the log line changes.
LINK_UP = r"peer connected entity=%(id)s role=relay link=%(name)s addr="


class FedPki:
    """root; CAs 45, 46, 13 and national; entity certificates issued on
    demand with certs/kairan-pki (role relay for relay-*, node otherwise);
    a second key and certificate for one relay id (an HA pair); and
    certificates made with openssl directly, bypassing kairan-pki's rules
    (what an attacker or a careless CA would make). Duck-types harness.Pki
    for nodeharness.Node (entity(), ca, crl)."""

    CAS = ("45", "46", "13", "national")

    def __init__(self, path):
        self.path = Path(path)
        if not (self.path / ".done").exists():
            self._pki("init", self.path)
            for ca in self.CAS:
                self._pki("ca", self.path, ca)
            (self.path / ".done").write_text("")
        self.ca = self.path / "root" / "ca.pem"
        self.crl = self.path / "crl.pem"

    def _pki(self, *args):
        p = subprocess.run([str(PKI_SCRIPT), *map(str, args)],
                           capture_output=True, text=True)
        if p.returncode != 0:
            raise AssertionError(f"kairan-pki {' '.join(map(str, args))}: "
                                 f"{p.stderr}")
        return p

    def entity(self, e):
        d = self.path / "entities" / e
        if not (d / "cert.pem").exists():
            self._pki("issue", self.path, e, "--role",
                      "relay" if e.startswith("relay-") else "node")
        return d

    def second(self, e):
        """A second, independent key and certificate for entity e (the
        other process of an HA pair): kairan-pki issues e again with
        --force, and the first pair is kept where entity() finds it."""
        d = self.path / "second" / e
        if (d / "cert.pem").exists():
            return d
        first = self.entity(e)
        keep = self.path / "first.tmp"
        shutil.rmtree(keep, ignore_errors=True)
        shutil.copytree(first, keep)
        self._pki("issue", self.path, e, "--role",
                  "relay" if e.startswith("relay-") else "node", "--force")
        d.parent.mkdir(parents=True, exist_ok=True)
        shutil.rmtree(d, ignore_errors=True)
        shutil.move(str(first), str(d))
        shutil.move(str(keep), str(first))
        return d

    def forged(self, case, subject, ca):
        """A leaf with subject (e.g. "/O=kairan/OU=relay/CN=relay-13")
        signed by CA ca ("45", "national", ...) with the leaf profile, made
        with the openssl CLI (as tests/unit/mkpki.sh does for its bad
        cases): key.pem, cert.pem, chain.pem in bad/case."""
        d = self.path / "bad" / case
        if (d / "chain.pem").exists():
            return d
        d.mkdir(parents=True, exist_ok=True)
        cadir = self.path / f"ca-{ca}"
        ext = d / "ext.cnf"
        ext.write_text("basicConstraints = critical, CA:FALSE\n"
                       "keyUsage = critical, digitalSignature\n"
                       "extendedKeyUsage = serverAuth, clientAuth\n"
                       "subjectKeyIdentifier = hash\n"
                       "authorityKeyIdentifier = keyid:always\n"
                       "subjectAltName = DNS:localhost, IP:127.0.0.1\n")

        def run(*a):
            subprocess.run(list(a), check=True, capture_output=True)
        run("openssl", "genpkey", "-algorithm", "EC", "-pkeyopt",
            "ec_paramgen_curve:P-256", "-out", d / "key.pem")
        run("openssl", "req", "-new", "-key", d / "key.pem", "-subj", subject,
            "-out", d / "req.csr")
        serial = subprocess.run(["openssl", "rand", "-hex", "16"],
                                capture_output=True, text=True,
                                check=True).stdout.strip()
        run("openssl", "x509", "-req", "-in", d / "req.csr", "-CA",
            cadir / "ca.pem", "-CAkey", cadir / "ca.key", "-set_serial",
            "0x" + serial, "-days", "365", "-sha256", "-extfile", ext,
            "-out", d / "cert.pem")
        (d / "chain.pem").write_bytes((d / "cert.pem").read_bytes() +
                                      (cadir / "ca.pem").read_bytes())
        (d / "req.csr").unlink()
        return d


class FedRelay(harness.Relay):
    """A kairan-relay of the federation: harness.Relay (port 0 at the first
    start, then kept; start/stop/kill/wait_log/query) with a configuration
    that has [peer NAME] sections and optionally `hub`, and no `serve`
    unless given (a relay serves its own prefecture by default).

    name: this process's short name (r45, r46a, national...), also the
    [peer] section name other relays give it. ident: the folder of its key
    and certificate (default: the PKI's entity rid)."""

    def __init__(self, workdir, pki, rid, name, ident=None, serve=None,
                 extra=None):
        self.name = name
        self.id = rid
        self.pki = pki
        self.dir = Path(workdir) / name
        self.dir.mkdir(parents=True, exist_ok=True)
        self.port = harness.stable_port() or None   # harness.py says why
        self.db = self.dir / "relay.db"
        self.conf = self.dir / "relay.conf"
        self.ident = Path(ident) if ident else pki.entity(rid)
        self.serve = serve
        self.extra = dict(extra or {})
        self.hub = None          # the [peer] NAME of the hub, if any
        self.peers = []          # [section, id, url-or-None]
        self.process = Process([BIN / "kairan-relay", "-f", self.conf],
                               self.dir / "relay.log")

    def add_peer(self, section, rid, url=None):
        self.peers.append([section, rid, url])

    def write_conf(self):
        e = self.ident
        lines = [
            "[relay]",
            f"id = {self.id}",
            f"listen = 127.0.0.1:{self.port or 0}",
            f"db = {self.db}",
            f"cert = {e / 'chain.pem'}",
            f"key = {e / 'key.pem'}",
            f"ca = {self.pki.ca}",
            f"crl = {self.pki.crl}",
            f"directory = {DIRECTORY}",
        ]
        extra = dict(self.extra)
        lines.append(f"log_level = {extra.pop('log_level', 'debug')}")
        if self.serve:
            lines.append(f"serve = {self.serve}")
        if self.hub:
            lines.append(f"hub = {self.hub}")
        for k, v in extra.items():
            lines.append(f"{k} = {v}")
        for section, rid, url in self.peers:
            lines += ["", f"[peer {section}]", f"id = {rid}"]
            if url:
                lines.append(f"url = {url}")
        self.conf.write_text("\n".join(lines) + "\n")

    def start(self):
        if not self.conf.exists():
            self.write_conf()
        return super().start()

    def restart(self):
        """Starts it again (after kill() or stop()) on the same port, with
        the same store."""
        assert not self.process.alive(), f"{self.name} still runs"
        return self.start()

    def mentions(self, mid):
        """Lines of this relay's whole log that name message id mid."""
        return [ln for ln in self.log().splitlines() if mid in ln]

    def __repr__(self):
        return f"FedRelay({self.name} {self.id} :{self.port})"


class Link:
    """dialer ──proxy──► acceptor. dialer has [peer <acceptor.name>] with
    url = the proxy's; acceptor has [peer <dialer.name>] without url."""

    def __init__(self, dialer, acceptor, proxy):
        self.dialer, self.acceptor, self.proxy = dialer, acceptor, proxy

    def __repr__(self):
        return f"Link({self.dialer.name} -> {self.acceptor.name} {self.proxy})"


class Federation:
    """Relays, links (each with its FaultProxy) and nodes of one test.
    close() stops nodes, then relays (cleanly: exit 0 checked), then the
    proxies; the fixture calls it even when the test failed."""

    def __init__(self, workdir, pki):
        self.workdir = Path(workdir)
        self.pki = pki
        self.relays = {}         # name -> FedRelay
        self.links = []
        self.nodes = {}          # entity -> Node

    # -- building --

    def relay(self, rid, name=None, **kw):
        name = name or ("national" if rid == "relay-national"
                        else "r" + rid.split("-", 1)[1])
        assert name not in self.relays, name
        r = FedRelay(self.workdir / "relays", self.pki, rid, name, **kw)
        self.relays[name] = r
        return r

    def link(self, dialer, acceptor, hub=False):
        """dialer dials acceptor through a new FaultProxy. hub: acceptor
        is dialer's hub (or, from the hub's side, nothing more to say: the
        hub has no hub)."""
        p = FaultProxy(f"{dialer.name}-{acceptor.name}").start()
        lk = Link(dialer, acceptor, p)
        self.links.append(lk)
        dialer.add_peer(acceptor.name, acceptor.id, p.url)
        acceptor.add_peer(dialer.name, dialer.id)
        if acceptor.id == "relay-national":
            dialer.hub = acceptor.name
        elif dialer.id == "relay-national":
            acceptor.hub = dialer.name
        if acceptor.port:
            p.set_target("127.0.0.1", acceptor.port)
        return lk

    def standard(self, ha=False, direct=True):
        """The four-relay topology of the module docstring. ha: relay-46 is
        two processes (r46a, r46b: same id, their own stores and keys,
        the second from FedPki.second) that the hub dials, and relay-45
        keeps no direct link (direct=False is the same without HA)."""
        hub = self.relay("relay-national")
        r45 = self.relay("relay-45")
        r13 = self.relay("relay-13")
        if ha:
            a = self.relay("relay-46", name="r46a")
            b = self.relay("relay-46", name="r46b",
                           ident=self.pki.second("relay-46"))
            self.link(hub, a)
            self.link(hub, b)
        else:
            r46 = self.relay("relay-46")
            if direct:
                self.link(r45, r46)
            self.link(r46, hub)
        self.link(r45, hub)
        self.link(r13, hub)
        return self

    def proxy(self, a, b):
        """The FaultProxy of the link between relays named a and b."""
        for lk in self.links:
            if {lk.dialer.name, lk.acceptor.name} == {a, b}:
                return lk.proxy
        raise KeyError(f"no link {a} - {b}")

    def __getitem__(self, name):
        return self.relays[name]

    # -- running --

    def start(self, wait=True):
        """Writes every configuration, starts the relays (the accepting
        ends first, so that a dialer finds its peer), points every proxy at
        its acceptor; with wait, until every link is up at both ends."""
        for r in self.relays.values():
            r.write_conf()
        order = sorted(self.relays.values(),
                       key=lambda r: -sum(lk.acceptor is r
                                          for lk in self.links))
        for r in order:
            self.start_relay(r)
        if wait:
            self.wait_links()
        return self

    def start_relay(self, r):
        r.start()
        for lk in self.links:
            if lk.acceptor is r:
                lk.proxy.set_target("127.0.0.1", r.port)
        return r

    def link_up_count(self, r, other):
        """How many times relay r logged its link to relay other up."""
        rx = LINK_UP % {"name": re.escape(other.name),
                        "id": re.escape(other.id)}
        return len(re.findall(rx, r.log()))

    def wait_link(self, lk, since=None, timeout=TIMEOUT):
        """Until both ends of lk logged it up (more often than `since`, a
        pair of counts from link_counts(), if given)."""
        s = since or (0, 0)

        def up():
            for r in (lk.dialer, lk.acceptor):
                if not r.process.alive():
                    raise AssertionError(
                        f"{r.name} exited ({r.process.proc.returncode}) "
                        f"while waiting for {lk}:\n{r.log()[-3000:]}")
            return (self.link_up_count(lk.dialer, lk.acceptor) > s[0] and
                    self.link_up_count(lk.acceptor, lk.dialer) > s[1])
        wait_for(up, timeout, f"link {lk.dialer.name} -> {lk.acceptor.name} up")

    def link_counts(self, lk):
        return (self.link_up_count(lk.dialer, lk.acceptor),
                self.link_up_count(lk.acceptor, lk.dialer))

    def wait_links(self, timeout=TIMEOUT):
        """Until every link whose proxy passes is up at both ends."""
        for lk in self.links:
            if lk.proxy.mode == "pass":
                self.wait_link(lk, timeout=timeout)

    def node(self, nid, routes, start=True, wait=True, extra=None):
        """A kairan-node for nid with a [route NAME] per relay in routes (a
        list of relay names, or a dict route name -> relay name)."""
        if not isinstance(routes, dict):
            routes = {n: n for n in routes}
        n = Node(self.workdir / "nodes", self.pki, nid,
                 {k: self.relays[v] for k, v in routes.items()}, extra)
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
        for r in self.relays.values():
            if r.process.alive():
                try:
                    r.stop()
                except AssertionError as e:
                    errors.append(f"{r.name}: {e}")
        for lk in self.links:
            lk.proxy.stop()
        assert not errors, "\n".join(errors)


def home(entity):
    """The name (in Federation.standard()) of entity's home relay."""
    if not entity[:1].isdigit():
        return "national"
    return "r" + entity[:2]


# What a relay logs when a relay link goes down (see LINK_UP): the
# dialing side "link=NAME down reason=...", the accepting side "peer
# closed entity=ID" (no link name there).
LINK_DOWN = r"link=%(name)s down reason=|peer closed entity=%(id)s addr="


def link_down_count(r, other):
    """How many times relay r logged its link to relay other down."""
    rx = LINK_DOWN % {"name": re.escape(other.name),
                      "id": re.escape(other.id)}
    return len(re.findall(rx, r.log()))


def once(node, mid, timeout=TIMEOUT):
    """Waits until mid is in node's inbox; asserts it is there exactly
    once: one row, one "inbox stored" line (a second copy, over another
    route, may only be logged as a duplicate)."""
    node.wait_inbox(mid, timeout)
    ids = [x["id"] for x in node.inbox()]
    assert ids.count(mid) == 1, (node.id, ids)
    assert node.count(r"inbox stored id=%s" % mid) == 1, (
        node.id, node.log()[-3000:])


def inbox_ids(node):
    """Every message id in node's inbox (from its database), as hex."""
    return [bytes(i).hex() for (i,) in node.query("SELECT id FROM inbox")]


def delivered_pairs(node):
    """(message hex, recipient) of every recipient the sender node has a
    DELIVERED (or later) receipt for, from its database."""
    return {(bytes(i).hex(), e) for (i, e) in node.query(
        "SELECT id, entity FROM recipient WHERE delivered_ms IS NOT NULL")}


class FakeServer:
    """A TLS websocket server (kairan.v1) in a background thread that
    presents the certificate of folder ident (key.pem, chain.pem) and asks
    for a client certificate: what a relay dialing a peer finds at the
    other end when that end is not who it should be. It answers a Hello
    with its own (entity: the certificate's CN) and reads whatever comes.
    start(), port, connections, hellos (the entities that said Hello),
    stop() (idempotent, for finalisers)."""

    def __init__(self, pki, ident):
        self.pki = pki
        self.ident = Path(ident)
        self.port = None
        self.connections = 0
        self.hellos = []
        self._loop = None
        self._thread = None
        self._server = None

    def start(self):
        import asyncio
        import ssl
        import threading

        import websockets
        from cryptography import x509
        import kairan_pb2 as pb

        cert = x509.load_pem_x509_certificate(
            (self.ident / "cert.pem").read_bytes())
        cn = cert.subject.get_attributes_for_oid(
            x509.NameOID.COMMON_NAME)[0].value
        ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        ctx.minimum_version = ssl.TLSVersion.TLSv1_3
        ctx.load_cert_chain(str(self.ident / "chain.pem"),
                            str(self.ident / "key.pem"))
        ctx.load_verify_locations(str(self.pki.ca))
        ctx.verify_mode = ssl.CERT_REQUIRED

        async def handler(ws, *path):
            self.connections += 1
            await ws.send(pb.Frame(hello=pb.Hello(
                entity=cn, version=1, software="pytest-fake")).
                SerializeToString())
            try:
                async for data in ws:
                    f = pb.Frame()
                    f.ParseFromString(data)
                    if f.WhichOneof("kind") == "hello":
                        self.hellos.append(f.hello.entity)
            except websockets.exceptions.ConnectionClosed:
                pass

        self._loop = asyncio.new_event_loop()
        ready = threading.Event()

        def main():
            asyncio.set_event_loop(self._loop)
            ready.set()
            self._loop.run_forever()
            self._loop.close()
        self._thread = threading.Thread(target=main, daemon=True,
                                        name="fake-server")
        self._thread.start()
        ready.wait()

        async def listen():
            self._server = await websockets.serve(
                handler, "127.0.0.1", 0, ssl=ctx, subprotocols=["kairan.v1"],
                ping_interval=None)
            return self._server.sockets[0].getsockname()[1]
        self.port = asyncio.run_coroutine_threadsafe(
            listen(), self._loop).result(10)
        return self

    def stop(self):
        import asyncio
        if self._thread is None:
            return

        async def shutdown():
            self._server.close()
            await self._server.wait_closed()
        try:
            asyncio.run_coroutine_threadsafe(shutdown(),
                                             self._loop).result(10)
        finally:
            self._loop.call_soon_threadsafe(self._loop.stop)
            self._thread.join(10)
            self._thread = None
