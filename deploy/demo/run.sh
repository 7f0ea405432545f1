#!/usr/bin/env bash
# The demo (`make demo`): a real federation on loopback, from the real
# directory data. Three relays: relay-45 (宮崎県), relay-46 (鹿児島県) and
# relay-national (the hub, home of the national bodies); relay-45 and
# relay-46 each dial the hub, and relay-45 also dials relay-46 (a direct
# link across the border). Nodes: 都城市 (452025), every municipality that
# borders it on both sides of the prefectural border (from the directory's
# adjacency), 宮崎県, 鹿児島県 and the ministry (mic).
#
# 都城市 sends a level-3 targeted-attack report, marked as an exercise
# (訓練, --exercise: this is a demo, not an incident), to
# @prefecture,@ministry,@neighbours and to 鹿児島県; we watch every receipt
# come back across the border and from the ministry, the held-at-relay
# stage (QUEUED) included, and acknowledge from some recipients. Then
# relay-45 is stopped and a 第2報 still reaches the ministry and the
# Kagoshima side over the national route (連絡ルートの多重化); relay-45 is
# started again and the rest arrives, each report exactly once in every
# inbox. Everything is left running, and relay-45 serves the prefecture
# console (https://localhost:PORT/, operator "demo", the password printed
# at the end) with the incident, its receipt matrix and, three minutes
# after the 第1報, who is overdue.
#
#   deploy/demo/run.sh          (re)start the demo and run the scenario
#   deploy/demo/run.sh stop     stop a running demo (make demo-stop)
#
# Everything lives under ./demo/ (git-ignored; $KAIRAN_DEMO_DIR): pki/,
# relays/ID/, nodes/ID/, logs/, pids/. Binaries from $KAIRAN_BIN (default
# bin/), the directory from $KAIRAN_BUILD/directory.json (default build/).
# No fixed sleeps: every wait polls a log line or a status with a timeout
# ($DEMO_TIMEOUT seconds, default 30).
if [ -z "${BASH_VERSION:-}" ]; then exec bash "$0" "$@"; fi
set -euo pipefail

cd "$(dirname "$0")/../.."
ROOT=$PWD
DEMO=${KAIRAN_DEMO_DIR:-$ROOT/demo}
BIN=${KAIRAN_BIN:-$ROOT/bin}
BUILD=${KAIRAN_BUILD:-$ROOT/build}
PKI=$ROOT/certs/kairan-pki
LOOK="python3 $ROOT/deploy/demo/look.py"
# The real data, used in place (the console's map outlines).
DATA=${KAIRAN_DATA:-$ROOT/../shared/data}
TIMEOUT=${DEMO_TIMEOUT:-30}
export DEMO_TIMEOUT=$TIMEOUT

SENDER=452025		# 都城市
PREF=450006		# 宮崎県
KPREF=460001		# 鹿児島県
# 志布志市: its node is offline when the 第1報 is sent, so that relay-46
# holds the report for it (the held-at-relay stage, a QUEUED receipt) until
# the node comes up.
OFF=462217
RELAYS="relay-national relay-46 relay-45"

say() { printf '\n== %s\n' "$*"; }
die() {
	echo "demo: $*" >&2
	if [ -n "$(ls -A "$DEMO/pids" 2>/dev/null)" ]; then
		echo "demo: what was started keeps running (logs in $DEMO/logs); make demo-stop stops it" >&2
	fi
	exit 1
}

# --- stopping -------------------------------------------------------------

# 1 if pid is alive and one of our programs (a recycled pid is not ours).
ours() {
	local pid=$1
	kill -0 "$pid" 2>/dev/null || return 1
	tr '\0' ' ' <"/proc/$pid/cmdline" 2>/dev/null | grep -q 'kairan-'
}

# stop_pids PIDFILE...: SIGTERM each process that is still ours, wait for
# them to exit (SIGKILL what is left after 10 s), remove the pid files.
# Prints how many were stopped.
stop_pids() {
	local f pid n=0 i alive
	for f in "$@"; do
		[ -e "$f" ] || continue
		pid=$(cat "$f")
		if ours "$pid"; then
			kill -TERM "$pid" 2>/dev/null || true
			n=$((n + 1))
		fi
	done
	for i in $(seq 1 100); do
		alive=0
		for f in "$@"; do
			[ -e "$f" ] || continue
			if ours "$(cat "$f")"; then alive=1; fi
		done
		[ "$alive" -eq 0 ] && break
		if [ "$i" -eq 100 ]; then
			for f in "$@"; do
				[ -e "$f" ] || continue
				pid=$(cat "$f")
				if ours "$pid"; then kill -KILL "$pid" || true; fi
			done
		fi
		sleep 0.1
	done
	rm -f "$@"
	echo "$n"
}

