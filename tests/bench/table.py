"""table.py RESULTS [JSON]: the one table of `make bench` from the RESULT
lines of tests/bench/loadgen (one line per run), and the same figures as
JSON (keys in tests/bench/README.md): each figure is the median of its
runs with min and max beside it. Also says whether any run lost,
duplicated or refused anything. Prints figures; asserts nothing on time."""
import json
import statistics
import sys
import time

# key, label, scenario, server filter (extra field=value), field, target, unit
ROWS = [
    ("fanin_100_per_s", "durable fan-in, 100 conns x 64 in flight", "fanin",
     {"conns": "100", "idle": "0"}, "per_s", ">= 8,000", "/s"),
    ("fanin_100_idle_per_s", "  the same, every other node connected",
     "fanin", {"conns": "100", "idle": lambda v: v not in (None, "0")},
     "per_s", "", "/s"),
    ("fanin_20_per_s", "durable fan-in, 20 conns x 64 in flight", "fanin",
     {"conns": "20", "idle": "0"}, "per_s", "", "/s"),
    ("fanin_1_per_s", "durable fan-in, 1 conn x 64 in flight", "fanin",
     {"conns": "1", "idle": "0"}, "per_s", "", "/s"),
    ("broadcast_1788_ms", "national broadcast, every DELIVERED verified",
     "broadcast", {}, "ms", "< 400", "ms"),
    ("broadcast_1788_cold_ms", "  the same, cold (no signer seen yet)",
     "broadcast", {}, "cold_ms", "< 800", "ms"),
    ("storm_1789_ms", "reconnect storm: all back (and caught up)",
     "storm", {}, "ms", "< 2,500", "ms"),
    ("rss_kb_per_conn", "server RSS per connected node", "broadcast", {},
     "rss_kb_per_conn", "<= 25", "KB"),
    ("latency_p50_ms", "report -> 1 recipient -> signed DELIVERED, p50",
     "latency", {}, "p50_ms", "< 3", "ms"),
    ("latency_p99_ms", "  the same, p99", "latency", {}, "p99_ms", "", "ms"),
    ("slow_reader_rss_kb", "RSS growth, 2,000 reports to a node not reading",
     "slow", {}, "rss_kb", "", "KB"),
    ("federated_broadcast_1788_ms", "broadcast through hub + 47 relays",
     "federated", {}, "ms", "", "ms"),
    ("federated_broadcast_1788_cold_ms", "  the same, cold", "federated", {},
     "cold_ms", "", "ms"),
]
# figures mosquitto has (the same scenario against the broker)
MOSQUITTO = {"fanin_100_per_s", "fanin_1_per_s", "broadcast_1788_ms",
             "broadcast_1788_cold_ms", "storm_1789_ms", "rss_kb_per_conn"}


def parse(path):
    recs, floors = [], []
    for line in open(path, encoding="utf-8"):
        if line.startswith("RESULT "):
            recs.append(dict(kv.split("=", 1) for kv in line.split()[1:]
                             if "=" in kv))
        elif line.startswith("FLOOR "):
            floors.append({k: float(v) for k, v in
                           (kv.split("=", 1) for kv in line.split()[1:]
                            if "=" in kv)})
    return recs, floors


def floor_costs(floors):
    """The median of each cost bench_floor measured (one line per run)."""
    if not floors:
        return None
    return {k: statistics.median(f[k] for f in floors if k in f)
            for k in floors[0]}


def kfield(recs, scen, match, field):
    f = figure(recs, "kairan", scen, match, field)
    return f["median"] if f else None


