#!/bin/sh
# make bench: prints figures (never pass/fail on time).
#   BUILD, BIN: the build to measure (make passes them)
set -eu
cd "$(dirname "$0")/../.."
BUILD=${BUILD:-build}
BIN=${BIN:-bin}
echo "== protocol library: seal and verify (one core)"
"$BUILD/bench/bench_crypto" "${BENCH_N:-5000}"
echo "== relay store: durable writes (WAL, synchronous=FULL)"
"$BUILD/bench/bench_store"
echo "== relay on loopback: a burst of signed reports from one node"
KAIRAN_BIN="$(cd "$BIN" && pwd)" KAIRAN_BUILD="$(cd "$BUILD" && pwd)" \
    /usr/bin/python3 tests/bench/bench_relay.py "${BENCH_N:-5000}"
