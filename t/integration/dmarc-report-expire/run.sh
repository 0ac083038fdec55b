#!/bin/bash
# t/integration/dmarc-report-expire: `mailaka dmarc-report --expire DURATION`
# (OpenDMARC's opendmarc-expire).  mailaka-dmarc records messages of two
# domains played by miltertest against the DNS fixture; some rows are then
# dated ten days back in the SQLite store.  The old period is reported,
# --expire 7d deletes exactly the old messages and the old period's report
# record, keeps the recent ones, the recent period's report still counts
# its messages and stays idempotent, and bad durations are refused.
. "$top_srcdir/t/lib.sh"
. "$top_srcdir/t/lib/dns.sh"

mtgen=$top_srcdir/t/integration/dmarc-milter/mtgen.py
milter=$top_builddir/milter-dmarc/mailaka-dmarc
mailaka=$top_builddir/cli/mailaka
mk_require miltertest python3 sqlite3 xmllint "$milter" "$mailaka"
dns_require

dns_zone_add _dmarc.alpha.test 60 TXT "v=DMARC1; p=reject; rua=mailto:agg@alpha.test"
dns_zone_add _dmarc.beta.test 60 TXT "v=DMARC1; p=none; rua=mailto:agg@beta.test"
dns_start || bail_out "DNS fixture did not start"

cat >"$T/m.conf" <<CONF
Socket unix:$T/m.sock
MilterEngine ${MK_MILTER_ENGINE:-own}
AuthservID mx.dmarc.test
TrustedAuthservIDs mx.trusted.test
RejectFailures yes
Resolver $DNS_RESOLVER
HistoryFile $T/h.db
CONF
"$milter" -f -c "$T/m.conf" >"$T/m.log" 2>&1 &
mk_track_pid $!
mpid=$!
mk_wait_unix "$T/m.sock" 10 || { sed 's/^/# /' "$T/m.log"; bail_out "milter did not start"; }

: >"$T/cases.txt"
n=0
add() {	# add COUNT IP DOMAIN [A-R]
	local i
	for i in $(seq 1 "$1"); do
		n=$((n + 1))
		{
			echo "case: msg $n"
			echo "ip: $2"
			echo "hdr: From: user@$3"
			[ -n "${4:-}" ] && echo "hdr: Authentication-Results: $4"
		} >>"$T/cases.txt"
	done
}
add 3 192.0.2.1 alpha.test "mx.trusted.test; dkim=pass header.d=alpha.test header.s=s1"
add 2 192.0.2.2 alpha.test
add 3 192.0.2.3 beta.test
python3 "$mtgen" "$T/cases.txt" main "unix:$T/m.sock" >"$T/m.lua"
miltertest -s "$T/m.lua" >"$T/m.out" 2>&1
is "$(grep -c '^R|' "$T/m.out")" 8 "8 messages through the milter"
kill -TERM "$mpid"
wait "$mpid" 2>/dev/null

q() { sqlite3 "$T/h.db" "$1"; }
is "$(q 'SELECT COUNT(*) FROM messages')" 8 "8 messages recorded"
# age: the 2 unaligned alpha.test messages and every beta.test message, 10 days back
q "UPDATE messages SET ts = ts - 864000 WHERE source_ip IN ('192.0.2.2', '192.0.2.3')"
is "$(q 'SELECT COUNT(*) FROM messages WHERE ts < strftime("%s","now") - 7*86400')" 5 \
	"5 messages dated 10 days back"

now=$(date +%s)
old_end=$((now - 864000 + 120))
new_end=$((now + 120))
report() { "$mailaka" dmarc-report --history "$T/h.db" --org mx.dmarc.test \
	--resolver "$DNS_RESOLVER" --period 3600 "$@"; }
xcount() {	# xcount FILE.xml.gz: sum of the record counts
	gunzip -c "$1" | xmllint --xpath "sum(//*[local-name()='row']/*[local-name()='count'])" - 2>/dev/null
}