stop_all() {
	local n
	[ -d "$DEMO/pids" ] || return 0
	n=$(stop_pids "$DEMO"/pids/*)
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

# count_log FILE PATTERN: how many lines of FILE match PATTERN.
count_log() {
	local n
	n=$(grep -cE "$2" "$1" 2>/dev/null) || true
	echo "${n:-0}"
}

# wait_count FILE PATTERN N PIDFILE WHAT: until FILE has more than N lines
# matching PATTERN (a restarted relay's log already holds the old ones).
wait_count() {
	local file=$1 pat=$2 n=$3 pidf=$4 what=$5 end
	end=$(( $(date +%s) + TIMEOUT ))
	until [ "$(count_log "$file" "$pat")" -gt "$n" ]; do
		if ! ours "$(cat "$pidf")"; then
			tail -n 20 "$file" >&2 || true
			die "$what exited (log: ${file#$ROOT/})"
		fi
		[ "$(date +%s)" -lt "$end" ] ||
		    die "$what: no new '$pat' after ${TIMEOUT}s (log: ${file#$ROOT/})"
		sleep 0.1
	done
}

node() {	# node ID VERB ARGS...: the command line of node ID
	local id=$1
	shift
	"$BIN/kairan-node" -f "$DEMO/nodes/$id/node.conf" "$@"
}

# look VERB ARGS...: deploy/demo/look.py (polls and prints the tables).
look() {
	$LOOK "$@" --bin "$BIN" --demo "$DEMO" || die "stopped at: look $1"
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
mkdir -p "$DEMO/logs" "$DEMO/pids" "$DEMO/relays" "$DEMO/nodes"
cp "$BUILD/directory.json" "$DEMO/directory.json"

# 都城市's neighbours on both sides of the border, from the directory.
NB45=$($LOOK neighbours "$DEMO/directory.json" $SENDER 45)
NB46=$($LOOK neighbours "$DEMO/directory.json" $SENDER 46)
[ -n "$NB45" ] && [ -n "$NB46" ] ||
    die "the directory has no neighbours of $SENDER on both sides"
NB45=$(echo $NB45)
NB46=$(echo $NB46)
# 連絡ルートの多重化: the sender, both prefectures and the Kagoshima side
# hold a route to their prefecture relay and one to the hub; the other
# Miyazaki municipalities (single-route sites) only the one to relay-45,
# so that the demo shows both the fallback and the catch-up.
TWO_ROUTES="$SENDER $PREF $KPREF $NB46"
NODES="$PREF $SENDER $NB45 $KPREF $NB46 mic"
NNODES=$(echo $NODES | wc -w)

home_of() {	# the home relay of a node
	case $1 in
	mic) echo relay-national ;;
	46*) echo relay-46 ;;
	*) echo relay-45 ;;
	esac
}

say "PKI: root, CA 45, CA 46, CA national, 3 relays, $NNODES nodes ($(basename "$DEMO")/pki)"
{
	"$PKI" init "$DEMO/pki"
	for ca in 45 46 national; do
		"$PKI" ca "$DEMO/pki" $ca
	done
	for r in $RELAYS; do
		"$PKI" issue "$DEMO/pki" "$r" --role relay
	done
	for id in $NODES; do
		"$PKI" issue "$DEMO/pki" "$id" --role node
	done
	"$PKI" crl "$DEMO/pki"
} >"$DEMO/logs/pki.log" 2>&1 || { cat "$DEMO/logs/pki.log" >&2; die "PKI failed"; }

# relay_conf ID HUB <PEER-SECTIONS: writes the configuration of relay ID
# (HUB: the name of its [peer] section that is the hub, or ""; the
# [peer NAME] sections come on stdin). Port 0: the
# kernel chooses a free port (two demos, or a demo and the tests, never
# collide); start_relay then writes the port into the file, so that a
# restart keeps the port the nodes and the peers know.
relay_conf() {
	local id=$1 hub=$2
	mkdir -p "$DEMO/relays/$id"
	{
		echo "; demo relay $id (written by deploy/demo/run.sh)"
		echo "[relay]"
		echo "id = $id"
		[ -z "$hub" ] || echo "hub = $hub"
		cat <<EOF
listen = 127.0.0.1:0
db = relay.db
cert = ../../pki/entities/$id/chain.pem
key = ../../pki/entities/$id/key.pem
ca = ../../pki/root/ca.pem
crl = ../../pki/crl.pem
directory = ../../directory.json
EOF
		cat
	} >"$DEMO/relays/$id/relay.conf"
}

url_of() {	# the wss url of a started relay
	echo "wss://127.0.0.1:$(cat "$DEMO/relays/$1/port")"
}

# start_relay ID: starts relay ID and waits for it to listen. Each daemon
# runs in its own session: a later Ctrl-C in this terminal does not reach
# it, and it outlives this script and make.
start_relay() {
	local id=$1 log=$DEMO/logs/$1.log n port
	n=$(count_log "$log" 'notice: listening addr=')
	(cd "$DEMO/relays/$id" && exec setsid "$BIN/kairan-relay" -f relay.conf \
	    </dev/null >>"$log" 2>&1) &
	echo $! >"$DEMO/pids/$id"
	wait_count "$log" 'notice: listening addr=127\.0\.0\.1:[0-9]+' "$n" \
	    "$DEMO/pids/$id" "$id"
	port=$(sed -n 's/.*notice: listening addr=127\.0\.0\.1:\([0-9][0-9]*\).*/\1/p' \
	    "$log" | tail -n1)
	[ -n "$port" ] || die "$id: no port in its log"
	sed -i "s/^listen = 127\.0\.0\.1:0\$/listen = 127.0.0.1:$port/" \
	    "$DEMO/relays/$id/relay.conf"
	echo "$port" >"$DEMO/relays/$id/port"
}

say "starting the federation: relay-national (the hub), relay-46, relay-45"
# The hub accepts both prefecture relays (no url: they dial it).
relay_conf relay-national "" <<EOF

[peer p45]
id = relay-45

[peer p46]
id = relay-46
EOF
start_relay relay-national
relay_conf relay-46 national <<EOF

[peer national]
id = relay-national
url = $(url_of relay-national)

[peer p45]
id = relay-45
EOF
start_relay relay-46
# relay-45 also runs the prefecture's console (HTTPS, its own certificate,
# self-signed here for localhost), with a short deadline for level 3 so
# that, a few minutes after the demo, its 期限超過 list shows who has not
# acknowledged. The listen line has no spaces: start_relay's rewrite of
# the relay's port leaves it alone (CPORT keeps the console's own).
openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes \
    -days 30 -subj /CN=localhost \
    -addext subjectAltName=DNS:localhost,IP:127.0.0.1 \
    -keyout "$DEMO/pki/console-key.pem" -out "$DEMO/pki/console-cert.pem" \
    >>"$DEMO/logs/pki.log" 2>&1 || die "console certificate failed"
GEOMETRY=$(cd "$DATA/geometry" 2>/dev/null && pwd)/smartnews_N03-21_210101_s0001.topojson
[ -f "$GEOMETRY" ] || die "the map outlines are missing ($DATA/geometry; \$KAIRAN_DATA)"
relay_conf relay-45 national <<EOF

[peer national]
id = relay-national
url = $(url_of relay-national)

[peer p46]
id = relay-46
url = $(url_of relay-46)

[console]
listen=127.0.0.1:0
cert = ../../pki/console-cert.pem
key = ../../pki/console-key.pem
root = $ROOT/relay/console
geometry = $GEOMETRY

[escalation]
level3 = 3m
EOF
start_relay relay-45
# the console's port, chosen by the kernel, kept for relay-45's restart
wait_log "$DEMO/logs/relay-45.log" 'console listening addr=' \
    "$DEMO/pids/relay-45" relay-45
CPORT=$(sed -n 's/.*console listening addr=127\.0\.0\.1:\([0-9][0-9]*\).*/\1/p' \
    "$DEMO/logs/relay-45.log" | tail -n1)
[ -n "$CPORT" ] || die "relay-45: no console port in its log"
sed -i "s/^listen=127\.0\.0\.1:0\$/listen=127.0.0.1:$CPORT/" \
    "$DEMO/relays/relay-45/relay.conf"
# the demo operator, with a password made now (kept 0600 in the demo)
CPW=demo-$(openssl rand -hex 6)
( umask 077 && echo "$CPW" >"$DEMO/console-password" )
echo "$CPW" | "$BIN/kairan-relay" -f "$DEMO/relays/relay-45/relay.conf" \
    operator add demo >>"$DEMO/logs/relay-45-operator.log" 2>&1 ||
    die "the demo operator could not be added (logs/relay-45-operator.log)"
look table relays <<EOF
relay-national|$(url_of relay-national)|the hub; home of the national bodies (mic)
relay-46|$(url_of relay-46)|鹿児島県 (prefecture 46)
relay-45|$(url_of relay-45)|宮崎県 (prefecture 45)
EOF

# links_up: relay-45 has both links ready, relay-46 its one to the hub.
# N45, N46: how many "ready" lines the logs held before (a restart).
links_up() {
	local n45=${1:-0} n46=${2:-0}
	wait_count "$DEMO/logs/relay-45.log" 'link=national ready' "$n45" \
	    "$DEMO/pids/relay-45" relay-45
	wait_count "$DEMO/logs/relay-45.log" 'link=p46 ready' "$n46" \
	    "$DEMO/pids/relay-45" relay-45
	wait_log "$DEMO/logs/relay-46.log" 'link=national ready' \
	    "$DEMO/pids/relay-46" relay-46
}
links_up
echo "  links: relay-45 ─ relay-national, relay-46 ─ relay-national (hub),"
echo "         relay-45 ─ relay-46 (direct, across the border)"

for id in $NODES; do
	mkdir -p "$DEMO/nodes/$id"
	{
		cat <<EOF
; demo node $id (written by deploy/demo/run.sh)
[node]
id = $id
db = node.db
cert = ../../pki/entities/$id/chain.pem
key = ../../pki/entities/$id/key.pem
ca = ../../pki/root/ca.pem
crl = ../../pki/crl.pem
directory = ../../directory.json
EOF
		if [ "$id" != mic ]; then
			printf '\n[route pref]\nurl = %s\n' "$(url_of "$(home_of "$id")")"
		fi
		if [ "$id" = mic ] || [[ " $TWO_ROUTES " == *" $id "* ]]; then
			printf '\n[route national]\nurl = %s\n' "$(url_of relay-national)"
		fi
	} >"$DEMO/nodes/$id/node.conf"
done

# start_nodes ID...: starts the nodes and waits until each has every
# route of its configuration ready.
start_nodes() {
	local id r
	for id in "$@"; do
		(exec setsid "$BIN/kairan-node" -f "$DEMO/nodes/$id/node.conf" \
		    run </dev/null >>"$DEMO/logs/$id.log" 2>&1) &
		echo $! >"$DEMO/pids/$id"
	done
	for id in "$@"; do
		for r in $(sed -n 's/^\[route \(.*\)\]$/\1/p' \
		    "$DEMO/nodes/$id/node.conf"); do
			wait_log "$DEMO/logs/$id.log" "route=$r ready" \
			    "$DEMO/pids/$id" "node $id"
		done
	done
}

say "starting $((NNODES - 1)) nodes; 志布志市 ($OFF) stays offline until after the 第1報"
ONLINE=$(for id in $NODES; do [ "$id" = "$OFF" ] || echo "$id"; done)
start_nodes $ONLINE
look nodes --off "$OFF" $NODES

# --- the scenario ---------------------------------------------------------

# Demo traffic is an exercise (訓練, status EXERCISE in the signed
# message): a recipient who sees it can never take it for a real incident.
TO=@prefecture,@ministry,@neighbours,$KPREF
say "都城市 ($SENDER) sends 第1報 as 訓練 (EXERCISE): level 3, 標的型攻撃 -> $TO"
echo "  every report of this demo is marked 訓練 (--exercise): shown as an exercise everywhere"
out=$(node $SENDER send --report "$ROOT/deploy/demo/miyakonojo-1.json" \
    --to "$TO" --exercise)
echo "  $out"
INC=$(echo "$out" | awk '{print $2}')
MSG1=$(echo "$out" | awk '{print $4}')

say "receipts coming back to 都城市, across the border and from the ministry"
look watch $SENDER "$MSG1" --until delivered --held "$OFF" --only "$(echo $NODES |
    tr ' ' '\n' | grep -vx -e "$OFF" -e "$SENDER" | paste -sd,)"
