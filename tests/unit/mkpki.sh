#!/usr/bin/env bash
# Builds the test PKI of the unit and integration tests into OUTDIR:
#   OUTDIR/root, ca-45, ca-13, ca-national       (certs/kairan-pki)
#   OUTDIR/entities/<id>/{key,cert,chain}.pem     good leaves
#   OUTDIR/bad/<case>/{key,cert,chain}.pem        leaves that break one rule each
#   OUTDIR/crl.pem, OUTDIR/crl/                   every CA's CRL (452033 revoked)
# The broken leaves are made with the plain openssl CLI, as an attacker or
# a careless operator would. Idempotent: OUTDIR/.done marks a finished PKI.
set -eu
umask 077

out=${1:?usage: mkpki.sh OUTDIR}
[ -f "$out/.done" ] && exit 0
here=$(cd "$(dirname "$0")/../.." && pwd)
pki="$here/certs/kairan-pki"
tmp="$out.tmp.$$"
rm -rf "$tmp"
mkdir -p "$tmp"
trap 'rm -rf "$tmp"' EXIT

q() { "$pki" "$@" >/dev/null; }

q init "$tmp"
for ca in 45 13 national; do q ca "$tmp" "$ca"; done
for e in 452017 450006 452025 131083 131024 mic nisc police-45; do
	q issue "$tmp" "$e" --role node
done
q issue "$tmp" relay-45 --role relay
q issue "$tmp" relay-13 --role relay
q issue "$tmp" ops-45 --role operator

# leaf CN/OU subject $2 signed by CA dir $3 with the leaf profile, by hand;
# $4/$5 optional validity (YYYYMMDDHHMMSSZ) through `openssl ca`.
EXT="$tmp/leaf-ext.cnf"
cat >"$EXT" <<'EOF'
basicConstraints = critical, CA:FALSE
keyUsage = critical, digitalSignature
extendedKeyUsage = serverAuth, clientAuth
subjectKeyIdentifier = hash
authorityKeyIdentifier = keyid:always
EOF
bad() {	# $1 case, $2 subject, $3 CA dir
	local d="$tmp/bad/$1"
	mkdir -p "$d"
	openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 \
	    -out "$d/key.pem" 2>/dev/null
	openssl req -new -key "$d/key.pem" -subj "$2" -multivalue-rdn \
	    -out "$d/req.csr"
	openssl x509 -req -in "$d/req.csr" -CA "$3/ca.pem" -CAkey "$3/ca.key" \
	    -set_serial "0x$(openssl rand -hex 16)" -days 365 -sha256 \
	    -extfile "$EXT" -out "$d/cert.pem" 2>/dev/null
	rm -f "$d/req.csr"
	cat "$d/cert.pem" "$3/ca.pem" >"$d/chain.pem"
}
dated() {	# $1 case, $2 CN, $3 start, $4 end: through CA 45's own database
	local d="$tmp/bad/$1"
	mkdir -p "$d"
	openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 \
	    -out "$d/key.pem" 2>/dev/null
	openssl req -new -key "$d/key.pem" -subj "/O=kairan/OU=node/CN=$2" \
	    -out "$d/req.csr"
	KAIRAN_CA_DIR="$tmp/ca-45" KAIRAN_SAN="DNS:$2" openssl ca -batch -config "$tmp/ca-45/openssl.cnf" \
	    -extensions ext_leaf -startdate "$3" -enddate "$4" -notext \
	    -in "$d/req.csr" -out "$d/cert.pem" 2>/dev/null
	rm -f "$d/req.csr"
	cat "$d/cert.pem" "$tmp/ca-45/ca.pem" >"$d/chain.pem"
}

bad pref13-by-45 "/O=kairan/OU=node/CN=131083" "$tmp/ca-45"
dated expired 452041 20200101000000Z 20210101000000Z
dated notyet 452050 20400101000000Z 20410101000000Z
bad wrong-role "/O=kairan/OU=printer/CN=453412" "$tmp/ca-45"
bad no-ou "/O=kairan/CN=453820" "$tmp/ca-45"
bad two-cn "/O=kairan/OU=node/CN=453838/CN=454028" "$tmp/ca-45"
bad bad-checkdigit "/O=kairan/OU=node/CN=452018" "$tmp/ca-45"
bad national-for-code "/O=kairan/OU=node/CN=452017" "$tmp/ca-national"
bad relay-wrong-ca "/O=kairan/OU=relay/CN=relay-13" "$tmp/ca-45"
# the role must fit the name (a node passing for a relay, and back)
bad relay-role-code "/O=kairan/OU=relay/CN=452017" "$tmp/ca-45"
bad relay-role-national "/O=kairan/OU=relay/CN=nisc" "$tmp/ca-national"
bad node-role-relay-name "/O=kairan/OU=node/CN=relay-45" "$tmp/ca-45"
bad operator-role-code "/O=kairan/OU=operator/CN=452017" "$tmp/ca-45"
# server-only: a good node certificate whose extended key usage lacks
# clientAuth: a TLS server may use it, a TLS client may not (trust_verify_peer)
sed 's/serverAuth, clientAuth/serverAuth/' "$EXT" >"$tmp/leaf-ext-server.cnf"
EXT="$tmp/leaf-ext-server.cnf" bad server-only "/O=kairan/OU=node/CN=454028" "$tmp/ca-45"

# handmade: exactly the commands of certs/README.md, "by hand".
d="$tmp/bad/handmade"
mkdir -p "$d"
openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 -out "$d/key.pem" 2>/dev/null
openssl req -new -key "$d/key.pem" -subj "/O=kairan/OU=node/CN=454028" -out "$d/req.csr"
printf '%s\n' "basicConstraints=critical,CA:FALSE" \
    "keyUsage=critical,digitalSignature" \
    "extendedKeyUsage=serverAuth,clientAuth" \
    "subjectAltName=DNS:454028" >"$d/ext.cnf"
openssl x509 -req -in "$d/req.csr" -CA "$tmp/ca-45/ca.pem" -CAkey "$tmp/ca-45/ca.key" \
    -CAcreateserial -CAserial "$d/serial" -days 825 -sha256 -extfile "$d/ext.cnf" \
    -out "$d/cert.pem" 2>/dev/null
rm -f "$d/req.csr" "$d/ext.cnf" "$d/serial"
cat "$d/cert.pem" "$tmp/ca-45/ca.pem" >"$d/chain.pem"

# revoked: a proper certificate, then revoked at its CA.
q issue "$tmp" 452033 --role node
q revoke "$tmp" 452033
mkdir -p "$tmp/bad/revoked"
cp "$tmp/entities/452033/"*.pem "$tmp/bad/revoked/"

# unknown-root: the same names under a root the federation never heard of.
e="$tmp/evil"
q init "$e"
q ca "$e" 45
q issue "$e" 452017 --role node
mkdir -p "$tmp/bad/unknown-root"
cp "$e/entities/452017/"*.pem "$tmp/bad/unknown-root/"
cp "$e/root/ca.pem" "$tmp/bad/unknown-root/ca.pem"
rm -rf "$e"

q crl "$tmp"
rm -f "$EXT"
chmod -R go+rX "$tmp"
find "$tmp" -name '*.key' -o -name 'key.pem' | xargs chmod 600
touch "$tmp/.done"
rm -rf "$out"
mv "$tmp" "$out"
trap - EXIT
