#!/usr/bin/env bash
# Runs the test suites and ends with one line "N passed, M failed".
#   tests/run.sh              unit (plain, ASan+UBSan, and the modules with
#                             threads under TSan), integration and
#                             fuzzing (every harness for FUZZ_SECONDS,
#                             default 10 here)
#   tests/run.sh unit         unit tests of build/ only
#   tests/run.sh integration  integration tests against bin/ only
#   tests/run.sh fuzz         the fuzz harnesses only
# Each fuzz harness counts as one test: passed if it ran its time without
# a crash, failed otherwise (the input is in build/fuzz/artifacts/).
# Exit status is non-zero if anything failed or nothing ran.
set -u
cd "$(dirname "$0")/.."

what=${1:-all}
KAIRAN_DATA="$(cd "${KAIRAN_DATA:-../shared/data}" && pwd)" || {
	echo "tests: the real directory data is missing (../shared/data or \$KAIRAN_DATA)" >&2
	exit 1
}
export KAIRAN_DATA
passed=0
failed=0
failures=()

run_unit() {	# $1: build dir
	local dir=$1 t out p f
	for t in "$dir"/tests/test_*; do
		[ -x "$t" ] || continue
		out=$("$t" 2>&1)
		local rc=$?
		printf '%s\n' "$out" | grep -E '^\[  (FAILED|ERROR) |^\[==========\]' || true
		p=$(printf '%s\n' "$out" | sed -n 's/^\[  PASSED  \] \([0-9]*\) test.*/\1/p' | tail -n1)
		f=$(printf '%s\n' "$out" | sed -n 's/^\[  FAILED  \] \([0-9]*\) test.*/\1/p' | tail -n1)
		p=${p:-0}; f=${f:-0}
		if [ "$rc" -ne 0 ] && [ "$f" -eq 0 ]; then
			# crashed or sanitizer abort before cmocka could count
			printf '%s\n' "$out" | tail -n 30
			f=1
		fi
		passed=$((passed + p)); failed=$((failed + f))
		[ "$f" -eq 0 ] || failures+=("$t")
	done
}

# Each run has its own temporary folder (pytest's --basetemp), so that two
# runs on one machine (two checkouts, or CI next to a developer) share no
# path; it is removed when the run passed and kept (and named) otherwise.
# Short, under /tmp: the nodes' poke sockets must fit in sun_path.
run_integration() {	# $1: bin dir, $2: build dir
	local out rc p f tmp
	[ -d tests/integration ] || return 0
	ls tests/integration/test_*.py >/dev/null 2>&1 || return 0
	tmp=$(mktemp -d /tmp/kairan-it.XXXXXX) || return 1
	out=$(KAIRAN_BIN="$PWD/$1" KAIRAN_BUILD="$PWD/$2" \
	    /usr/bin/python3 -m pytest -q -p no:cacheprovider \
	    --basetemp="$tmp" tests/integration 2>&1)
	rc=$?
	if [ "$rc" -eq 0 ]; then rm -rf "$tmp"; else echo "tests: kept $tmp"; fi
	printf '%s\n' "$out" | tail -n 60
	p=$(printf '%s\n' "$out" | grep -Eo '[0-9]+ passed' | tail -n1 | cut -d' ' -f1)
	f=$(printf '%s\n' "$out" | grep -Eo '[0-9]+ (failed|error)' | awk '{s+=$1} END {print s+0}')
	p=${p:-0}; f=${f:-0}
	if [ "$rc" -ne 0 ] && [ "$f" -eq 0 ]; then f=1; fi
	passed=$((passed + p)); failed=$((failed + f))
	[ "$f" -eq 0 ] || failures+=("integration ($1)")
}

run_fuzz() {	# $1: build dir (gen/ and fixtures/pki from make)
	local out rc p f x
	out=$(BUILD="$1" FIXTURES="$1/fixtures/pki" \
	    FUZZ_SECONDS="${FUZZ_SECONDS:-10}" sh tests/fuzz/run.sh 2>&1)
	rc=$?
	p=$(printf '%s\n' "$out" | grep -cE '^fuzz_[a-z]+: ok')
	f=$(printf '%s\n' "$out" | grep -cE '^fuzz_[a-z]+: FAILED')
	if [ "$f" -gt 0 ]; then
		printf '%s\n' "$out" | grep -vE '^fuzz_[a-z]+: ' | tail -n 40
	fi
	printf '%s\n' "$out" | grep -E '^fuzz_[a-z]+: '
	for x in $(printf '%s\n' "$out" | sed -n 's/^\(fuzz_[a-z]*\): FAILED.*/\1/p'); do
		failures+=("$x (log and artifacts in $1/fuzz/)")
	done
	if [ "$rc" -ne 0 ] && [ "$f" -eq 0 ]; then
		# no harness got to run (no clang, a build error)
		printf '%s\n' "$out" | tail -n 20
		f=1
		failures+=("fuzz (no harness ran)")
	fi
	passed=$((passed + p)); failed=$((failed + f))
}

case "$what" in
unit)
	run_unit build ;;
integration)
	run_integration bin build ;;
fuzz)
	run_fuzz build ;;
all)
	echo "== unit tests"
	run_unit build
	echo "== unit tests, ASan+UBSan"
	run_unit build-san
	echo "== unit tests of the threads, ThreadSanitizer"
	TSAN_OPTIONS="halt_on_error=1 ${TSAN_OPTIONS:-}" run_unit build/tsan
	echo "== integration tests"
	run_integration bin build
	echo "== integration tests, ASan+UBSan binaries"
	run_integration build-san/bin build-san
	echo "== fuzzing, ${FUZZ_SECONDS:-10} s per harness"
	run_fuzz build ;;
*)
	echo "usage: tests/run.sh [unit|integration|fuzz]" >&2; exit 2 ;;
esac

for x in "${failures[@]+"${failures[@]}"}"; do echo "FAILED: $x"; done
echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ] && [ "$passed" -gt 0 ]
