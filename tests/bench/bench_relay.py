"""bench_relay: a real relay on loopback, one node connection pushing a
burst of signed reports (signed beforehand, pipelined), counting until
every one is answered Accepted — i.e. verified and durably committed by
grouped fsyncs. Prints figures; asserts nothing about time."""
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "integration"))

import harness  # noqa: E402
import kairan_client as kc  # noqa: E402
from kairan_client import Client, Identity, pb  # noqa: E402


def main():
    n = int(sys.argv[1]) if len(sys.argv) > 1 else 5000
    with tempfile.TemporaryDirectory() as tmp:
        pki = harness.Pki(Path(tmp) / "pki")
        relay = harness.Relay(tmp, pki, extra={"log_level": "info",
                                               "queue_limit": n + 1})
        relay.start()
        me = Identity(pki.entity("452017"))
        t0 = time.monotonic()
        frames = []
        for _ in range(n):
            m = kc.report("452017", ["450006", "mic"])
            frames.append(pb.Frame(envelope=me.seal(m)).SerializeToString())
        t1 = time.monotonic()
        print(f"client  signed {n} reports in {t1 - t0:.2f}s (python)")
        with Client(relay.url, pki, me) as c:
            t0 = time.monotonic()
            for f in frames:
                c.send_raw(f)
            acc = ref = 0
            while acc + ref < n:
                f = c.recv(60)
                if f.WhichOneof("kind") == "accepted":
                    acc += 1
                elif f.WhichOneof("kind") == "refused":
                    ref += 1
            t1 = time.monotonic()
        stored = relay.query("SELECT count(*) FROM message")[0][0]
        relay.stop()
        print(f"relay   {acc} accepted, {ref} refused, {stored} stored in "
              f"{t1 - t0:.2f}s: {acc / (t1 - t0):.0f} signed messages/s "
              f"verified and committed (grouped fsync) before Accepted")


if __name__ == "__main__":
    main()