def floors_of(recs, c):
    """Per figure: (floor, unit, what the floor is made of, the server's
    own cost beside it or None). A floor is what the figure cannot pass on
    this machine whatever the code does: the irreducible steps, at what
    bench_floor measured them, on the core that must do them in series."""
    S, V = c["ecdsa_sign_us"], c["ecdsa_verify_us"]
    F, HR = c["fsync_us"], c["handshake_resumed_us"]
    n = kfield(recs, "broadcast", {}, "rcpt") or 1788
    m = kfield(recs, "storm", {}, "nodes") or 1789
    out = {}
    R = c.get("sqlite_row_us", 0)
    us = kfield(recs, "fanin", {"conns": "100", "idle": "0"}, "us_per")
    # kairan-node (and loadgen) take a batched QUEUED (PROTOCOL.md §7.4):
    # its signature and row are shared by the commit, as the fsync is
    out["fanin_100_per_s"] = (
        1e6 / (V + R), "/s",
        f"relay core: per envelope 1 ECDSA verification ({V:.0f} us) + 1 "
        f"SQLite row, the report ({R:.1f} us); the fsync and the one "
        f"signed QUEUED receipt ({S:.0f} us, and its row) are shared by "
        f"the commit's reports of one sender",
        f"relay CPU {us:.0f} us/envelope" if us else None)
    cpu = kfield(recs, "broadcast", {}, "cpu_ms")
    gen = kfield(recs, "broadcast", {}, "gen_cpu_ms")
    side = (f"relay CPU {cpu:,.0f} ms, generator CPU {gen:,.0f} ms"
            if cpu and gen else None)
    out["broadcast_1788_ms"] = (
        (n * (S + V) + 2 * F) / 1e3, "ms",
        f"generator core: {n:,.0f} DELIVERED signed and verified by the "
        f"sender ({S:.0f} + {V:.0f} us each), 2 fsyncs in series "
        f"({F:.0f} us); the relay's {n:,.0f} verifications run beside it",
        side)
    D = c.get("cert_decode_us", 0)
    out["broadcast_1788_cold_ms"] = (
        (n * (S + 2 * V + D) + 2 * F) / 1e3, "ms",
        f"the same, and each new signer's certificate decoded ({D:.0f} us: "
        f"OpenSSL 3.0 decodes its key through the provider decoders) and "
        f"its leaf checked under its known intermediate (one more "
        f"verification)", None)
    cpu = kfield(recs, "storm", {}, "cpu_ms")
    out["storm_1789_ms"] = (
        m * (HR + V) / 1e3 if HR else 0, "ms",
        f"relay core: per node a resumed mTLS handshake ({HR:.0f} us) and "
        f"its certificate checked again ({V:.0f} us), {m:,.0f} nodes",
        f"relay CPU {cpu:,.0f} ms" if cpu else None)
    out["rss_kb_per_conn"] = (
        c["tls_conn_kb"], "KB",
        "OpenSSL's heap of one idle mTLS connection on the server side, "
        "buffers released, each with its own decoded chain (the relay "
        "shares the intermediates, so it can go a little below)", None)
    out["latency_p50_ms"] = (
        (2 * F + 2 * S + 4 * V) / 1e3, "ms",
        "2 fsyncs in series at the relay, 2 signatures (report, "
        "DELIVERED), 4 verifications (relay and recipient, relay and "
        "sender)", None)
    return out


def met(value, target):
    """Whether value meets a target such as '>= 8,000', '< 400'."""
    op, num = target.split()
    num = float(num.replace(",", ""))
    return {">=": value >= num, "<": value < num, "<=": value <= num}[op]


def figure(recs, server, scen, match, field):
    vals = [float(r[field]) for r in recs
            if r.get("server") == server and r.get("scenario") == scen
            and field in r and all(v(r.get(k)) if callable(v) else
                                   r.get(k) == v for k, v in match.items())]
    if not vals:
        return None
    return {"median": statistics.median(vals), "min": min(vals),
            "max": max(vals), "runs": vals}


def fmt(f, unit):
    if f is None:
        return "-"
    def n(x):
        return f"{x:,.0f}" if unit == "/s" or abs(x) >= 100 else f"{x:.1f}" \
            if abs(x) >= 10 else f"{x:.2f}"
    if len(f["runs"]) == 1:
        return n(f["median"])
    return f"{n(f['median'])} [{n(f['min'])}-{n(f['max'])}]"


