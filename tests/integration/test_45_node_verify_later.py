"""Scenario 45: `kairan-node verify FILE` years later.

A kept envelope (the mail route's attachment, kept for years) is checked
as of the time it says it was signed (its created time, covered by the
signature), not at the present: a report signed while its certificate was
valid still verifies once the certificate has expired, and verify says
that it has since expired, and when. A signing time outside the
certificate's validity (before it began, after it ended) does not verify.
Revocation by date: a CRL listing the certificate revoked before the
signing time fails (REVOKED); revoked after it, the report verifies and the
revocation is printed. A kept advisory verifies too, and says what it is
(verify read a receipt's state out of any non-report before).

The certificates are issued here with dates in the past (the python
cryptography library: a root and prefecture 45's CA made two years ago
with the test PKI's names and extensions, a node certificate of 452017
valid for some weeks), and so is each CRL: the session's PKI and its CRLs
stay as they are.
"""
import datetime as dt
import re

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec

import kairan_client as kc
from nodeharness import Node

DAY = dt.timedelta(days=1)
ENTITY = "452017"


def now():
    return dt.datetime.now(dt.timezone.utc).replace(microsecond=0)


def ms(t):
    return int(t.timestamp() * 1000)


def _key_ids(b, key, issuer_key):
    """SKI of key, AKI of issuer_key (what OpenSSL matches issuers by)."""
    b = b.add_extension(x509.SubjectKeyIdentifier.from_public_key(
        key.public_key()), False)
    if issuer_key is not key:
        b = b.add_extension(x509.AuthorityKeyIdentifier
                            .from_issuer_public_key(issuer_key.public_key()),
                            False)
    return b


def _copy(like, subject, issuer, key, issuer_key, not_before, not_after):
    """A certificate like `like` (its subject and extensions, as kairan-pki
    makes them) with a new key and the given dates."""
    b = (x509.CertificateBuilder().subject_name(subject).issuer_name(issuer)
         .public_key(key.public_key())
         .serial_number(x509.random_serial_number())
         .not_valid_before(not_before).not_valid_after(not_after))
    for ext in like.extensions:
        if not isinstance(ext.value, (x509.SubjectKeyIdentifier,
                                      x509.AuthorityKeyIdentifier)):
            b = b.add_extension(ext.value, ext.critical)
    return _key_ids(b, key, issuer_key).sign(issuer_key, hashes.SHA256())


def _pem(c):
    return c.public_bytes(serialization.Encoding.PEM)


class PastPki:
    """A federation root and prefecture 45's CA made two years ago (the
    test PKI's names and extensions, new keys), so that a signing time
    weeks in the past lies inside their validity; root.pem is the
    verifier's trust anchor."""

    def __init__(self, pki, folder):
        load = lambda p: x509.load_pem_x509_certificate(p.read_bytes())
        root, ca = load(pki.ca), load(pki.path / "ca-45" / "ca.pem")
        self.like = load(pki.entity(ENTITY) / "cert.pem")
        t0 = now()
        self.root_key = ec.generate_private_key(ec.SECP256R1())
        self.ca_key = ec.generate_private_key(ec.SECP256R1())
        self.root = _copy(root, root.subject, root.subject, self.root_key,
                          self.root_key, t0 - 730 * DAY, t0 + 3650 * DAY)
        self.ca = _copy(ca, ca.subject, root.subject, self.ca_key,
                        self.root_key, t0 - 700 * DAY, t0 + 3000 * DAY)
        self.folder = folder
        folder.mkdir(parents=True, exist_ok=True)
        self.ca_file = folder / "root.pem"
        self.ca_file.write_bytes(_pem(self.root))

    def issue(self, folder, not_before, not_after):
        """ENTITY's node certificate from not_before to not_after, a new
        key: folder/chain.pem and key.pem, as kc.Identity reads them."""
        key = ec.generate_private_key(ec.SECP256R1())
        cert = _copy(self.like, self.like.subject, self.ca.subject, key,
                     self.ca_key, not_before, not_after)
        folder.mkdir(parents=True, exist_ok=True)
        (folder / "chain.pem").write_bytes(_pem(cert) + _pem(self.ca))
        (folder / "key.pem").write_bytes(key.private_bytes(
            serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption()))
        return cert

    def crl(self, name, revoked=()):
        """The root's CRL (empty) and CA 45's listing (serial, revocation
        date) pairs, issued now, in one PEM file."""
        out = b""
        for issuer, key, rev in ((self.root, self.root_key, ()),
                                 (self.ca, self.ca_key, revoked)):
            b = (x509.CertificateRevocationListBuilder()
                 .issuer_name(issuer.subject)
                 .last_update(now() - DAY).next_update(now() + 30 * DAY))
            for serial, when, *why in rev:
                r = (x509.RevokedCertificateBuilder().serial_number(serial)
                     .revocation_date(when))
                if why:  # a reason code (x509.ReasonFlags)
                    r = r.add_extension(x509.CRLReason(why[0]), False)
                b = b.add_revoked_certificate(r.build())
            out += b.sign(key, hashes.SHA256()).public_bytes(
                serialization.Encoding.PEM)
        path = self.folder / name
        path.write_bytes(out)
        return path


