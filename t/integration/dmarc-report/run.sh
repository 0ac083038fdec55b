#!/bin/bash
# t/integration/dmarc-report: the history store and `mailaka dmarc-report`.
# mailaka-dmarc (HistoryFile) evaluates messages played by miltertest
# against a real DNS server; the report command then builds the aggregate
# reports: --dry-run writes the .xml.gz files (validated with xmllint
# against t/xsd/dmarc-9990.xsd, counts compared with the messages sent,
# external destination check, idempotence); a 7489-mode instance's report
# is submitted by SMTP to Postfix's smtp-sink, extracted from the dumped
# mail and validated against t/xsd/dmarc-7489.xsd.  RecordAllMessages
# (instance "all") records messages of domains without a DMARC record too,
# and they make no report; a domain publishing ri=7200 is reported every
# two hours by hourly runs, the others every hour.
. "$top_srcdir/t/lib.sh"
. "$top_srcdir/t/lib/dns.sh"
. "$top_srcdir/t/lib/postfix.sh"

here=$top_srcdir/t/integration/dmarc-report
mtgen=$top_srcdir/t/integration/dmarc-milter/mtgen.py
milter=$top_builddir/milter-dmarc/mailaka-dmarc
if "$top_builddir/cli/mailaka" help dmarc-report >/dev/null 2>&1; then
	report() { "$top_builddir/cli/mailaka" dmarc-report "$@"; }
else
	report() { "$top_builddir/t/integration/dmarc-report/driver" "$@"; }
fi
mk_require miltertest python3 xmllint smtp-sink "$milter"
dns_require

dns_zone_add _dmarc.reject.test 60 TXT "v=DMARC1; p=reject; rua=mailto:agg@reject.test,mailto:ext@reports.example,mailto:nope@other.example"
dns_zone_add reject.test._report._dmarc.reports.example 60 TXT "v=DMARC1"
dns_zone_add _dmarc.quar.test 60 TXT "v=DMARC1; p=quarantine; rua=mailto:agg@quar.test"
dns_zone_add _dmarc.norua.test 60 TXT "v=DMARC1; p=reject"
dns_zone_add _dmarc.testmode.test 60 TXT "v=DMARC1; p=reject; t=y; rua=mailto:agg@testmode.test"
dns_zone_add _dmarc.example.co.uk 60 TXT "v=DMARC1; p=reject; sp=quarantine; pct=100; rua=mailto:dmarc@example.co.uk"
dns_zone_add _dmarc.ri.test 60 TXT "v=DMARC1; p=none; ri=7200; rua=mailto:agg@ri.test"
dns_start || bail_out "DNS fixture did not start"

# stop the milters (SIGTERM: libmilter returns, everything is freed) and
# check that the sanitizers (ASan, UBSan, LeakSanitizer) said nothing
stop_and_check_sanitizers() {	# stop_and_check_sanitizers LOG...
	local p
	for p in $MILTER_PIDS; do kill -TERM "$p" 2>/dev/null; done
	for p in $MILTER_PIDS; do wait "$p" 2>/dev/null; done
	if grep -E 'ERROR: (Address|Leak)Sanitizer|runtime error' "$@" >"$T/sanitizers.txt"; then
		ok 1 "milters stopped, sanitizers quiet"
		sed 's/^/#   /' "$T/sanitizers.txt" | head -20
	else
		ok 0 "milters stopped, sanitizers quiet"
	fi
}

MILTER_PIDS=""
start_milter() {	# NAME EXTRA
	cat >"$T/$1.conf" <<CONF
Socket unix:$T/$1.sock
MilterEngine ${MK_MILTER_ENGINE:-own}
AuthservID mx.dmarc.test
TrustedAuthservIDs mx.trusted.test
RejectFailures yes
IgnoreHosts 192.0.2.250
Resolver $DNS_RESOLVER
HistoryFile $T/$1.db
$2
CONF
	"$milter" -f -c "$T/$1.conf" >"$T/$1.log" 2>&1 &
	mk_track_pid $!
	MILTER_PIDS="$MILTER_PIDS $!"
	mk_wait_unix "$T/$1.sock" 10 || { sed 's/^/# /' "$T/$1.log"; bail_out "$1 did not start"; }
}

