"""An independent client of the kairan v1 protocol, for the integration
tests: Python's ssl + websockets (Debian's python3-websockets), the
protobuf classes generated from proto/kairan.proto (python3-protobuf), and
ECDSA P-256 signatures made with python3-cryptography. It shares no code
with the C implementation, so what it and the relay agree on is the
protocol, not a library."""
import asyncio
import hashlib
import os
import socket
import ssl
import time

import websockets
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography import x509

import harness  # noqa: F401  (puts $KAIRAN_BUILD/py on sys.path)
import kairan_pb2 as pb

REASON = pb.Refused.Reason


def pem_certs(path):
    data = open(path, "rb").read()
    end = b"-----END CERTIFICATE-----"
    return [x509.load_pem_x509_certificate(block + end)
            for block in data.split(end) if b"BEGIN CERTIFICATE" in block]


class Identity:
    """An entity's key and chain (leaf, intermediate) from a PKI folder."""

    def __init__(self, folder):
        folder = str(folder)
        self.chain_file = os.path.join(folder, "chain.pem")
        self.key_file = os.path.join(folder, "key.pem")
        self.key = serialization.load_pem_private_key(
            open(self.key_file, "rb").read(), None)
        certs = pem_certs(self.chain_file)
        self.chain_der = [c.public_bytes(serialization.Encoding.DER)
                          for c in certs]
        cn = certs[0].subject.get_attributes_for_oid(x509.NameOID.COMMON_NAME)
        self.entity = cn[0].value

    def seal(self, msg, tamper=False, key=None):
        """Envelope bytes for msg (a pb.Message) signed with our key."""
        raw = msg.SerializeToString()
        sig = (key or self.key).sign(raw, ec.ECDSA(hashes.SHA256()))
        if tamper:
            raw = bytearray(raw)
            raw[-1] ^= 0x01
            raw = bytes(raw)
        env = pb.Envelope(message=raw, signature=sig,
                          cert_chain=self.chain_der)
        return env


def new_id():
    return os.urandom(16)


def now_ms():
    return int(time.time() * 1000)


def report(sender, recipients, status=pb.ACTUAL, summary="標的型攻撃メールによるマルウェア感染の疑い",
           incident_id=None, report_no=1):
    m = pb.Message(id=new_id(), sender=sender, recipients=list(recipients),
                   created_at_ms=now_ms(), status=status)
    r = m.report
    r.incident_id = incident_id or new_id()
    r.report_no = report_no
    r.phase = pb.IncidentReport.INITIAL if report_no == 1 else pb.IncidentReport.UPDATE
    r.category = pb.IncidentReport.CYBER_ATTACK
    r.subtypes.append("標的型攻撃")
    r.level = 3
    r.title = "職員端末のマルウェア感染"
    r.summary = summary
    r.contact.name = "情報政策課 CSIRT"
    r.contact.phone = "0985-00-0001"
    return m


def receipt(sender, ref_msg, ref_env, state, by="", note=""):
    m = pb.Message(id=new_id(), sender=sender, recipients=[ref_msg.sender],
                   created_at_ms=now_ms(), status=ref_msg.status)
    m.receipt.ref_id = ref_msg.id
    m.receipt.ref_digest = hashlib.sha256(ref_env.message).digest()
    m.receipt.state = state
    m.receipt.by = by
    m.receipt.note = note
    return m


