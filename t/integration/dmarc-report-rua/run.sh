#!/bin/bash
# t/integration/dmarc-report-rua: how `mailaka dmarc-report` treats each
# rua= URI of a policy (RFC 7489 6.2 / RFC 9990):
#   - a size limit ("!1" = one byte) smaller than the gzipped report: that
#     address is skipped (skipped=size-limit), a "!10m" one gets it;
#   - a non-mailto URI (https:) is skipped (skipped=not-mailto);
#   - when every rua is skipped for its size, the period still counts as
#     reported (not retried forever);
#   - a DNS failure in the external destination check is temporary: the
#     period is not marked, the command exits non-zero, and the next run
#     tries again (while the reported domains say already-reported).
# History written by mailaka-dmarc (miltertest), DNS from the DNS fixture.
. "$top_srcdir/t/lib.sh"
. "$top_srcdir/t/lib/dns.sh"

mtgen=$top_srcdir/t/integration/dmarc-milter/mtgen.py
milter=$top_builddir/milter-dmarc/mailaka-dmarc
if "$top_builddir/cli/mailaka" help dmarc-report >/dev/null 2>&1; then
	report() { "$top_builddir/cli/mailaka" dmarc-report "$@"; }
else
	report() { "$top_builddir/t/integration/dmarc-report/driver" "$@"; }
fi
mk_require miltertest python3 "$milter"
dns_require

dns_zone_add _dmarc.size.test 60 TXT "v=DMARC1; p=none; rua=mailto:small@size.test!1,mailto:big@size.test!10m,https://size.test/dmarc"
dns_zone_add _dmarc.tiny.test 60 TXT "v=DMARC1; p=none; rua=mailto:only@tiny.test!1"
dns_zone_add _dmarc.ext.test 60 TXT "v=DMARC1; p=none; rua=mailto:agg@reports.broken"
dns_servfail reports.broken
dns_start || bail_out "DNS fixture did not start"

cat >"$T/m.conf" <<CONF
Socket unix:$T/m.sock
MilterEngine ${MK_MILTER_ENGINE:-own}
AuthservID mx.dmarc.test
IgnoreHosts 192.0.2.250
Resolver $DNS_RESOLVER
HistoryFile $T/h.db
CONF
"$milter" -f -c "$T/m.conf" >"$T/m.log" 2>&1 &
mk_track_pid $!
pid=$!
mk_wait_unix "$T/m.sock" 10 || bail_out "milter did not start"
printf 'case: %s\nhdr: From: u@%s\n' size size.test tiny tiny.test ext ext.test >"$T/cases.txt"
python3 "$mtgen" "$T/cases.txt" main "unix:$T/m.sock" >"$T/m.lua"
miltertest -s "$T/m.lua" >"$T/m.out" 2>&1
is "$(grep -c '^R|' "$T/m.out")" 3 "three messages through the milter"
kill -TERM "$pid" 2>/dev/null
wait "$pid" 2>/dev/null

end=$(( $(date +%s) + 60 ))
mkdir -p "$T/out"
run() {	# run OUT: one report run over the last hour
	report --history "$T/h.db" --dry-run "$T/out" --period 3600 --period-end "$end" \
		--org mx.dmarc.test --resolver "$DNS_RESOLVER" >"$T/$1.out" 2>"$T/$1.err"
}
run r1
rc=$?
sed 's/^/#   /' "$T/r1.out" "$T/r1.err"
is "$rc" 1 "first run: exit 1 (a destination check failed in DNS)"
r=$(cat "$T/r1.out")
like "$r" "domain=size.test rua=mailto:small@size.test!1 skipped=size-limit" "!1: skipped for its size"
like "$r" "domain=size.test rua=big@size.test would-send=" "!10m: gets the report"
like "$r" "domain=size.test rua=https://size.test/dmarc skipped=not-mailto" "https: URI skipped"
like "$r" "domain=tiny.test rua=mailto:only@tiny.test!1 skipped=size-limit" "tiny.test: its only rua skipped"
like "$r" "domain=ext.test rua=mailto:agg@reports.broken skipped=dns-failure" "DNS failure in the destination check"
like "$(cat "$T/r1.err")" "ext.test: .*retry" "ext.test: will retry"

run r2
rc=$?
is "$rc" 1 "second run: exit 1 again (DNS still failing)"
r=$(cat "$T/r2.out")
like "$r" "domain=size.test begin=[0-9]+ already-reported" "size.test: not reported twice"
like "$r" "domain=tiny.test begin=[0-9]+ already-reported" "tiny.test: a size-only skip is final"
like "$r" "domain=ext.test rua=mailto:agg@reports.broken skipped=dns-failure" "ext.test: tried again"
if grep -E 'ERROR: (Address|Leak)Sanitizer|runtime error' "$T/m.log" "$T"/r*.err >"$T/san.txt"; then
	ok 1 "sanitizers quiet"
	sed 's/^/#   /' "$T/san.txt" | head -20
else
	ok 0 "sanitizers quiet"
fi
done_testing
