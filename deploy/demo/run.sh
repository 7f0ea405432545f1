#!/usr/bin/env bash
# The demo (`make demo`): a local federation for Miyazaki prefecture on
# loopback, from the real directory data. One relay (relay-45, serving
# prefecture 45 and mic) and eleven nodes: the prefecture (450006),
# Miyazaki-shi (452017), its eight neighbours, and the ministry (mic).
# Miyazaki-shi sends a level-3 targeted-attack report, marked as an
# exercise (訓練, --exercise: this is a demo, not an incident), to
# @prefecture,@ministry,@neighbours; we watch the receipts, acknowledge from
# some recipients, send 第2報, and leave everything running.
#
#   deploy/demo/run.sh          (re)start the demo and run the scenario
#   deploy/demo/run.sh stop     stop a running demo (make demo-stop)
#
# Everything lives under ./demo/ (git-ignored): pki/, relay/, nodes/ID/,
# logs/, pids/. Binaries from $KAIRAN_BIN (default bin/), the directory
# from $KAIRAN_BUILD/directory.json (default build/). No fixed sleeps:
# every wait polls a log line or a status with a timeout.
if [ -z "${BASH_VERSION:-}" ]; then exec bash "$0" "$@"; fi
set -euo pipefail

cd "$(dirname "$0")/../.."
ROOT=$PWD
DEMO=${KAIRAN_DEMO_DIR:-$ROOT/demo}
BIN=${KAIRAN_BIN:-$ROOT/bin}
BUILD=${KAIRAN_BUILD:-$ROOT/build}
PKI=$ROOT/certs/kairan-pki
TIMEOUT=${DEMO_TIMEOUT:-30}

SENDER=452017
PREF=450006
NEIGHBOURS="452025 452041 452050 452084 453412 453820 453838 454028"
NODES="$PREF $SENDER $NEIGHBOURS mic"

say() { printf '\n== %s\n' "$*"; }
die() { echo "demo: $*" >&2; exit 1; }

# --- stopping -------------------------------------------------------------

# 1 if pid is alive and one of our programs (a recycled pid is not ours).
ours() {
	local pid=$1
	kill -0 "$pid" 2>/dev/null || return 1
	tr '\0' ' ' <"/proc/$pid/cmdline" 2>/dev/null | grep -q 'kairan-'
}

