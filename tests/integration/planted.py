"""Reports put straight into a node's database, for the scenarios of what
the node shows (test_40 onward).

What a node shows must be safe even for data that the protocol refuses
today (old rows, another implementation): a summary holding ESC[2J, an
attachment whose SHA-256 does not match. Such a report can no longer be
delivered over the wire, so it is written into the inbox table directly:
the inbox keeps the exact Envelope bytes, and what `inbox`/`show` print
comes from them. The envelope is signed by the sender's real key, but the
display does not depend on it.
"""
import hashlib
import os
import sqlite3
import time

import kairan_client
import kairan_pb2 as pb

PHASE = pb.IncidentReport.Phase
CATEGORY = pb.IncidentReport.Category


def attachment(name, data, media_type="text/plain", sha256=None):
    return pb.Attachment(name=name, media_type=media_type, data=data,
                         sha256=sha256 or hashlib.sha256(data).digest())


def plant(node, sender="452017", status=pb.ACTUAL, report_no=1,
          phase=PHASE.INITIAL, incident=None, received_ms=None, **fields):
    """Stores a report from sender in node's inbox; returns (message id,
    incident id) as hex. fields are IncidentReport fields (title,
    summary, level, category, contact=pb.Contact(...), attachments=[...])."""
    node.run("inbox")   # creates and migrates the database if need be
    fields.setdefault("category", CATEGORY.CYBER_ATTACK)
    fields.setdefault("level", 1)
    fields.setdefault("summary", "概要")
    mid = os.urandom(16)
    inc = incident or os.urandom(16)
    now = int(time.time() * 1000)
    r = pb.IncidentReport(incident_id=inc, report_no=report_no, phase=phase,
                          **fields)
    m = pb.Message(id=mid, sender=sender, recipients=[node.id],
                   created_at_ms=now, status=status, report=r)
    ident = kairan_client.Identity(node.pki.entity(sender))
    env = ident.seal(m).SerializeToString()
    db = sqlite3.connect(node.db, timeout=10)
    try:
        with db:
            db.execute(
                "INSERT INTO inbox(id, sender, incident, report_no, status, "
                "created_ms, received_ms, route, envelope, digest, phase) "
                "VALUES(?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                (mid, sender, inc, report_no, status, now,
                 received_ms or now, "planted", env,
                 hashlib.sha256(env).digest(), phase))
    finally:
        db.close()
    return mid.hex(), inc.hex()
