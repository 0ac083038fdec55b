#!/usr/bin/env bash
# Fuzz smoke run: every libFuzzer target in fuzz/ runs for $FUZZ_SECONDS
# (default 5; .ci/run uses 20) on a copy of its checked-in seed corpus.
# A crash, leak, sanitizer report or timeout fails the target.
. "$top_srcdir/t/lib.sh"

[ -n "${FUZZ_CC:-}" ] || skip_all "no clang: libFuzzer targets not built"
secs=${FUZZ_SECONDS:-5}
found=0
for bin in "$top_builddir"/fuzz/fuzz_*; do
	[ -x "$bin" ] || continue
	found=$((found + 1))
	name=$(basename "$bin")
	corpus=$T/$name
	mkdir -p "$corpus"
	[ -d "$top_srcdir/fuzz/corpus/$name" ] && cp -r "$top_srcdir/fuzz/corpus/$name/." "$corpus/"
	seeds=$(find "$corpus" -type f | wc -l)
	"$bin" -max_total_time="$secs" -timeout=10 -rss_limit_mb=2048 -max_len=65536 \
		-print_final_stats=1 "$corpus" >"$T/$name.log" 2>&1
	rc=$?
	runs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$T/$name.log")
	ok $rc "$name: ${secs}s, ${runs:-0} runs from $seeds seeds, no crash"
	if [ $rc -ne 0 ]; then
		grep -E 'ERROR|SUMMARY|Test unit written' "$T/$name.log" | head -20 | sed 's/^/#   /'
	fi
	[ "$seeds" -gt 0 ]
	ok $? "$name: has a checked-in seed corpus"
done
[ $found -gt 0 ]
ok $? "fuzz targets were built ($found)"
done_testing