def main():
    recs, floor_lines = parse(sys.argv[1])
    costs = floor_costs(floor_lines)
    out = {}
    rows = []
    for key, label, scen, match, field, target, unit in ROWS:
        k = figure(recs, "kairan", scen, match, field)
        m = figure(recs, "mosquitto", scen, match, field) \
            if key in MOSQUITTO else None
        out[key] = k
        if key in MOSQUITTO:
            out["mosquitto_" + key] = m
        ratio = "-"
        if k and m and m["median"]:
            ratio = f"{k['median'] / m['median']:.2f}"
        rows.append((label, fmt(k, unit) + (" " + unit if k else ""),
                     fmt(m, unit) if key in MOSQUITTO else "",
                     ratio if key in MOSQUITTO else "", target))
    auto = figure(recs, "mosquitto-autosave", "fanin", {"conns": "1"},
                  "per_s")
    out["mosquitto_autosave_fanin_1_per_s"] = auto
    head = ("figure", "kairan median [min-max]", "mosquitto", "ratio",
            "target")
    w = [max(len(r[i]) for r in rows + [head]) for i in range(5)]
    line = "  ".join(h.ljust(w[i]) for i, h in enumerate(head))
    print(line)
    print("-" * len(line))
    for r in rows:
        print("  ".join(c.ljust(w[i]) for i, c in enumerate(r)))
    print("ratio: kairan / mosquitto (for /s higher is better, for ms and KB "
          "lower is better); mosquitto's receipts are unsigned, its storm "
          "needs no catch-up")
    if auto:
        print(f"mosquitto with autosave after every change (autosave_on_"
              f"changes, autosave_interval 1), 1 conn: "
              f"{fmt(auto, '/s')} /s")
    storms = [r for r in recs if r.get("server") == "mosquitto"
              and r.get("scenario") == "storm" and "lost_by_broker" in r]
    if storms:
        print("mosquitto storm: the report PUBACKed before the SIGKILL "
              "never reached " + ", ".join(r["lost_by_broker"]
                                           for r in storms)
              + " recipients (per run; its persistence is not crash-safe, "
              "but it had sent most copies before the kill)")
    if costs:
        print()
        print("floors on this machine (bench_floor, median of "
              f"{len(floor_lines)}: ECDSA sign {costs['ecdsa_sign_us']:.0f} "
              f"us, verify {costs['ecdsa_verify_us']:.0f} us, a chain with "
              f"its CRLs {costs['chain_verify_us']:.0f} us, a certificate "
              f"decoded {costs.get('cert_decode_us', 0):.0f} us, mTLS handshake "
              f"full {costs['handshake_full_us']:.0f} us, resumed "
              f"{costs['handshake_resumed_us']:.0f} us, fdatasync "
              f"{costs['fsync_us']:.0f} us, a SQLite row "
              f"{costs.get('sqlite_row_us', 0):.1f} us, an idle TLS connection "
              f"{costs['tls_conn_kb']:.1f} KB):")
        floors = floors_of(recs, costs)
        meta_floors = {}
        for key, label, scen, match, field, target, unit in ROWS:
            if key not in floors or out.get(key) is None:
                continue
            fl, funit, what, side = floors[key]
            k = out[key]["median"]
            if not k or not fl:
                continue	# a failed run, or a floor not measured
            dist = k / fl if unit != "/s" else fl / k
            state = ("met" if target and met(k, target) else
                     "not met" if target else "no target")
            reach = ""
            if target and not met(k, target):
                reach = ("; the floor is past the target, so the "
                         "target is reachable here" if met(fl, target)
                         else "; the floor itself misses the target: "
                         "this machine cannot reach it")
            print(f"  {label.strip()}: {fmt(out[key], unit)} {unit}, floor "
                  f"{fmt({'median': fl, 'runs': [fl]}, unit)} {funit} "
                  f"({dist:.1f}x the floor; target {target or '-'}: "
                  f"{state}{reach})")
            print(f"    floor: {what}" + (f"; measured: {side}" if side
                                         else ""))
            meta_floors[key] = {"floor": round(fl, 3), "unit": funit,
                                "distance": round(dist, 2),
                                "target_met": bool(target and met(k, target))
                                if target else None}
        out["_floors"] = {"costs": costs, "figures": meta_floors}
    bad = []
    for r in recs:
        errs = {k: r.get(k, "0") for k in ("failed", "lost", "refused",
                                           "dups", "verify_fail", "bad")}
        if any(v != "0" for v in errs.values()):
            bad.append(f"{r.get('server')} {r.get('scenario')} "
                       + " ".join(f"{k}={v}" for k, v in errs.items()
                                  if v != "0"))
    nodes = sorted({r.get("nodes") for r in recs if r.get("nodes")})
    print(f"{len(recs)} runs (broadcast/storm with {', '.join(nodes) or '-'} "
          "nodes): " + ("nothing lost, duplicated or refused in any run"
                        if not bad else "PROBLEMS: " + "; ".join(bad)))
    if len(sys.argv) > 2 and sys.argv[2]:
        floors_json = out.pop("_floors", None)
        out["_meta"] = {"floors": floors_json, "date": time.strftime("%Y-%m-%dT%H:%M:%SZ",
                                              time.gmtime()),
                        "nodes": nodes, "checks_ok": not bad,
                        "problems": bad}
        with open(sys.argv[2], "w", encoding="utf-8") as f:
            json.dump(out, f, indent=1, ensure_ascii=False)
            f.write("\n")
        print(f"figures written to {sys.argv[2]}")


if __name__ == "__main__":
    main()
