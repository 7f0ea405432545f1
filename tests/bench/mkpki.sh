#!/usr/bin/env bash
# tests/bench/mkpki.sh DIR DIRECTORY_JSON: the benchmark's PKI, made once
# and reused (DIR/.done): the federation root, the 47 prefecture CAs and
# the national CA, one node certificate for every entity of the real
# directory (1,790), the 47 prefecture relays and relay-national, and the
# CRLs (every CA's, as relays load them). Issuing ~1,840 certificates with
# certs/kairan-pki takes minutes; the issues run two at a time.
set -euo pipefail
dir=$1 dirjson=$2
pki="$(cd "$(dirname "$0")/../.." && pwd)/certs/kairan-pki"
[ -e "$dir/.done" ] && exit 0
rm -rf "$dir"
mkdir -p "$(dirname "$dir")"
"$pki" init "$dir" >/dev/null
for pp in $(seq -w 1 47) national; do "$pki" ca "$dir" "$pp" >/dev/null; done
{
	/usr/bin/python3 -c 'import json,sys
for e in json.load(open(sys.argv[1]))["entities"]: print(e["id"], "node")' "$dirjson"
	for pp in $(seq -w 1 47); do echo "relay-$pp relay"; done
	echo "relay-national relay"
} >"$dir/.entities"
# Each issue writes only its own entity's folder, but the CA's index.txt
# and serial are shared: one CA's entities are issued one after another,
# two CAs at a time.
issue_ca() {	# $1: CA
	awk -v ca="$1" '{ e=$1; c=(e ~ /^[0-9]/) ? substr(e,1,2) : (e ~ /^relay-[0-9][0-9]$/ ? substr(e,7,2) : "national"); if (c == ca) print }' "$dir/.entities" |
	while read -r e role; do "$pki" issue "$dir" "$e" --role "$role" >/dev/null; done
}
export -f issue_ca
export dir pki
{ seq -w 1 47; echo national; } | xargs -P 2 -I{} bash -c 'issue_ca {}'
"$pki" crl "$dir" >/dev/null
n=$(ls "$dir/entities" | wc -l)
[ "$n" -eq "$(wc -l <"$dir/.entities")" ] || { echo "mkpki: $n certificates, expected $(wc -l <"$dir/.entities")" >&2; exit 1; }
touch "$dir/.done"
echo "bench PKI: $n certificates in $dir"
