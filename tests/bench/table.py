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
     {"conns": "100"}, "per_s", ">= 8,000", "/s"),
    ("fanin_20_per_s", "durable fan-in, 20 conns x 64 in flight", "fanin",
     {"conns": "20"}, "per_s", "", "/s"),
    ("fanin_1_per_s", "durable fan-in, 1 conn x 64 in flight", "fanin",
     {"conns": "1"}, "per_s", "", "/s"),
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
    recs = []
    for line in open(path, encoding="utf-8"):
        if not line.startswith("RESULT "):
            continue
        recs.append(dict(kv.split("=", 1) for kv in line.split()[1:]
                         if "=" in kv))
    return recs


def figure(recs, server, scen, match, field):
    vals = [float(r[field]) for r in recs
            if r.get("server") == server and r.get("scenario") == scen
            and field in r and all(r.get(k) == v for k, v in match.items())]
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
    recs = parse(sys.argv[1])
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
        out["_meta"] = {"date": time.strftime("%Y-%m-%dT%H:%M:%SZ",
                                              time.gmtime()),
                        "nodes": nodes, "checks_ok": not bad,
                        "problems": bad}
        with open(sys.argv[2], "w", encoding="utf-8") as f:
            json.dump(out, f, indent=1, ensure_ascii=False)
            f.write("\n")
        print(f"figures written to {sys.argv[2]}")


if __name__ == "__main__":
    main()