# add_case INST NAME IP FROM-DOMAIN [A-R] ; N copies
add_cases() {	# add_cases N INST IP DOMAIN [AR] [MAILFROM]
	local n=$1 inst=$2 ip=$3 dom=$4 ar=${5:-} mf=${6:-<u@example.net>} i
	for i in $(seq 1 "$n"); do
		cases_n=$((cases_n + 1))
		{
			echo "case: msg $cases_n"
			echo "inst: $inst"
			echo "ip: $ip"
			echo "from: $mf"
			echo "hdr: From: user@$dom"
			[ -n "$ar" ] && echo "hdr: Authentication-Results: $ar"
		} >>"$T/cases.txt"
	done
}
cases_n=0
: >"$T/cases.txt"
add_cases 3 main 192.0.2.1 reject.test "mx.trusted.test; dkim=pass header.d=reject.test header.s=sel1"
add_cases 2 main 192.0.2.2 reject.test
add_cases 1 main 2001:db8::5 reject.test "mx.trusted.test; spf=pass smtp.mailfrom=b@reject.test" "<b@reject.test>"
add_cases 2 main 192.0.2.3 quar.test
add_cases 1 main 192.0.2.3 norua.test
add_cases 2 main 192.0.2.4 testmode.test
add_cases 1 main 192.0.2.250 reject.test
add_cases 2 uk 192.0.2.7 a.b.example.co.uk "mx.trusted.test; dkim=pass header.d=example.co.uk header.s=s"
add_cases 1 uk 192.0.2.8 other.example.co.uk
add_cases 1 main 192.0.2.9 nodmarc.test
add_cases 2 all 192.0.2.9 nodmarc.test
add_cases 2 all 192.0.2.10 ri.test
add_cases 1 all 192.0.2.11 quar.test

start_milter main ""
start_milter uk "DMARCSpec 7489
PublicSuffixList /usr/share/publicsuffix/public_suffix_list.dat"
start_milter all "RecordAllMessages t"
for inst in main uk all; do
	python3 "$mtgen" "$T/cases.txt" "$inst" "unix:$T/$inst.sock" >"$T/$inst.lua"
	miltertest -s "$T/$inst.lua" >"$T/$inst.out" 2>&1
	is "$(grep -c '^R|' "$T/$inst.out")" "$(grep -c "^inst: $inst" "$T/cases.txt")" \
		"$inst: every message went through the milter"
done

# the history store: one row per evaluated message with a policy
is "$(sqlite3 "$T/main.db" 'SELECT COUNT(*) FROM messages')" 11 \
	"main: 11 messages recorded (ignored client and the domain without a record not)"
is "$(sqlite3 "$T/all.db" 'SELECT COUNT(*) FROM messages')" 5 "RecordAllMessages: all 5 messages recorded"
is "$(sqlite3 "$T/all.db" "SELECT COUNT(*) FROM messages WHERE header_from='nodmarc.test' AND result='none' AND rua=''")" 2 \
	"RecordAllMessages: the 2 messages of the domain without a record, dmarc=none, no rua"
is "$(sqlite3 "$T/main.db" "SELECT COUNT(*) FROM messages WHERE policy_domain='reject.test' AND disposition='reject'")" 2 \
	"main: 2 rejected reject.test messages recorded"

# --- dry run, RFC 9990 ------------------------------------------------------
end=$(( $(date +%s) + 60 ))
mkdir -p "$T/out"
report --history "$T/main.db" --dry-run "$T/out" --period 3600 --period-end "$end" \
	--org mx.dmarc.test --email dmarc@mx.dmarc.test --resolver "$DNS_RESOLVER" >"$T/r1.out" 2>"$T/r1.err"