stop_all() {
	local f pid n=0 i
	[ -d "$DEMO/pids" ] || return 0
	for f in "$DEMO"/pids/*; do
		[ -e "$f" ] || continue
		pid=$(cat "$f")
		if ours "$pid"; then
			kill -TERM "$pid" 2>/dev/null || true
			n=$((n + 1))
		fi
	done
	# Wait for them to exit; SIGKILL what is left after 10 s.
	for i in $(seq 1 100); do
		local alive=0
		for f in "$DEMO"/pids/*; do
			[ -e "$f" ] || continue
			pid=$(cat "$f")
			if ours "$pid"; then alive=1; fi
		done
		[ "$alive" -eq 0 ] && break
		if [ "$i" -eq 100 ]; then
			for f in "$DEMO"/pids/*; do
				pid=$(cat "$f")
				if ours "$pid"; then kill -KILL "$pid" || true; fi
			done
		fi
		sleep 0.1
	done
	rm -f "$DEMO"/pids/*
	[ "$n" -eq 0 ] || echo "demo: stopped $n processes"
}

if [ "${1:-}" = "stop" ]; then
	stop_all
	exit 0
fi
[ $# -eq 0 ] || die "usage: deploy/demo/run.sh [stop]"

# --- waiting --------------------------------------------------------------

# wait_log FILE PATTERN PIDFILE WHAT: until FILE has a line matching
# PATTERN (grep -E); fails if the process dies or TIMEOUT passes.
wait_log() {
	local file=$1 pat=$2 pidf=$3 what=$4 end
	end=$(( $(date +%s) + TIMEOUT ))
	until grep -qE "$pat" "$file" 2>/dev/null; do
		if ! ours "$(cat "$pidf")"; then
			tail -n 20 "$file" >&2 || true
			die "$what exited (log: ${file#$ROOT/})"
		fi
		[ "$(date +%s)" -lt "$end" ] ||
		    die "$what not ready after ${TIMEOUT}s (log: ${file#$ROOT/})"
		sleep 0.1
	done
}

node() {	# node ID VERB ARGS...: the command line of node ID
	local id=$1
	shift
	"$BIN/kairan-node" -f "$DEMO/nodes/$id/node.conf" "$@"
}

# wait_status ID MSG FIELD N: until `status MSG --json` of node ID has
# FIELD (delivered|acknowledged) >= N, printing the progress as it changes.
wait_status() {
	local id=$1 msg=$2 field=$3 want=$4 end line last=""
	end=$(( $(date +%s) + TIMEOUT ))
	while :; do
		line=$(node "$id" status "$msg" --json | python3 -c '
import json, sys
s = json.load(sys.stdin)
print("delivered %d/%d, acknowledged %d/%d %d" % (s["delivered"],
    s["total"], s["acknowledged"], s["total"], s[sys.argv[1]]))' "$field")
		if [ "${line% *}" != "$last" ]; then
			last=${line% *}
			echo "  $last"
		fi
		[ "${line##* }" -ge "$want" ] && return 0
		[ "$(date +%s)" -lt "$end" ] ||
		    die "$field: fewer than $want after ${TIMEOUT}s"
		sleep 0.2
	done
}

# wait_inbox ID MSG: until node ID has message MSG in its inbox.
wait_inbox() {
	local id=$1 msg=$2 end
	end=$(( $(date +%s) + TIMEOUT ))
	until node "$id" show "$msg" --json >/dev/null 2>&1; do
		[ "$(date +%s)" -lt "$end" ] ||
		    die "$id: message $msg not received after ${TIMEOUT}s"
		sleep 0.2
	done
}

# --- setting up -----------------------------------------------------------

for p in kairan-relay kairan-node; do
	[ -x "$BIN/$p" ] || die "$BIN/$p missing: run make first"
done
[ -f "$BUILD/directory.json" ] ||
    die "$BUILD/directory.json missing: run make first"
command -v python3 >/dev/null || die "python3 is needed (make deps)"

stop_all
rm -rf "$DEMO"
mkdir -p "$DEMO/logs" "$DEMO/pids" "$DEMO/relay" "$DEMO/nodes"

say "PKI: root, CA 45, CA national, relay-45, 11 nodes (demo/pki)"
{
	"$PKI" init "$DEMO/pki"
	"$PKI" ca "$DEMO/pki" 45
	"$PKI" ca "$DEMO/pki" national
	"$PKI" issue "$DEMO/pki" relay-45 --role relay
	for id in $NODES; do
		"$PKI" issue "$DEMO/pki" "$id" --role node
	done
	"$PKI" crl "$DEMO/pki"
} >"$DEMO/logs/pki.log" 2>&1 || { cat "$DEMO/logs/pki.log" >&2; die "PKI failed"; }
cp "$BUILD/directory.json" "$DEMO/directory.json"

# Port 0: the kernel chooses a free port (two demos, or a demo and the
# tests, never collide); the relay logs it and the nodes are pointed there.
cat >"$DEMO/relay/relay.conf" <<EOF
; demo relay for Miyazaki prefecture (written by deploy/demo/run.sh)
[relay]
id = relay-45
listen = 127.0.0.1:0
db = relay.db
cert = ../pki/entities/relay-45/chain.pem
key = ../pki/entities/relay-45/key.pem
ca = ../pki/root/ca.pem
crl = ../pki/crl.pem
directory = ../directory.json
serve = 45 mic
EOF

# Each daemon in its own session: a later Ctrl-C in this terminal does
# not reach them, and they outlive this script and make.
say "starting relay-45 on 127.0.0.1 (a free port)"
(cd "$DEMO/relay" && exec setsid "$BIN/kairan-relay" -f relay.conf \
    </dev/null >"$DEMO/logs/relay-45.log" 2>&1) &
echo $! >"$DEMO/pids/relay-45"
wait_log "$DEMO/logs/relay-45.log" 'listening addr=127\.0\.0\.1:[0-9]+' \
    "$DEMO/pids/relay-45" relay-45
PORT=$(sed -n 's/.*listening addr=127\.0\.0\.1:\([0-9][0-9]*\).*/\1/p' \
    "$DEMO/logs/relay-45.log" | head -n1)
[ -n "$PORT" ] || die "relay-45: no port in its log"
# a restart by hand keeps the port the nodes know
sed -i "s/^listen = 127\.0\.0\.1:0\$/listen = 127.0.0.1:$PORT/" \
    "$DEMO/relay/relay.conf"
echo "  relay-45 listening on 127.0.0.1:$PORT"

for id in $NODES; do
	mkdir -p "$DEMO/nodes/$id"
	cat >"$DEMO/nodes/$id/node.conf" <<EOF
; demo node $id (written by deploy/demo/run.sh)
[node]
id = $id
db = node.db
cert = ../../pki/entities/$id/chain.pem
key = ../../pki/entities/$id/key.pem
ca = ../../pki/root/ca.pem
crl = ../../pki/crl.pem
directory = ../../directory.json

[route pref]
url = wss://127.0.0.1:$PORT
EOF
done

say "starting 11 nodes"
for id in $NODES; do
	(exec setsid "$BIN/kairan-node" -f "$DEMO/nodes/$id/node.conf" run \
	    </dev/null >"$DEMO/logs/$id.log" 2>&1) &
	echo $! >"$DEMO/pids/$id"
done
for id in $NODES; do
	wait_log "$DEMO/logs/$id.log" 'route=pref ready' "$DEMO/pids/$id" \
	    "node $id"
	printf '  %s ready\n' "$id"
done

# --- the scenario ---------------------------------------------------------

# Demo traffic is an exercise (訓練, status EXERCISE in the signed
# message): a recipient who sees it can never take it for a real incident.
say "宮崎市 (452017) sends 第1報 as 訓練 (EXERCISE): level 3, 標的型攻撃 -> @prefecture,@ministry,@neighbours"
echo "  every report of this demo is marked 訓練 (--exercise): shown as an exercise everywhere"
out=$(node $SENDER send --report "$ROOT/deploy/demo/report-1.json" \
    --to @prefecture,@ministry,@neighbours --exercise)
echo "  $out"
INC=$(echo "$out" | awk '{print $2}')
MSG1=$(echo "$out" | awk '{print $4}')
TOTAL=$(node $SENDER status "$MSG1" --json |
    python3 -c 'import json, sys; print(json.load(sys.stdin)["total"])')

say "receipts coming in (status $MSG1)"
wait_status $SENDER "$MSG1" delivered "$TOTAL"
node $SENDER status "$MSG1"

say "受理確認: people at 5 recipients acknowledge"
acks=(
	"$PREF|宮崎県 情報政策課 日向 花子"
	"mic|総務省 地域情報化企画室 霞 太郎"
	"452025|都城市 情報政策課 都城 一郎"
	"452041|日南市 総務課 日南 次郎"
	"453838|綾町 総務課 綾 三郎"
)
for a in "${acks[@]}"; do
	id=${a%%|*}
	by=${a#*|}
	wait_inbox "$id" "$MSG1"
	node "$id" ack "$MSG1" --by "$by" | sed 's/^/  '"$id"': /'
done
wait_status $SENDER "$MSG1" acknowledged 5
node $SENDER status "$MSG1"

say "宮崎市 sends 第2報 (update $INC; an exercise's 第2報 is 訓練 too)"
out=$(node $SENDER update "$INC" --report "$ROOT/deploy/demo/report-2.json")
echo "  $out"
MSG2=$(echo "$out" | awk '{print $4}')
wait_status $SENDER "$MSG2" delivered "$TOTAL"
node $SENDER status "$MSG2"

say "the inbox of 都城市 (452025)"
wait_inbox 452025 "$MSG2"
node 452025 inbox

B=${BIN#"$ROOT"/}
D=${DEMO#"$ROOT"/}
cat <<EOF

== The federation keeps running (relay-45 on 127.0.0.1:$PORT, 11 nodes;
   logs in $D/logs/, pids in $D/pids/).

  Another report (from 宮崎市, or any node under $D/nodes/):
    $B/kairan-node -f $D/nodes/452017/node.conf send \\
        --report deploy/demo/report-1.json --to @prefecture,@neighbours --exercise
    $B/kairan-node -f $D/nodes/452017/node.conf status MESSAGE_ID --wait 60

  A node's inbox, a report as the 報告様式, an acknowledgement:
    $B/kairan-node -f $D/nodes/452025/node.conf inbox
    $B/kairan-node -f $D/nodes/452025/node.conf show $INC --form
    $B/kairan-node -f $D/nodes/452025/node.conf ack $MSG2 --by 名前

  Stop it all:
    make demo-stop
EOF
