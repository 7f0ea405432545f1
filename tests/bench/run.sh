#!/usr/bin/env bash
# make bench: prints figures (never pass/fail on time; tests/bench/README.md).
#   BUILD, BIN, DATA: the build to measure (make passes them)
#   BENCH_RUNS   runs of each scenario (default 3; the table shows the median)
#   BENCH_NODES  simulated nodes for broadcast and storm (default: the whole
#                directory, 1,789 with mic; use e.g. 50 while developing)
#   BENCH_ONLY   a space-separated subset of: fanin broadcast storm latency
#                slow mosquitto federated micro (default: all)
#   BENCH_JSON   FILE: the figures as JSON too (keys: README.md)
#   BENCH_N      envelopes for bench_crypto (default 5000)
# The relay (or mosquitto) runs on core 0, the generator on core 1; each
# run starts its own server on a fresh store and stops it (the generator
# kills it at exit, and it dies with the generator).
set -euo pipefail
cd "$(dirname "$0")/../.."
BUILD=${BUILD:-build}
BIN=${BIN:-bin}
RUNS=${BENCH_RUNS:-3}
NODES=${BENCH_NODES:-100000}
ONLY=${BENCH_ONLY:-fanin broadcast storm latency slow mosquitto federated micro}
LG=${LOADGEN:-$BUILD/bench/loadgen}
PKI=$(cd "$BUILD" && pwd)/bench/pki
DIRJSON=$(cd "$BUILD" && pwd)/directory.json
RELAY=$(cd "$BIN" && pwd)/kairan-relay
want() { case " $ONLY " in *" $1 "*) return 0 ;; esac; return 1; }

bash tests/bench/mkpki.sh "$PKI" "$DIRJSON"
WORK=$(mktemp -d /tmp/kairan-bench.XXXXXX)
FEDPIDS=()
fed_stop() {
	local p
	for p in "${FEDPIDS[@]}"; do kill -TERM "$p" 2>/dev/null || true; done
	for p in "${FEDPIDS[@]}"; do wait "$p" 2>/dev/null || true; done
	FEDPIDS=()
}
trap 'fed_stop; rm -rf "$WORK"' EXIT
RESULTS=$WORK/results.txt
: >"$RESULTS"
KPORT=$((20000 + RANDOM % 20000))
MPORT=$((KPORT + 1))

# One relay serving every entity of the directory: the 47 prefectures and
# the national bodies; its defaults otherwise (window, queue_limit,
# max_pending, log level), as a deployment would have them.
cat >"$WORK/relay.conf" <<CONF
[relay]
id = relay-national
listen = 127.0.0.1:$KPORT
db = $WORK/relay.db
cert = $PKI/entities/relay-national/chain.pem
key = $PKI/entities/relay-national/key.pem
ca = $PKI/root/ca.pem
crl = $PKI/crl.pem
directory = $DIRJSON
serve = $(seq -w 1 47 | tr '\n' ' ')mic nisc
CONF

# mosquitto 2.0: TLS 1.3 with client certificates required, the client's
# CN as its user name, the same CA and CRLs; persistence on with its
# default autosave (30 min): PUBACKed, not crash-safe.
mosq_conf() {	# $1: file, $2: extra lines
	mkdir -p "$WORK/mq"
	cat >"$1" <<CONF
per_listener_settings false
persistence true
persistence_location $WORK/mq/
user root
log_dest stderr
log_type error
log_type warning
max_queued_messages 100000
$2
listener $MPORT 127.0.0.1
cafile $PKI/root/ca.pem
certfile $PKI/entities/relay-national/chain.pem
keyfile $PKI/entities/relay-national/key.pem
crlfile $PKI/crl.pem
require_certificate true
use_identity_as_username true
tls_version tlsv1.3
CONF
}
mosq_conf "$WORK/mosquitto.conf" ""
mosq_conf "$WORK/mosquitto-autosave.conf" "autosave_on_changes true
autosave_interval 1"

