"""Scenario 65: the audit log's tail. Rows cut off the end of the audit
log leave an intact, shorter chain; the relay's signed checkpoints (in its
log, kept apart from the database) show the cut. A forged checkpoint does
not verify, and `-n` never creates or migrates a database."""
import re
import sqlite3

import kairan_client as kc
from kairan_client import Client, Identity


def submit_some(relay, pki, n):
    with Client(relay.url, pki, Identity(pki.entity("452017"))) as c:
        for _ in range(n):
            _, a = kc.submit(c, kc.report("452017", ["mic"]))
            assert a.WhichOneof("kind") == "accepted"


def test_checkpoint_shows_rows_cut_off_the_end(relays, pki, tmp_path):
    relay = relays(extra={"audit_checkpoint": "1s",
                          "log_level": "warning"})
    submit_some(relay, pki, 5)
    # written within a second, even at log_level = warning
    # 3 rows a report: it, the relay's QUEUED receipt, its receipt row
    relay.wait_log(r"audit: kairan-audit-checkpoint v=1 "
                   r"relay=relay-45 rows=15 ")
    relay.stop()
    log = relay.dir / "relay.log"
    r = relay.run("audit", "verify", "--checkpoint", log)
    assert r.returncode == 0, r.stdout + r.stderr
    assert "audit OK against the checkpoint" in r.stdout

    # the last rows are cut off: the chain alone still looks intact
    with sqlite3.connect(relay.db) as db:
        db.execute("DELETE FROM audit WHERE seq > 9")
    r = relay.run("audit", "verify")
    assert r.returncode == 0 and "audit OK: 9 rows" in r.stdout
    r = relay.run("audit", "verify", "--checkpoint", log)
    assert r.returncode == 1, r.stdout
    assert "TRUNCATED" in r.stdout and "counts 15 rows" in r.stdout

    # a checkpoint edited to say fewer rows no longer verifies
    text = log.read_text()
    forged = tmp_path / "forged.log"
    forged.write_text(re.sub(r"rows=15 ", "rows=9 ", text))
    r = relay.run("audit", "verify", "--checkpoint", forged)
    assert r.returncode == 1
    assert "signature does not verify" in r.stderr, r.stderr


def test_check_only_reads(relays):
    relay = relays(start=False)
    r = relay.run("-n")
    assert r.returncode == 0, r.stderr
    assert "configuration OK" in r.stdout
    assert not relay.db.exists()      # -n created nothing