look held "$MSG1"

say "志布志市's node comes up: relay-46 delivers what it held"
start_nodes "$OFF"
look watch $SENDER "$MSG1" --until delivered --rows "$OFF"
node $SENDER status "$MSG1"

say "受理確認: people at 5 recipients acknowledge (2 across the border)"
acks=(
	"$PREF|宮崎県 情報政策課 日向 花子"
	"mic|総務省 地域情報化企画室 霞 太郎"
	"462187|霧島市 情報政策課 霧島 一郎"
	"462179|曽於市 総務課 曽於 次郎"
	"452017|宮崎市 情報政策課 宮崎 三郎"
)
for a in "${acks[@]}"; do
	id=${a%%|*}
	by=${a#*|}
	look wait-inbox "$id" "$MSG1"
	node "$id" ack "$MSG1" --by "$by" | sed 's/^/  '"$id"': /'
done
look watch $SENDER "$MSG1" --until acknowledged=5 --quiet
node $SENDER status "$MSG1"

say "relay-45 (宮崎県) goes down"
n45=$(count_log "$DEMO/logs/relay-45.log" 'link=national ready')
n46=$(count_log "$DEMO/logs/relay-45.log" 'link=p46 ready')
nclosed=$(count_log "$DEMO/logs/relay-national.log" 'peer closed entity=relay-45 ')
stop_pids "$DEMO/pids/relay-45" >/dev/null
wait_count "$DEMO/logs/relay-national.log" 'peer closed entity=relay-45 ' \
    "$nclosed" "$DEMO/pids/relay-national" relay-national
echo "  relay-45 stopped (SIGTERM); the hub and relay-46 see its links close"

say "都城市 sends 第2報 (update $INC; an exercise's 第2報 is 訓練 too) while relay-45 is down"
out=$(node $SENDER update "$INC" --report "$ROOT/deploy/demo/miyakonojo-2.json")
echo "  $out"
MSG2=$(echo "$out" | awk '{print $4}')
EARLY="mic $KPREF $NB46 $PREF"
LATE="$NB45"
echo "  over the national route: 都城市 -> relay-national -> relay-46 / mic;"
echo "  宮崎県 holds a route to the hub too; $(echo $LATE | wc -w) Miyazaki municipalities hold only relay-45's"
look watch $SENDER "$MSG2" --until delivered --only "${EARLY// /,}"
for id in $EARLY; do
	look wait-inbox "$id" "$MSG2"
done
look pending $SENDER "$MSG2" $LATE
look inboxes --title "in their inboxes already" "$MSG2" $EARLY

say "relay-45 is back"
start_relay relay-45
links_up "$n45" "$n46"
echo "  relay-45 on $(url_of relay-45) again, links to the hub and relay-46 ready"
look watch $SENDER "$MSG2" --until delivered --rows "${LATE// /,}"
look held "$MSG2"
node $SENDER status "$MSG2"

say "every recipient holds 第1報 and 第2報, each exactly once"
look inboxes "$MSG1,$MSG2" $PREF $NB45 $KPREF $NB46 mic

say "the inbox of 霧島市 (462187), across the border"
node 462187 inbox

B=${BIN#"$ROOT"/}
D=${DEMO#"$ROOT"/}
cat <<EOF

== The federation keeps running (3 relays, $NNODES nodes; relay configs in
   $D/relays/, logs in $D/logs/, pids in $D/pids/).

  Another report (from 都城市, or any node under $D/nodes/):
    $B/kairan-node -f $D/nodes/$SENDER/node.conf send \\
        --report deploy/demo/miyakonojo-1.json --to @neighbours --exercise
    $B/kairan-node -f $D/nodes/$SENDER/node.conf status MESSAGE_ID --wait 60

  A node's inbox, a report as the 報告様式, an acknowledgement:
    $B/kairan-node -f $D/nodes/462187/node.conf inbox
    $B/kairan-node -f $D/nodes/462187/node.conf show $INC --form
    $B/kairan-node -f $D/nodes/462187/node.conf ack $MSG2 --by 名前

  What the relays did (forwards, deliveries, QUEUED receipts, links):
    grep -E 'link=|accepted|delivered|queued' $D/logs/relay-46.log

  The prefecture console of relay-45 (宮崎県), in a browser:
    https://localhost:$CPORT/
    operator: demo   password: $CPW   (also in $D/console-password)
    (a certificate made for this demo, for localhost: the browser asks
    once; it is $D/pki/console-cert.pem). Level-3 recipients who have
    not acknowledged appear in 期限超過 three minutes after the 第1報.
  The same from a script, with a bearer token:
    TOKEN=\$($B/kairan-relay -f $D/relays/relay-45/relay.conf operator token demo)
    curl --cacert $D/pki/console-cert.pem -H "Authorization: Bearer \$TOKEN" \
        https://localhost:$CPORT/api/incidents

  Stop it all:
    make demo-stop
EOF
