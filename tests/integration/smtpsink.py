"""A local SMTP server for the escalation scenarios (Debian's
python3-aiosmtpd): it keeps every mail it takes, and answers 550 at RCPT
for the addresses it is told to refuse (451, "try again later", the
first N times for those it is told to defer), and holds its answer to
RCPT for the addresses it is told to hold until the test calls release()
(a server that took the connection and then stalls: scenario 91). Mails
are parsed with the
standard library's email package, so what the tests read is what a mail
client would show (RFC 2047 subject and base64 UTF-8 body decoded)."""
import asyncio
import email
import email.policy
import socket
import threading

from aiosmtpd.controller import Controller


class _Handler:
    def __init__(self, sink):
        self.sink = sink

    async def handle_RCPT(self, server, session, envelope, address, options):
        with self.sink.lock:
            held = address in self.sink.hold
            if held:
                self.sink.holding.append(address)
        if held:
            await self.sink.released.wait()
            with self.sink.lock:
                self.sink.holding.remove(address)
        with self.sink.lock:
            if self.sink.defer.get(address, 0) > 0:
                self.sink.defer[address] -= 1
                return "451 4.3.0 <%s>: try again later" % address
        if address in self.sink.refuse:
            return "550 5.1.1 <%s>: mailbox unavailable" % address
        envelope.rcpt_tos.append(address)
        return "250 2.1.5 OK"

    async def handle_DATA(self, server, session, envelope):
        raw = envelope.original_content or envelope.content
        msg = email.message_from_bytes(raw, policy=email.policy.default)
        with self.sink.lock:
            self.sink.mails.append(Mail(envelope.mail_from,
                                        list(envelope.rcpt_tos), raw, msg))
        return "250 2.0.0 queued"


class Mail:
    def __init__(self, mail_from, rcpt, raw, msg):
        self.mail_from = mail_from
        self.rcpt = rcpt
        self.raw = raw
        self.msg = msg
        self.subject = str(msg["subject"])
        if msg.is_multipart():
            # the mail route's: the text, and the envelope attached
            part = msg.get_body(preferencelist=("plain",))
            self.body = part.get_content() if part is not None else ""
            self.attachments = [(p.get_filename(), p.get_content_type(),
                                 p.get_content())
                                for p in msg.iter_attachments()]
        else:
            self.body = msg.get_content()
            self.attachments = []


def _free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class SmtpSink:
    def __init__(self, refuse=(), defer=None, hold=()):
        self.refuse = set(refuse)
        self.hold = set(hold)     # RCPT answered only after release()
        self.holding = []         # addresses whose RCPT waits now
        # bound to the controller's loop when first awaited (Python 3.10+)
        self.released = asyncio.Event()
        self.defer = dict(defer or {})  # address: how many 451s first
        self.mails = []
        self.lock = threading.Lock()
        self.port = _free_port()
        self.controller = Controller(_Handler(self), hostname="127.0.0.1",
                                     port=self.port)

    @property
    def url(self):
        return f"smtp://127.0.0.1:{self.port}"

    def start(self):
        self.controller.start()
        return self

    def release(self):
        """Answers the held RCPTs, and holds none from now on."""
        with self.lock:
            self.hold.clear()
        self.controller.loop.call_soon_threadsafe(self.released.set)

    def held(self, address):
        """True while a RCPT TO address waits for release()."""
        with self.lock:
            return address in self.holding

    def stop(self):
        self.release()
        self.controller.stop()

    def to(self, address):
        with self.lock:
            return [m for m in self.mails if address in m.rcpt]