def signed_file(tmp_path, folder, created, name):
    """A report of ENTITY signed with folder's key, created at created."""
    msg = kc.report(ENTITY, ["450006"])
    msg.created_at_ms = ms(created)
    env = kc.Identity(folder).seal(msg)
    f = tmp_path / name
    f.write_bytes(env.SerializeToString())
    return f, msg


def verifier(tmp_path, pki, past, crl):
    """A node whose configuration verify reads (its daemon never runs),
    trusting past's root, with the CRLs of crl."""
    n = Node(tmp_path / ("v-" + crl.stem), pki, "450006",
             {"r": "wss://127.0.0.1:9/"})
    text = n.conf.read_text()
    text = re.sub(r"(?m)^crl = .*$", f"crl = {crl}", text)
    text = re.sub(r"(?m)^ca = .*$", f"ca = {past.ca_file}", text)
    n.conf.write_text(text)
    return n


def jst(t):
    return t.astimezone(dt.timezone(dt.timedelta(hours=9))).strftime(
        "%Y-%m-%dT%H:%M:%S")


def test_an_expired_certificate_still_verifies_what_it_signed(tmp_path, pki):
    t0 = now()
    start, end = t0 - 30 * DAY, t0 - 10 * DAY
    past = PastPki(pki, tmp_path / "past")
    folder = tmp_path / "old-452017"
    past.issue(folder, start, end)
    v = verifier(tmp_path, pki, past, past.crl("none.pem"))

    # signed while valid: verified, the expiry said as information
    f, msg = signed_file(tmp_path, folder, t0 - 20 * DAY, "old.kairan")
    p = v.run("verify", f)
    assert p.stdout.startswith(f"verified {f}\n"), p.stdout
    assert f"  id:      {msg.id.hex()}\n" in p.stdout
    assert f"  signed:  {jst(t0 - 20 * DAY)}" in p.stdout, p.stdout
    assert "(the chain verified as of this time)" in p.stdout
    line = next(x for x in p.stdout.splitlines()
                if x.startswith("  certificate: "))
    assert f"valid {jst(start)}" in line and f"to {jst(end)}" in line, line
    assert f"; expired since {jst(end)}" in line, line
    assert "it was valid when it signed" in line, line
    assert "  revocation: not revoked (" in p.stdout, p.stdout

    # a signing time before the certificate began, or after it ended
    for days, name in ((40, "before.kairan"), (5, "after.kairan")):
        g, _ = signed_file(tmp_path, folder, t0 - days * DAY, name)
        p = v.run("verify", g, expect=1)
        assert p.stdout == ""
        assert re.search(rf"verify: {re.escape(str(g))}: NOT verified: "
                         r"BAD_CERTIFICATE: .*(expired|not yet valid).*"
                         r"\(as of the signing time "
                         + jst(t0 - days * DAY), p.stderr), p.stderr

    # a signing time in the future is no way round the validity
    g, _ = signed_file(tmp_path, folder, t0 + 2 * DAY, "future.kairan")
    p = v.run("verify", g, expect=1)
    assert "NOT verified: INVALID_FIELD: message.created_at_ms: signed at " \
        in p.stderr and "in the future" in p.stderr, p.stderr

    # the signing time is signed: changing it breaks the signature
    data = bytearray(f.read_bytes())
    stamp = ms(t0 - 20 * DAY)
    env = kc.pb.Envelope.FromString(bytes(data))
    m = kc.pb.Message.FromString(env.message)
    m.created_at_ms = stamp - 1000
    env.message = m.SerializeToString()
    g = tmp_path / "moved.kairan"
    g.write_bytes(env.SerializeToString())
    p = v.run("verify", g, expect=1)
    assert "NOT verified: BAD_SIGNATURE" in p.stderr, p.stderr


def test_revocation_is_judged_by_its_date(tmp_path, pki):
    t0 = now()
    past = PastPki(pki, tmp_path / "past")
    folder = tmp_path / "rev-452017"
    cert = past.issue(folder, t0 - 30 * DAY, t0 + 30 * DAY)
    f, _ = signed_file(tmp_path, folder, t0 - 20 * DAY, "r.kairan")

    # revoked before it signed: not verified
    before = past.crl("before.pem", [(cert.serial_number, t0 - 25 * DAY)])
    p = verifier(tmp_path, pki, past, before).run("verify", f, expect=1)
    assert "NOT verified: REVOKED: envelope.cert_chain[0]: the signer's " \
        f"certificate was revoked at {jst(t0 - 25 * DAY)}" in p.stderr, \
        p.stderr
    assert f"before the signing time {jst(t0 - 20 * DAY)}" in p.stderr

    # revoked after it signed: verified, and the revocation printed
    after = past.crl("after.pem", [(cert.serial_number, t0 - 15 * DAY)])
    p = verifier(tmp_path, pki, past, after).run("verify", f)
    assert p.stdout.startswith(f"verified {f}\n"), p.stdout
    assert f"  revocation: the certificate was revoked at " \
        f"{jst(t0 - 15 * DAY)}+09:00, after the signing time" in p.stdout, \
        p.stdout
    assert "expired since" not in p.stdout

    # another certificate's revocation is not this one's
    other = past.crl("other.pem", [(cert.serial_number + 1, t0 - 25 * DAY)])
    p = verifier(tmp_path, pki, past, other).run("verify", f)
    assert "  revocation: not revoked (" in p.stdout, p.stdout