class Client:
    """One mutually authenticated WebSocket connection to a relay, driven
    synchronously (each call runs our own asyncio loop until it is done)."""

    def __init__(self, url, pki, ident=None, cert=True, hello=True,
                 ca=None, rcvbuf=None, features=0):
        self.loop = asyncio.new_event_loop()
        self.ident = ident
        ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
        ctx.minimum_version = ssl.TLSVersion.TLSv1_3
        ctx.load_verify_locations(str(ca or pki.ca))
        if cert and ident is not None:
            ctx.load_cert_chain(ident.chain_file, ident.key_file)
        sock = None
        if rcvbuf is not None:
            # a small receive buffer: a client that does not read makes
            # the relay's writes back up after a few kilobytes
            host, port = url.split("//", 1)[1].rstrip("/").rsplit(":", 1)
            sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, rcvbuf)
            sock.connect((host, int(port)))

        async def connect():
            if sock is not None:
                return await websockets.connect(
                    url, ssl=ctx, sock=sock, server_hostname=host,
                    subprotocols=["kairan.v1"], max_size=None,
                    ping_interval=None, open_timeout=10)
            return await websockets.connect(
                url, ssl=ctx, subprotocols=["kairan.v1"], max_size=None,
                ping_interval=None, open_timeout=10)
        self.ws = self._run(connect())
        self.peer_hello = None
        self.pending = []
        if hello:
            self.send_frame(pb.Frame(hello=pb.Hello(
                entity=ident.entity, version=1, software="pytest",
                features=features)))

    def _run(self, coro, timeout=harness.TIMEOUT):
        asyncio.set_event_loop(self.loop)
        return self.loop.run_until_complete(asyncio.wait_for(coro, timeout))

    def send_raw(self, data):
        self._run(self.ws.send(data))

    def send_burst(self, payloads):
        """Writes many binary messages with ONE write to the connection, as
        a load generator that batches does: TLS then packs about sixteen
        envelopes into each record, so the relay's TLS layer holds
        decrypted bytes it has not handed on yet."""
        from websockets.frames import Frame, Opcode
        raw = b"".join(Frame(Opcode.BINARY, p).serialize(mask=True)
                       for p in payloads)
        self.ws.transport.write(raw)

        async def drained():
            await self.ws.drain()
        self._run(drained(), timeout=60)

    def send_frame(self, frame):
        self.send_raw(frame.SerializeToString())

    def send_envelope(self, env):
        self.send_frame(pb.Frame(envelope=env))

    def recv(self, timeout=harness.TIMEOUT):
        """The next frame that is not the relay's Hello."""
        while True:
            data = self._run(self.ws.recv(), timeout)
            f = pb.Frame()
            f.ParseFromString(data)
            if f.WhichOneof("kind") == "hello":
                self.peer_hello = f.hello
                continue
            return f

    def answer(self, msg_id, timeout=harness.TIMEOUT):
        """Waits for Accepted or Refused for msg_id, skipping (and
        collecting) deliveries in between."""
        while True:
            f = self.recv(timeout)
            k = f.WhichOneof("kind")
            if k == "accepted" and f.accepted.id == msg_id:
                return f
            if k == "refused" and (f.refused.id == msg_id or not f.refused.id):
                return f
            if k == "envelope":
                self.pending.append(f.envelope)

    def expect_delivery(self, timeout=harness.TIMEOUT, accept=True,
                        queued=False):
        """The next delivered envelope (and its decoded Message); answers
        Accepted unless accept is False. The QUEUED receipts a home relay
        sends the sender of every report (held at relay) are taken and
        skipped, unless queued is True."""
        while True:
            if self.pending:
                env = self.pending.pop(0)
            else:
                while True:
                    f = self.recv(timeout)
                    if f.WhichOneof("kind") == "envelope":
                        env = f.envelope
                        break
            m = pb.Message()
            m.ParseFromString(env.message)
            skip = (not queued and m.WhichOneof("body") == "receipt" and
                    m.receipt.state == pb.Receipt.QUEUED)
            if accept or skip:
                self.send_frame(pb.Frame(accepted=pb.Accepted(id=m.id)))
            if not skip:
                return env, m

    def nothing(self, timeout=1.0):
        """True if no frame arrives within timeout (used only to check that
        something does NOT happen, after what should happen has been seen)."""
        try:
            self.recv(timeout)
        except (asyncio.TimeoutError, TimeoutError):
            return True
        return False

    def closed(self, timeout=harness.TIMEOUT):
        """Waits until the relay closes the connection; True if it did."""
        try:
            while True:
                self._run(self.ws.recv(), timeout)
        except websockets.exceptions.ConnectionClosed:
            return True

    def close(self):
        try:
            self._run(self.ws.close(), 5)
        except Exception:
            pass
        self.loop.close()

    def __enter__(self):
        return self

    def __exit__(self, *a):
        self.close()


def submit(client, msg, **kw):
    """Seals msg with the client's identity, sends it, returns the answer frame."""
    env = client.ident.seal(msg, **kw)
    client.send_envelope(env)
    return env, client.answer(msg.id)
