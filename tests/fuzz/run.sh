#!/bin/sh
# Builds the libFuzzer harnesses (clang, ASan+UBSan) with the protocol
# library's sources and runs each for a bounded time. See README.md.
#   BUILD         build directory (with gen/ from make); default build
#   FIXTURES      unit-test PKI (tests/unit/mkpki.sh); default $BUILD/fixtures/pki
#   FUZZ_SECONDS  seconds per harness; default 30
#   FUZZ_TARGETS  harnesses to run; default "frame message envelope"
set -eu
cd "$(dirname "$0")/../.."

BUILD=${BUILD:-build}
FIXTURES=${FIXTURES:-$BUILD/fixtures/pki}
FUZZ_SECONDS=${FUZZ_SECONDS:-30}
FUZZ_TARGETS=${FUZZ_TARGETS:-frame message envelope}
CLANG=${CLANG:-clang}
OUT=$BUILD/fuzz

command -v "$CLANG" >/dev/null 2>&1 || {
	echo "fuzz: $CLANG not found (Debian: clang, libclang-rt-14-dev)" >&2
	exit 1
}
[ -f "$BUILD/gen/kairan.pb-c.c" ] || {
	echo "fuzz: $BUILD/gen/kairan.pb-c.c missing; run via 'make fuzz'" >&2
	exit 1
}

PKGS="openssl libprotobuf-c sqlite3 inih jansson libwebsockets"
PKG_CFLAGS=$(pkg-config --cflags $PKGS)
PKG_LIBS=$(pkg-config --libs $PKGS)
SAN="-fsanitize=address,undefined -fno-sanitize-recover=undefined"
CFLAGS="-g -O1 -fno-omit-frame-pointer -std=c11 -D_DEFAULT_SOURCE -D_GNU_SOURCE -pthread -Iinclude -isystem $BUILD/gen $PKG_CFLAGS"

mkdir -p "$OUT/obj" "$OUT/artifacts"

# The library, instrumented for coverage (no main of libFuzzer's here).
objs=""
for src in proto/*.c "$BUILD/gen/kairan.pb-c.c"; do
	obj="$OUT/obj/$(basename "$src" .c).o"
	if [ ! -f "$obj" ] || [ "$src" -nt "$obj" ] ||
	    [ -n "$(find include -newer "$obj" -name '*.h' 2>/dev/null)" ]; then
		$CLANG $CFLAGS $SAN -fsanitize=fuzzer-no-link -c -o "$obj" "$src"
	fi
	objs="$objs $obj"
done

status=0
for t in $FUZZ_TARGETS; do
	bin="$OUT/fuzz_$t"
	$CLANG $CFLAGS $SAN -fsanitize=fuzzer -o "$bin" "tests/fuzz/fuzz_$t.c" \
	    $objs $PKG_LIBS -pthread
	corpus="$OUT/corpus/$t"
	mkdir -p "$corpus"
	# Seeds: each harness writes valid inputs when asked (the envelope
	# ones are signed with the fixture PKI, so they are made here).
	KAIRAN_FIXTURES=$FIXTURES KAIRAN_FUZZ_SEED_DIR=$corpus \
	    "$bin" -runs=0 "$corpus" >"$OUT/$t.seed.log" 2>&1 || {
		cat "$OUT/$t.seed.log" >&2
		echo "fuzz_$t: seeding failed" >&2
		status=1
		continue
	}
	echo "== fuzz_$t for ${FUZZ_SECONDS}s (corpus $corpus)"
	if KAIRAN_FIXTURES=$FIXTURES "$bin" -max_total_time="$FUZZ_SECONDS" \
	    -print_final_stats=1 -artifact_prefix="$OUT/artifacts/$t-" \
	    "$corpus" >"$OUT/$t.log" 2>&1; then
		runs=$(sed -n 's/^stat::number_of_executed_units: *//p' \
		    "$OUT/$t.log")
		echo "fuzz_$t: ok, ${runs:-?} inputs, corpus $(ls "$corpus" | wc -l)"
	else
		tail -n 40 "$OUT/$t.log" >&2
		echo "fuzz_$t: FAILED (artifacts in $OUT/artifacts, log $OUT/$t.log)" >&2
		status=1
	fi
done
exit $status