def test_a_key_compromise_refuses_whatever_the_signing_time(tmp_path, pki):
    """The signing time is the signer's own claim: whoever holds a key
    revoked for compromise can date a new signature before the
    revocation. That reason refuses at any date; another reason after the
    signing time is information (above)."""
    t0 = now()
    past = PastPki(pki, tmp_path / "past")
    folder = tmp_path / "kc-452017"
    cert = past.issue(folder, t0 - 30 * DAY, t0 + 30 * DAY)
    f, _ = signed_file(tmp_path, folder, t0 - 20 * DAY, "k.kairan")
    crl = past.crl("kc.pem", [(cert.serial_number, t0 - 15 * DAY,
                               x509.ReasonFlags.key_compromise)])
    p = verifier(tmp_path, pki, past, crl).run("verify", f, expect=1)
    assert p.stdout == ""
    assert "NOT verified: REVOKED: envelope.cert_chain[0]: the signer's " \
        f"certificate was revoked at {jst(t0 - 15 * DAY)}" in p.stderr, \
        p.stderr
    assert "for a key compromise" in p.stderr, p.stderr
    # superseded after the signing time stays information
    crl = past.crl("sup.pem", [(cert.serial_number, t0 - 15 * DAY,
                                x509.ReasonFlags.superseded)])
    p = verifier(tmp_path, pki, past, crl).run("verify", f)
    assert "revoked at" in p.stdout and "after the signing time" in p.stdout


def test_a_decoy_ca_in_the_chain_does_not_hide_a_revocation(tmp_path, pki):
    """An envelope may carry extra certificates. One the signer made up
    with its CA's name (its own key) put before the real CA must not be
    taken for the issuer: the CRL is checked against the CA whose key
    signed the certificate."""
    t0 = now()
    past = PastPki(pki, tmp_path / "past")
    folder = tmp_path / "decoy-452017"
    cert = past.issue(folder, t0 - 30 * DAY, t0 + 30 * DAY)
    msg = kc.report(ENTITY, ["450006"])
    msg.created_at_ms = ms(t0 - 20 * DAY)
    env = kc.Identity(folder).seal(msg)
    fake_key = ec.generate_private_key(ec.SECP256R1())
    decoy = _copy(past.ca, past.ca.subject, past.ca.subject, fake_key,
                  fake_key, t0 - 700 * DAY, t0 + 3000 * DAY)
    chain = list(env.cert_chain)
    chain.insert(1, decoy.public_bytes(serialization.Encoding.DER))
    del env.cert_chain[:]
    env.cert_chain.extend(chain)
    f = tmp_path / "decoy.kairan"
    f.write_bytes(env.SerializeToString())
    crl = past.crl("d.pem", [(cert.serial_number, t0 - 25 * DAY)])
    p = verifier(tmp_path, pki, past, crl).run("verify", f, expect=1)
    assert "NOT verified: REVOKED: envelope.cert_chain[0]: the signer's " \
        f"certificate was revoked at {jst(t0 - 25 * DAY)}" in p.stderr, \
        (p.stdout, p.stderr)


def test_an_advisory_file_verifies_too(tmp_path, pki):
    """A kept advisory (not only a report) verifies and says what it is."""
    msg = kc.pb.Message(id=kc.new_id(), sender="450006",
                        recipients=["452017"], created_at_ms=kc.now_ms(),
                        status=kc.pb.EXERCISE)
    a = msg.advisory
    a.kind = kc.pb.Advisory.INFORMATION
    a.title = "不審メールの流行について（情報提供）"
    a.summary = "件名「請求書」の不審メールが流行しています。"
    env = kc.Identity(pki.entity("450006")).seal(msg)
    f = tmp_path / "adv.kairan"
    f.write_bytes(env.SerializeToString())
    n = Node(tmp_path / "v-adv", pki, "452017", {"r": "wss://127.0.0.1:9/"})
    p = n.run("verify", f)
    assert p.stdout.startswith(f"verified {f}\n"), p.stdout
    assert "  advisory: 情報提供 (INFORMATION)\n" in p.stdout, p.stdout
    assert "  title:   不審メールの流行について（情報提供）\n" in p.stdout
    assert "  certificate: valid " in p.stdout and "expired" not in p.stdout
