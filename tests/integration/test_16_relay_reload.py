"""Scenario 16: SIGHUP reloads the relay's own certificate (renewed by its
CA) for new connections and keeps the healthy ones."""
import subprocess

import harness
import kairan_client as kc
from kairan_client import Client, Identity


def served_serial(client):
    ssl_object = client.ws.transport.get_extra_info("ssl_object")
    der = ssl_object.getpeercert(binary_form=True)
    out = subprocess.run(["openssl", "x509", "-inform", "DER", "-noout",
                          "-serial"], input=der, capture_output=True,
                         check=True)
    return out.stdout.decode().strip()


def test_sighup_reloads_own_certificate(relay, pki):
    me = Identity(pki.entity("452017"))
    with Client(relay.url, pki, me) as old:
        relay.wait_log(r"peer ready entity=452017")
        before = served_serial(old)
        subprocess.run([str(harness.ROOT / "certs" / "kairan-pki"), "issue",
                        str(pki.path), "relay-45", "--role", "relay",
                        "--force"], check=True, capture_output=True)
        relay.hup()
        relay.wait_log(r"reloaded crls=")
        with Client(relay.url, pki, me) as new:
            assert served_serial(new) != before
            _, a = kc.submit(new, kc.report("452017", ["mic"]))
            assert a.WhichOneof("kind") == "accepted"
        # the connection made before the reload is still served
        _, a = kc.submit(old, kc.report("452017", ["mic"]))
        assert a.WhichOneof("kind") == "accepted"


def test_reload_caught_mid_rotation_keeps_the_old_pair(relay, pki):
    """A renewed certificate beside the old key (the key not copied yet):
    the relay keeps its old certificate and key, and handshakes go on."""
    me = Identity(pki.entity("452017"))
    ent = pki.entity("relay-45")
    with Client(relay.url, pki, me) as c:
        relay.wait_log(r"peer ready entity=452017")
        before = served_serial(c)
    old_key = (ent / "key.pem").read_bytes()
    try:
        subprocess.run([str(harness.ROOT / "certs" / "kairan-pki"), "issue",
                        str(pki.path), "relay-45", "--role", "relay",
                        "--force"], check=True, capture_output=True)
        (ent / "key.pem").write_bytes(old_key)      # half-way
        relay.hup()
        relay.wait_log(r"reload: certificate and key kept: .*does not "
                       r"match")
        with Client(relay.url, pki, me) as c:
            assert served_serial(c) == before
            _, a = kc.submit(c, kc.report("452017", ["mic"]))
            assert a.WhichOneof("kind") == "accepted"
    finally:
        # leave the session's PKI whole for the tests that follow
        subprocess.run([str(harness.ROOT / "certs" / "kairan-pki"), "issue",
                        str(pki.path), "relay-45", "--role", "relay",
                        "--force"], check=True, capture_output=True)