ok $? "report --dry-run exit 0" || sed 's/^/# /' "$T/r1.err"
sed 's/^/#   /' "$T/r1.out"
is "$(ls "$T/out" | grep -c '\.xml\.gz$')" 3 "three reports: reject.test, quar.test, testmode.test (norua.test has no rua)"
like "$(ls "$T/out")" "^mx.dmarc.test!reject.test![0-9]+![0-9]+!.*\.xml\.gz" "RFC 7489 7.2.1.1 file name"
for f in "$T"/out/*.xml.gz; do
	gunzip -c "$f" >"${f%.gz}" || bail_out "not gzip: $f"
	xmllint --noout --schema "$top_srcdir/t/xsd/dmarc-9990.xsd" "${f%.gz}" 2>"$T/xmllint.err"
	ok $? "$(basename "$f"): valid against the RFC 9990 schema" || sed 's/^/# /' "$T/xmllint.err"
done
x=$(ls "$T"/out/*reject.test*.xml)
count() {	# count FILE XPATH
	xmllint --xpath "$2" "$1" 2>/dev/null
}
ns="*[local-name()='feedback']/*[local-name()='record']/*[local-name()='row']"
is "$(count "$x" "sum(//$ns/*[local-name()='count'])")" 6 "reject.test: counts add up to the 6 messages"
is "$(count "$x" "count(//$ns)")" 3 "reject.test: aggregated in 3 records (by source IP and result)"
is "$(count "$x" "string(//$ns[*[local-name()='source_ip']='192.0.2.1']/*[local-name()='count'])")" 3 "192.0.2.1: 3 messages"
is "$(count "$x" "string(//$ns[*[local-name()='source_ip']='192.0.2.2']/*[local-name()='policy_evaluated']/*[local-name()='disposition'])")" reject \
	"192.0.2.2: disposition reject"
is "$(count "$x" "string(//$ns[*[local-name()='source_ip']='2001:db8::5']/*[local-name()='policy_evaluated']/*[local-name()='spf'])")" pass \
	"2001:db8::5: spf aligned pass"
like "$(cat "$x")" "<selector>sel1</selector>" "DKIM selector reported"
t=$(ls "$T"/out/*testmode.test*.xml)
like "$(cat "$t")" "<type>policy_test_mode</type>" "t=y: override policy_test_mode"
like "$(cat "$t")" "<testing>y</testing>" "t=y: testing published"
like "$(cat "$T/r1.out")" "rua=agg@reject.test would-send" "own-domain rua accepted"
like "$(cat "$T/r1.out")" "rua=ext@reports.example would-send" "external rua authorized by _report._dmarc accepted"
like "$(cat "$T/r1.out")" "rua=mailto:nope@other.example skipped=external-destination-not-authorized" \
	"external rua without authorization skipped"

# idempotent: the same period is not reported twice
report --history "$T/main.db" --dry-run "$T/out" --period 3600 --period-end "$end" \
	--org mx.dmarc.test --resolver "$DNS_RESOLVER" >"$T/r2.out" 2>&1
ok $? "second run exit 0"
is "$(grep -c already-reported "$T/r2.out")" 3 "second run: the 3 reports are already made"
is "$(ls "$T/out" | grep -c '\.xml\.gz$')" 3 "second run: no new file"

# --- SMTP submission, RFC 7489 ----------------------------------------------
sink_start rua 127.0.0.1 || bail_out "smtp-sink did not start"
sport=$SINK_PORT_rua
report --history "$T/uk.db" --spec 7489 --psl /usr/share/publicsuffix/public_suffix_list.dat \
	--relay "127.0.0.1:$sport" --from dmarc@mx.dmarc.test --org mx.dmarc.test \
	--period 3600 --period-end "$end" --resolver "$DNS_RESOLVER" >"$T/r3.out" 2>"$T/r3.err"
ok $? "report by SMTP exit 0" || sed 's/^/# /' "$T/r3.err"
like "$(cat "$T/r3.out")" "rua=dmarc@example.co.uk sent=" "report sent to the rua address"
sink_wait rua 1 5
is "$(sink_count rua)" 1 "one mail reached the SMTP sink"
python3 - "$T/sink-rua" "$T/uk.xml" <<'PY' >"$T/extract.out" 2>&1
import email, gzip, os, sys
d = sys.argv[1]
f = os.path.join(d, sorted(os.listdir(d))[0])
m = email.message_from_bytes(open(f, 'rb').read())
assert m['Subject'].startswith('Report Domain: example.co.uk Submitter: mx.dmarc.test'), m['Subject']
for part in m.walk():
    if part.get_content_type() == 'application/gzip':
        open(sys.argv[2], 'wb').write(gzip.decompress(part.get_payload(decode=True)))
        print('rcpt', m['X-Rcpt-To'] or m['To'])
        break
else:
    raise SystemExit('no application/gzip part')
PY
ok $? "report mail: subject and gzip attachment" || sed 's/^/# /' "$T/extract.out"
xmllint --noout --schema "$top_srcdir/t/xsd/dmarc-7489.xsd" "$T/uk.xml" 2>"$T/xmllint.err"
ok $? "7489 report valid against the RFC 7489 appendix C schema" || sed 's/^/# /' "$T/xmllint.err"
is "$(count "$T/uk.xml" "sum(//*[local-name()='count'])")" 3 "7489 report: 3 messages"
is "$(count "$T/uk.xml" "string(//*[local-name()='policy_published']/*[local-name()='domain'])")" example.co.uk \
	"7489 report: policy domain is the PSL organizational domain"
report --history "$T/uk.db" --spec 7489 --relay "127.0.0.1:$sport" --org mx.dmarc.test \
	--period 3600 --period-end "$end" --resolver "$DNS_RESOLVER" >"$T/r4.out" 2>&1
sleep 0.2
is "$(sink_count rua)" 1 "second SMTP run sends nothing (idempotent)"
# --- ri=7200 with hourly runs --------------------------------------------------
# the messages are moved to known times: e is a 2-hour boundary; ri.test has
# one message in each hour of [e-7200, e), quar.test one in [e-3600, e)
e=$(( ($(date +%s) / 7200 + 2) * 7200 ))
sqlite3 "$T/all.db" "UPDATE messages SET ts = $e - 1000;
	UPDATE messages SET ts = $e - 5000 WHERE id = (SELECT MIN(id) FROM messages WHERE header_from = 'ri.test')"
mkdir -p "$T/ri"
report --history "$T/all.db" --dry-run "$T/ri" --period 3600 --period-end $((e - 3600)) \
	--org mx.dmarc.test --resolver "$DNS_RESOLVER" >"$T/r5.out" 2>"$T/r5.err"
ok $? "ri: run at the odd hour exit 0" || sed 's/^/# /' "$T/r5.err"
like "$(cat "$T/r5.out")" "domain=ri.test ri=7200 interval=7200 not-due" "ri=7200: not due at the odd hour"
is "$(ls "$T/ri" | grep -c '\.xml\.gz$')" 0 "ri: no report at the odd hour"
report --history "$T/all.db" --dry-run "$T/ri" --period 3600 --period-end "$e" \
	--org mx.dmarc.test --resolver "$DNS_RESOLVER" >"$T/r6.out" 2>"$T/r6.err"
ok $? "ri: run at the even hour exit 0" || sed 's/^/# /' "$T/r6.err"
sed 's/^/#   /' "$T/r6.out"
is "$(ls "$T/ri" | grep -c '\.xml\.gz$')" 2 "ri: two reports (ri.test, quar.test; nodmarc.test has no record)"
like "$(ls "$T/ri")" "!ri.test!$((e - 7200))!$((e - 1))!" "ri.test: one report covering the two hours"
like "$(ls "$T/ri")" "!quar.test!$((e - 3600))!$((e - 1))!" "quar.test (no ri=): the hour"
f=$(ls "$T"/ri/*'!ri.test!'*.xml.gz 2>/dev/null)
is "$(gunzip -c "$f" | xmllint --xpath "sum(//*[local-name()='row']/*[local-name()='count'])" - 2>/dev/null)" 2 \
	"ri.test: both messages of the two hours in the report"

stop_and_check_sanitizers "$T/main.log" "$T/uk.log" "$T/all.log" "$T"/r*.err
done_testing