# the old period is reported (and recorded as reported) before expiry
mkdir -p "$T/old"
report --dry-run "$T/old" --period-end "$old_end" >"$T/r1.out" 2>"$T/r1.err"
ok $? "old period reported" || sed 's/^/# /' "$T/r1.err"
is "$(ls "$T/old" | grep -c '\.xml\.gz$')" 2 "old period: a report for alpha.test and one for beta.test"
is "$(q "SELECT COUNT(*) FROM reports WHERE end_ts = $old_end")" 2 "old period: 2 report records"

# bad durations: a clear error, exit 2, nothing deleted
for bad in 12x -3d "" 1h 86399s 99999999999999999999d; do
	report --dry-run "$T/old" --period-end 3600 --expire "$bad" >"$T/bad.out" 2>"$T/bad.err"
	rc=$?
	is "$rc" 2 "--expire '$bad': exit 2"
	like "$(cat "$T/bad.err")" "--expire $bad: not a duration of at least 1d" "--expire '$bad': says why"
done
is "$(q 'SELECT COUNT(*) FROM messages')" 8 "bad durations deleted nothing"

# --expire 7d on a run that has nothing to report (an empty period)
mkdir -p "$T/none"
report --dry-run "$T/none" --period-end $((now - 3 * 86400)) --expire 7d >"$T/r2.out" 2>"$T/r2.err"
ok $? "--expire 7d exit 0" || sed 's/^/# /' "$T/r2.err"
like "$(cat "$T/r2.out")" "^expired=5 " "--expire 7d: 5 messages expired"
is "$(q 'SELECT COUNT(*) FROM messages')" 3 "3 messages kept"
is "$(q "SELECT COUNT(*) FROM messages WHERE policy_domain = 'alpha.test' AND source_ip = '192.0.2.1'")" 3 \
	"the kept ones are the recent alpha.test messages"
is "$(q 'SELECT COUNT(*) FROM messages WHERE ts < strftime("%s","now") - 7*86400')" 0 "no message older than 7 days left"
is "$(q 'SELECT COUNT(*) FROM reports')" 0 "the old period's report records are gone"

# the old period now has nothing to report; the recent one is intact
mkdir -p "$T/old2" "$T/new"
report --dry-run "$T/old2" --period-end "$old_end" >"$T/r3.out" 2>&1
is "$(ls "$T/old2" | grep -c '\.xml\.gz$')" 0 "old period after expiry: no report"
report --dry-run "$T/new" --period-end "$new_end" >"$T/r4.out" 2>"$T/r4.err"
ok $? "recent period reported" || sed 's/^/# /' "$T/r4.err"
is "$(ls "$T/new" | grep -c '\.xml\.gz$')" 1 "recent period: one report (alpha.test)"
f=$(ls "$T"/new/*alpha.test*.xml.gz 2>/dev/null | head -1)
is "$(xcount "$f")" 3 "recent period: the report counts its 3 messages"
like "$(cat "$T/r4.out")" "domain=alpha.test .* records=1 messages=3" "recent period: 1 record, 3 messages"

# expiring again keeps the recent period's report record: still idempotent
report --dry-run "$T/new" --period-end "$new_end" --expire 1w >"$T/r5.out" 2>"$T/r5.err"
ok $? "second --expire run exit 0" || sed 's/^/# /' "$T/r5.err"
like "$(cat "$T/r5.out")" "^expired=0 " "second --expire: nothing to expire"
like "$(cat "$T/r5.out")" "domain=alpha.test begin=[0-9]+ already-reported" "recent period still recorded as reported"
is "$(q 'SELECT COUNT(*) FROM messages')" 3 "recent messages still there"

if grep -E 'ERROR: (Address|Leak)Sanitizer|runtime error' "$T"/m.log "$T"/r*.err "$T/bad.err" >"$T/san.txt"; then
	ok 1 "sanitizers quiet"
	sed 's/^/#   /' "$T/san.txt" | head -20
else
	ok 0 "sanitizers quiet"
fi
done_testing