# lg SERVER SCENARIO ARGS...: one run; its RESULT line goes to $RESULTS.
lg() {
	local server=$1 scen=$2 out rc=0
	shift 2
	rm -rf "$WORK"/relay.db* "$WORK"/mq/*.db
	local cmd=(taskset -c 1 "$LG" "$scen" --pki "$PKI" --directory "$DIRJSON")
	case $server in
	kairan) cmd+=(--port "$KPORT" --db "$WORK/relay.db" "$@" -- taskset -c 0 "$RELAY" -f "$WORK/relay.conf") ;;
	mosquitto) cmd+=(--port "$MPORT" --mqtt "$@" -- taskset -c 0 mosquitto -c "$WORK/mosquitto.conf") ;;
	mosquitto-autosave) cmd+=(--port "$MPORT" --mqtt "$@" -- taskset -c 0 mosquitto -c "$WORK/mosquitto-autosave.conf") ;;
	esac
	out=$("${cmd[@]}" 2>>"$WORK/$server.log") || rc=$?
	printf '%s\n' "$out" | grep -v '^RESULT' | sed 's/^/  /'
	if [ "$rc" -ne 0 ]; then
		echo "  FAILED: $server $scen (exit $rc); last lines of its log:"
		tail -n 5 "$WORK/$server.log" | sed 's/^/    /'
		echo "RESULT scenario=$scen server=$server failed=1 $*" >>"$RESULTS"
		return 0
	fi
	printf '%s\n' "$out" | grep '^RESULT' | sed "s/server=mosquitto/server=$server/" >>"$RESULTS"
}

# The federation of tests/integration/fedharness.py at full size: the hub
# (relay-national, home of mic) on FPORT, relay-PP on FPORT + PP, each
# dialling the hub; every relay on core 0, each on its own store.
FPORT=$((MPORT + 1))
fed_conf() {
	local pp d=$WORK/fed
	mkdir -p "$d"
	{
		echo "[relay]"
		echo "id = relay-national"
		echo "listen = 127.0.0.1:$FPORT"
		echo "db = $d/hub.db"
		echo "cert = $PKI/entities/relay-national/chain.pem"
		echo "key = $PKI/entities/relay-national/key.pem"
		echo "ca = $PKI/root/ca.pem"
		echo "crl = $PKI/crl.pem"
		echo "directory = $DIRJSON"
		for pp in $(seq -w 1 47); do
			printf '\n[peer relay-%s]\nid = relay-%s\n' "$pp" "$pp"
		done
	} >"$d/hub.conf"
	for pp in $(seq -w 1 47); do
		cat >"$d/relay-$pp.conf" <<CONF
[relay]
id = relay-$pp
listen = 127.0.0.1:$((FPORT + 10#$pp))
db = $d/relay-$pp.db
cert = $PKI/entities/relay-$pp/chain.pem
key = $PKI/entities/relay-$pp/key.pem
ca = $PKI/root/ca.pem
crl = $PKI/crl.pem
directory = $DIRJSON
hub = national

[peer national]
id = relay-national
url = wss://127.0.0.1:$FPORT/
CONF
	done
}
# fed_start: the 48 relays, then waits until the hub has all 47 links.
fed_start() {
	local c n i
	rm -f "$WORK"/fed/*.db* "$WORK"/fed/*.log
	for c in "$WORK"/fed/*.conf; do
		taskset -c 0 "$RELAY" -f "$c" 2>"${c%.conf}.log" &
		FEDPIDS+=($!)
	done
	for i in $(seq 1 600); do
		n=$(grep -c "peer connected entity=relay-[0-9]* role=relay" \
		    "$WORK/fed/hub.log" 2>/dev/null) || true
		[ "${n:-0}" -ge 47 ] && return 0
		sleep 0.1
	done
	echo "  FAILED: the hub has ${n:-0} of 47 links after 60 s"
	return 1
}
fed_run() {
	local out rc=0
	fed_start || { fed_stop; echo "RESULT scenario=federated server=kairan failed=1" >>"$RESULTS"; return 0; }
	out=$(taskset -c 1 "$LG" broadcast --pki "$PKI" --directory "$DIRJSON" \
	    --fed-base "$FPORT" --n "$NODES" 2>>"$WORK/federated.log") || rc=$?
	fed_stop
	printf '%s\n' "$out" | grep -v '^RESULT' | sed 's/^/  /'
	if [ "$rc" -ne 0 ]; then
		echo "  FAILED: federated broadcast (exit $rc)"
		tail -n 5 "$WORK/federated.log" | sed 's/^/    /'
		echo "RESULT scenario=federated server=kairan failed=1" >>"$RESULTS"
		return 0
	fi
	printf '%s\n' "$out" | grep '^RESULT' >>"$RESULTS"
}
fed_conf

echo "== load generator: relay on core 0, generator on core 1 ($RUNS runs each)"
echo "   machine load before: $(cut -d' ' -f1-3 /proc/loadavg) (the figures are only as quiet as the machine)"
for i in $(seq 1 "$RUNS"); do
	echo "-- run $i"
	# what the irreducible steps cost now, on the relay's core (the
	# table's floors: the median of the runs)
	if [ -x "$BUILD/bench/bench_floor" ]; then
		out=$(taskset -c 0 "$BUILD/bench/bench_floor" "$PKI" "$WORK") ||
		    out="bench_floor failed"
		printf '%s\n' "$out" | grep -v '^FLOOR' | sed 's/^/  /'
		printf '%s\n' "$out" | grep '^FLOOR' >>"$RESULTS" || true
	fi
	if want fanin; then
		lg kairan fanin --n 1 --count 3000
		lg kairan fanin --n 20 --count 300
		lg kairan fanin --n 100 --count 200
		# every other node of the directory connected, idle meanwhile
		if [ "$NODES" -gt 100 ]; then
			lg kairan fanin --n 100 --count 200 --idle "$((NODES - 100))"
		fi
	fi
	if want broadcast; then lg kairan broadcast --n "$NODES"; fi
	# the nodes resume their TLS sessions, as kairan-node does (the
	# relay keeps its ticket keys across the SIGKILL: relay/tickets.c)
	if want storm; then lg kairan storm --n "$NODES" --resume; fi
	if want latency; then lg kairan latency --count 300; fi
	if want slow; then lg kairan slow --count 2000; fi
	if want federated; then fed_run; fi
	if want mosquitto; then
		if command -v mosquitto >/dev/null; then
			if want fanin; then
				lg mosquitto fanin --n 1 --count 20000
				lg mosquitto fanin --n 100 --count 1000
				[ "$i" -eq 1 ] && lg mosquitto-autosave fanin --n 1 --count 300
			fi
			if want broadcast; then lg mosquitto broadcast --n "$NODES"; fi
			if want storm; then lg mosquitto storm --n "$NODES"; fi
		else
			echo "  mosquitto is not installed (bash deploy/deps.sh): no mosquitto figures"
		fi
	fi
done
echo "   machine load after: $(cut -d' ' -f1-3 /proc/loadavg)"
echo
/usr/bin/python3 tests/bench/table.py "$RESULTS" "${BENCH_JSON:-}"

if want micro && [ -x "$BUILD/bench/bench_crypto" ] && [ -x "$BUILD/bench/bench_store" ]; then
	echo
	echo "== protocol library: seal and verify (one core)"
	"$BUILD/bench/bench_crypto" "${BENCH_N:-5000}" "$PKI"	# + cold/warm signers
	echo "== relay store: durable writes (WAL, synchronous=FULL)"
	"$BUILD/bench/bench_store"
fi
