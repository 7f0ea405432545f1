"""Scenario 62: a peer cannot write the relay's journal. A Hello whose
software holds a newline and a forged "accepted" line is refused, and the
journal gains exactly one line about it; quotes a peer may legally send
are escaped inside their field."""
import re

import harness
from kairan_client import Client, Identity, pb

FORGED = "kairan-relay: info: accepted id=" + "00" * 16 + " sender=mic"


def test_newline_in_software_is_one_log_line(relay, pki):
    me = Identity(pki.entity("452017"))
    before = len(relay.log().splitlines())
    with Client(relay.url, pki, me, hello=False) as c:
        c.send_frame(pb.Frame(hello=pb.Hello(
            entity="452017", version=1, software="evil/1\n" + FORGED)))
        f = c.recv()
        assert f.WhichOneof("kind") == "refused", f
        assert "hello.software" in f.refused.detail
        relay.wait_log(r"envelope refused entity=452017")
    new = relay.log().splitlines()[before:]
    assert not any(l.startswith("kairan-relay: info: accepted") for l in new)
    assert len([l for l in new if "hello.software" in l]) == 1, new


def test_quotes_stay_inside_their_field(relay, pki):
    me = Identity(pki.entity("452017"))
    with Client(relay.url, pki, me, hello=False) as c:
        c.send_frame(pb.Frame(hello=pb.Hello(
            entity="452017", version=1,
            software='x" entity=mic addr="10.0.0.1')))
        line = relay.wait_log(r"peer ready entity=452017 .*").group(0)
    assert 'software="x\\" entity=mic addr=\\"10.0.0.1"' in line, line
    # read as key=value fields, quoted values as one: three fields only
    keys = [k for k, _ in re.findall(r'(\w+)=("(?:[^"\\]|\\.)*"|\S+)',
                                     line)]
    assert keys == ["entity", "addr", "software"], (keys, line)
