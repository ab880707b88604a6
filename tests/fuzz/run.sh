#!/bin/sh
# run.sh: runs every libFuzzer target of a PD_FUZZ build for a set time
# and prints one line per target: executions, exec/s, coverage (libFuzzer's
# cov: edges and ft: features), corpus size, and whether it found a crash.
# `make fuzz` calls it; the issue asked for libFuzzer, hence clang.
#
# Usage: run.sh BUILD_DIR [SECONDS [TARGET...]]     (default 60 s, all targets)
#
# Each target starts from its committed seeds, tests/fuzz/corpus/NAME/, with
# tests/fuzz/dict/NAME.dict when there is one. New inputs go to
# BUILD_DIR/fuzz-out/NAME/corpus, never into the committed corpus: merging
# is a deliberate step (`make fuzz-merge`). A crash, leak or timeout leaves
# its input in BUILD_DIR/fuzz-out/NAME/ (crash-*, leak-*, timeout-*, oom-*)
# and the log beside it, and makes this script exit 1.
set -u

build=${1:?usage: run.sh BUILD_DIR [SECONDS [TARGET...]]}
seconds=${2:-60}
[ $# -gt 2 ] && shift 2 || set --
src=$(cd "$(dirname "$0")" && pwd)
bindir=$build/tests/fuzz
out=$build/fuzz-out
targets=${*:-$(cd "$src" && ls fuzz_*.c | sed 's/^fuzz_//; s/\.c$//')}
status=0
report=""

# The value after "key:" on the last line of the log that has it.
last_field() {
	grep -o "$2: *[0-9]*" "$1" | tail -n 1 | sed 's/.*: *//'
}

# A final stats line of the log (-print_final_stats=1): stat::KEY: VALUE.
stat() {
	sed -n "s/^stat::$2: *//p" "$1" | tail -n 1
}

for t in $targets; do
	bin=$bindir/fuzz_$t
	if [ ! -x "$bin" ]; then
		echo "run.sh: $bin is missing (cmake --build $build --target fuzz-targets)" >&2
		exit 2
	fi
	dir=$out/$t
	mkdir -p "$dir/corpus"
	rm -f "$dir"/crash-* "$dir"/leak-* "$dir"/timeout-* "$dir"/oom-* "$dir/log"
	set -- -max_total_time="$seconds" -print_final_stats=1 -timeout=10 \
		-artifact_prefix="$dir/"
	[ -f "$src/dict/$t.dict" ] && set -- "$@" -dict="$src/dict/$t.dict"
	echo "fuzz: $t for ${seconds}s (log: $dir/log)"
	start=$(date +%s)
	# stdin is /dev/null: nothing a target reads may wait on a terminal.
	"$bin" "$@" "$dir/corpus" "$src/corpus/$t" </dev/null >"$dir/log" 2>&1
	rc=$?
	took=$(($(date +%s) - start))

	found=$(ls "$dir" | grep -E '^(crash|leak|timeout|oom)-' | head -n 1)
	if [ $rc -ne 0 ] || [ -n "$found" ]; then
		status=1
		verdict="CRASH: $dir/${found:-log}"
		grep -E 'oracle failed|ERROR: |SUMMARY: ' "$dir/log" | head -n 3 | sed 's/^/    /'
	else
		verdict="no crash"
	fi
	corpus="$(ls "$dir/corpus" | wc -l)+$(ls "$src/corpus/$t" | wc -l)"
	report="$report$(printf '%-10s %12s %8s %6s %7s %11s %6ss  %s' "$t" \
		"$(stat "$dir/log" number_of_executed_units)" \
		"$(stat "$dir/log" average_exec_per_sec)" \
		"$(last_field "$dir/log" cov)" "$(last_field "$dir/log" ft)" \
		"$corpus" "$took" "$verdict")
"
done

echo
printf '%-10s %12s %8s %6s %7s %11s %7s  %s\n' target execs exec/s cov ft "corpus" time result
printf '%s' "$report"
echo "(corpus: new inputs in $out/NAME/corpus + committed seeds)"
if [ $status -ne 0 ]; then
	echo "fuzz: crash found. Reproduce: $bindir/fuzz_NAME $out/NAME/crash-...;" \
		"see README.md, Fuzzing" >&2
fi
exit $status
