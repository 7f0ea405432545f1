#!/bin/sh
# Builds the libFuzzer harnesses (clang, ASan+UBSan) with the protocol
# library's sources and runs each for a bounded time. See README.md.
#   tests/fuzz/run.sh        fuzz: every harness for FUZZ_SECONDS
#   tests/fuzz/run.sh seed   rewrite the committed seed corpus
#                            (tests/fuzz/corpus/<name>/) from the harnesses'
#                            seed mode
# Environment:
#   BUILD         build directory (with gen/ from make); default build
#   FIXTURES      unit-test PKI (tests/unit/mkpki.sh); default $BUILD/fixtures/pki
#   FUZZ_SECONDS  seconds per harness; default 30
#   FUZZ_TARGETS  harnesses to run; default "frame message envelope"
# One line per harness: "fuzz_NAME: ok, ..." or "fuzz_NAME: FAILED ...";
# the exit status is non-zero if any harness failed or found a crash.
set -eu
cd "$(dirname "$0")/../.."

mode=${1:-fuzz}
BUILD=${BUILD:-build}
FIXTURES=${FIXTURES:-$BUILD/fixtures/pki}
FUZZ_SECONDS=${FUZZ_SECONDS:-30}
FUZZ_TARGETS=${FUZZ_TARGETS:-frame message envelope}
CLANG=${CLANG:-clang}
OUT=$BUILD/fuzz

case $mode in
fuzz|seed) ;;
*) echo "usage: tests/fuzz/run.sh [fuzz|seed]" >&2; exit 2 ;;
esac
command -v "$CLANG" >/dev/null 2>&1 || {
	echo "fuzz: $CLANG not found (Debian: clang, libclang-rt-14-dev; make deps)" >&2
	exit 1
}
[ -f "$BUILD/gen/kairan.pb-c.c" ] || {
	echo "fuzz: $BUILD/gen/kairan.pb-c.c missing; run via 'make fuzz'" >&2
	exit 1
}
[ -f "$FIXTURES/.done" ] || {
	echo "fuzz: no fixture PKI in $FIXTURES; run via 'make fuzz'" >&2
	exit 1
}

# no libwebsockets: the protocol code must build without it
PKGS="openssl libprotobuf-c sqlite3 inih jansson"
PKG_CFLAGS=$(pkg-config --cflags $PKGS)
PKG_LIBS=$(pkg-config --libs $PKGS)
SAN="-fsanitize=address,undefined -fno-sanitize-recover=undefined"
CFLAGS="-g -O1 -fno-omit-frame-pointer -std=c11 -D_DEFAULT_SOURCE -D_GNU_SOURCE -pthread -Iinclude -Itests/fuzz -isystem $BUILD/gen $PKG_CFLAGS"

mkdir -p "$OUT/obj" "$OUT/artifacts"

# The library and the seed messages, instrumented for coverage (no main of
# libFuzzer's here), compiled two at a time.
objs=""
stale=""
for src in proto/*.c tests/fuzz/seeds.c "$BUILD/gen/kairan.pb-c.c"; do
	obj="$OUT/obj/$(basename "$src" .c).o"
	if [ ! -f "$obj" ] || [ "$src" -nt "$obj" ] ||
	    [ -n "$(find include tests/fuzz -newer "$obj" -name '*.h' 2>/dev/null)" ]; then
		stale="$stale $src"
	fi
	objs="$objs $obj"
done
if [ -n "$stale" ]; then
	for src in $stale; do echo "$src"; done |
	    xargs -P 2 -I SRC sh -c '$0 $1 $2 -fsanitize=fuzzer-no-link -c -o "$3/obj/$(basename SRC .c).o" SRC' \
	    "$CLANG" "$CFLAGS" "$SAN" "$OUT"
fi

status=0
for t in $FUZZ_TARGETS; do
	bin="$OUT/fuzz_$t"
	$CLANG $CFLAGS $SAN -fsanitize=fuzzer -o "$bin" "tests/fuzz/fuzz_$t.c" \
	    $objs $PKG_LIBS -pthread
	committed="tests/fuzz/corpus/$t"
	if [ "$mode" = seed ]; then
		rm -rf "$committed"
		mkdir -p "$committed"
		KAIRAN_FIXTURES=$FIXTURES KAIRAN_FUZZ_SEED_DIR=$committed \
		    "$bin" -runs=0 "$committed" >"$OUT/$t.seed.log" 2>&1 || {
			cat "$OUT/$t.seed.log" >&2
			echo "fuzz_$t: FAILED to write seeds" >&2
			status=1
			continue
		}
		echo "fuzz_$t: $(ls "$committed" | wc -l) seeds, $(du -sk "$committed" | cut -f1) KiB in $committed"
		continue
	fi
	corpus="$OUT/corpus/$t"
	mkdir -p "$corpus"
	# Fresh seeds at every run: the envelope ones are signed with this
	# build's fixture PKI, so they verify (the committed ones, sealed
	# under another root, are structure to mutate).
	KAIRAN_FIXTURES=$FIXTURES KAIRAN_FUZZ_SEED_DIR=$corpus \
	    "$bin" -runs=0 "$corpus" >"$OUT/$t.seed.log" 2>&1 || {
		cat "$OUT/$t.seed.log" >&2
		echo "fuzz_$t: FAILED to write seeds (log $OUT/$t.seed.log)"
		status=1
		continue
	}
	dirs=$corpus
	[ -d "$committed" ] && dirs="$corpus $committed"
	echo "== fuzz_$t for ${FUZZ_SECONDS}s (corpus $dirs)"
	# New inputs go to the first directory only; the committed corpus is
	# read, never written.
	if KAIRAN_FIXTURES=$FIXTURES "$bin" -max_total_time="$FUZZ_SECONDS" \
	    -timeout=25 -print_final_stats=1 \
	    -artifact_prefix="$OUT/artifacts/$t-" $dirs >"$OUT/$t.log" 2>&1; then
		runs=$(sed -n 's/^stat::number_of_executed_units: *//p' \
		    "$OUT/$t.log")
		echo "fuzz_$t: ok, ${runs:-?} inputs, corpus $(ls "$corpus" | wc -l)"
	else
		tail -n 40 "$OUT/$t.log" >&2
		echo "fuzz_$t: FAILED (artifacts in $OUT/artifacts, log $OUT/$t.log)"
		status=1
	fi
done
exit $status
