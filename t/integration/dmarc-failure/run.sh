#!/bin/bash
# t/integration/dmarc-failure: failure reports (FailureReports, ruf=, fo=)
# in the RFC 6591 AFRF format, submitted by SMTP to Postfix's smtp-sink.
#   - fo=0 (default): a DMARC fail is reported, a pass is not;
#   - fo=1: a pass through DKIM with SPF failing alignment is reported;
#   - fo=d: a failed DKIM signature is reported even when DMARC passes,
#     with its DKIM-Domain;
#   - fo=s: a failed SPF check is reported even when DMARC passes; an SPF
#     pass is not;
#   - Delivery-Result takes RFC 6591's values: reject, spam (quarantine),
#     delivered;
#   - a ruf outside the domain without _report._dmarc authorization is
#     not sent to; with it, it is;
#   - the report is multipart/report; report-type=feedback-report with
#     Feedback-Type: auth-failure, Reported-Domain, Source-IP,
#     Auth-Failure: dmarc and the original header fields;
#   - FailureReportsBcc (OpenDMARC): each address gets a copy of every report
#     (envelope recipient; To: names the ruf), a failing domain without ruf=
#     gets a report to these addresses alone, the per-address rate limit
#     applies to each copy.
. "$top_srcdir/t/lib.sh"
. "$top_srcdir/t/lib/dns.sh"
. "$top_srcdir/t/lib/postfix.sh"

mtgen=$top_srcdir/t/integration/dmarc-milter/mtgen.py
milter=$top_builddir/milter-dmarc/mailaka-dmarc
mk_require miltertest python3 smtp-sink "$milter"
dns_require

dns_zone_add _dmarc.fo0.test 60 TXT "v=DMARC1; p=reject; ruf=mailto:ruf@fo0.test"
dns_zone_add _dmarc.fo1.test 60 TXT "v=DMARC1; p=none; fo=1; ruf=mailto:ruf@fo1.test"
dns_zone_add _dmarc.fod.test 60 TXT "v=DMARC1; p=none; fo=d; ruf=mailto:ruf@fod.test"
dns_zone_add _dmarc.fos.test 60 TXT "v=DMARC1; p=none; fo=s; ruf=mailto:ruf@fos.test"
dns_zone_add _dmarc.ext.test 60 TXT "v=DMARC1; p=quarantine; ruf=mailto:no@elsewhere.example,mailto:yes@reports.example"
dns_zone_add ext.test._report._dmarc.reports.example 60 TXT "v=DMARC1"
dns_zone_add _dmarc.noruf.test 60 TXT "v=DMARC1; p=reject"
dns_start || bail_out "DNS fixture did not start"

sink_start rep 127.0.0.1 || bail_out "smtp-sink did not start"
sport=$SINK_PORT_rep

cat >"$T/m.conf" <<CONF
Socket unix:$T/m.sock
MilterEngine ${MK_MILTER_ENGINE:-own}
AuthservID mx.dmarc.test
TrustedAuthservIDs mx.trusted.test
RejectFailures yes
IgnoreHosts 192.0.2.250
Resolver $DNS_RESOLVER
FailureReports yes
FailureReportsRelay 127.0.0.1:$sport
FailureReportsSentBy dmarc-reports@mx.dmarc.test
FailureReportsOnNone yes
CONF
"$milter" -f -c "$T/m.conf" >"$T/m.log" 2>&1 &
mk_track_pid $!
MILTER_PIDS=$!
mk_wait_unix "$T/m.sock" 10 || bail_out "milter did not start"

cat >"$T/cases.txt" <<'CASES'
case: fo0 fail
ip: 192.0.2.9
from: <x@evil.test>
hdr: From: u@fo0.test
hdr: Subject: fake invoice
case: fo0 pass
hdr: From: u@fo0.test
hdr: Authentication-Results: mx.trusted.test; dkim=pass header.d=fo0.test
case: fo1 dkim-only pass
hdr: From: u@fo1.test
hdr: Authentication-Results: mx.trusted.test; dkim=pass header.d=fo1.test
case: fod failed signature
hdr: From: u@fod.test
hdr: Authentication-Results: mx.trusted.test; dkim=pass header.d=fod.test; dkim=fail header.d=fod.test
case: ext fail
hdr: From: u@ext.test
case: fos spf fail
from: <u@fos.test>
hdr: From: u@fos.test
hdr: Authentication-Results: mx.trusted.test; dkim=pass header.d=fos.test; spf=fail smtp.mailfrom=u@fos.test
case: fos spf pass
from: <u@fos.test>
hdr: From: u@fos.test
hdr: Authentication-Results: mx.trusted.test; dkim=pass header.d=fos.test; spf=pass smtp.mailfrom=u@fos.test
CASES
python3 "$mtgen" "$T/cases.txt" main "unix:$T/m.sock" >"$T/m.lua"
miltertest -s "$T/m.lua" >"$T/m.out" 2>&1
is "$(grep -c '^R|' "$T/m.out")" 7 "all seven messages went through the milter"

# expected reports: fo0 fail, fo1, fod, ext -> yes@reports.example, fos fail = 5
sink_wait rep 5 15
sleep 0.5
is "$(sink_count rep)" 5 "five failure reports submitted"
python3 - "$T/sink-rep" >"$T/reports.txt" <<'PY'
import email, os, sys
d = sys.argv[1]
for f in sorted(os.listdir(d)):
    m = email.message_from_bytes(open(os.path.join(d, f), 'rb').read())
    to = m['To']
    ct = m.get_content_type() + ';' + (m.get_param('report-type') or '')
    fb = hdrs = None
    for part in m.walk():
        if part.get_content_type() == 'message/feedback-report':
            p = part.get_payload()
            fb = p[0] if isinstance(p, list) else email.message_from_string(p)
        if part.get_content_type() == 'text/rfc822-headers':
            hdrs = part.get_payload()
    print('%s|%s|%s|%s|%s|%s|%s|%s|%s' % (to, ct, fb['Feedback-Type'], fb['Reported-Domain'],
          fb['Source-IP'], fb['Auth-Failure'], 'Subject: fake invoice' in (hdrs or ''),
          fb['Delivery-Result'], ','.join(fb.get_all('DKIM-Domain') or [])))
PY
sed 's/^/#   /' "$T/reports.txt"
r=$(cat "$T/reports.txt")
like "$r" "^ruf@fo0.test\|multipart/report;feedback-report\|auth-failure\|fo0.test\|192.0.2.9\|dmarc\|True\|reject\|$" \
	"fo=0: the DMARC fail is reported (AFRF fields, original header fields)"
is "$(grep -c '^ruf@fo0.test' <<<"$r")" 1 "fo=0: the DMARC pass is not reported"
like "$r" "^ruf@fo1.test\|.*\|fo1.test\|" "fo=1: a pass with SPF unaligned is reported"
like "$r" "^ruf@fod.test\|.*\|fod.test\|.*\|delivered\|fod.test,fod.test$" \
	"fo=d: a failed DKIM signature is reported (DKIM-Domain fields, Delivery-Result delivered)"
like "$r" "^ruf@fos.test\|.*\|fos.test\|.*\|delivered\|fos.test$" "fo=s: a failed SPF check is reported"
is "$(grep -c '^ruf@fos.test' <<<"$r")" 1 "fo=s: an SPF pass is not reported"
like "$r" "^yes@reports.example\|.*\|ext.test\|.*\|spam\|$" \
	"authorized external ruf gets the report (p=quarantine: Delivery-Result spam)"
is "$(grep -c '^no@elsewhere.example' <<<"$r")" 0 "unauthorized external ruf gets nothing"
like "$(cat "$T/m.log")" "failure_report=no@elsewhere.example status=skipped" "the skip is logged"
# FailureReportsOnNone no (the default, as OpenDMARC): a p=none domain gets
# no failure report, a p=reject one still does
sed '/^FailureReportsOnNone/d; s|m\.sock|m2.sock|' "$T/m.conf" >"$T/m2.conf"
"$milter" -f -c "$T/m2.conf" >"$T/m2.log" 2>&1 &
mk_track_pid $!
MILTER_PIDS="$MILTER_PIDS $!"
mk_wait_unix "$T/m2.sock" 10 || bail_out "second milter did not start"
n=$(sink_count rep)
python3 "$mtgen" "$T/cases.txt" main "unix:$T/m2.sock" >"$T/m2.lua"
miltertest -s "$T/m2.lua" >"$T/m2.out" 2>&1
is "$(grep -c '^R|' "$T/m2.out")" 7 "FailureReportsOnNone no: the seven messages again"
sink_wait rep $((n + 2)) 15
sleep 1
is "$(sink_count rep)" $((n + 2)) \
	"FailureReportsOnNone no: only the p=reject and p=quarantine failures are reported (2, not 5)"
# FailureReportsBcc: two local copies, 2 reports per address and hour
sink_start bcc 127.0.0.1 || bail_out "smtp-sink did not start"
sed '/^FailureReportsOnNone/d; s|m\.sock|m3.sock|; s|^FailureReportsRelay .*|FailureReportsRelay 127.0.0.1:'"$SINK_PORT_bcc"'|' \
	"$T/m.conf" >"$T/m3.conf"
printf 'FailureReportsBcc copy1@local.test, copy2@local.test\nFailureReportsRateLimit 2/1h\n' >>"$T/m3.conf"
"$milter" -f -c "$T/m3.conf" >"$T/m3.log" 2>&1 &
mk_track_pid $!
MILTER_PIDS="$MILTER_PIDS $!"
mk_wait_unix "$T/m3.sock" 10 || bail_out "third milter did not start"
cat >"$T/bcc.txt" <<'CASES'
case: bcc noruf fail
ip: 192.0.2.9
hdr: From: u@noruf.test
case: bcc fo0 fail 1
ip: 192.0.2.9
hdr: From: u@fo0.test
case: bcc fo0 fail 2
ip: 192.0.2.9
hdr: From: u@fo0.test
case: bcc fo0 pass
hdr: From: u@fo0.test
hdr: Authentication-Results: mx.trusted.test; dkim=pass header.d=fo0.test
CASES
python3 "$mtgen" "$T/bcc.txt" main "unix:$T/m3.sock" >"$T/m3.lua"
miltertest -s "$T/m3.lua" >"$T/m3.out" 2>&1
is "$(grep -c '^R|.*|550|' "$T/m3.out")" 3 "FailureReportsBcc: the three failures rejected"
# noruf: copy1, copy2; fo0 1: ruf, copy1, copy2; fo0 2: ruf (copies over the limit)
sink_wait bcc 6 15
sleep 1
is "$(sink_count bcc)" 6 "FailureReportsBcc: six reports (the per-address limit stops the 3rd copy)"
python3 - "$T/sink-bcc" >"$T/bcc.res" <<'PY'
import email, os, sys
d = sys.argv[1]
for f in sorted(os.listdir(d)):
    raw = open(os.path.join(d, f), 'rb').read()
    rcpt = [l.split()[1].strip('<>') for l in raw.decode('utf-8', 'replace').splitlines()
            if l.startswith('X-Rcpt-Args:')]
    m = email.message_from_bytes(raw)
    fb = None
    for part in m.walk():
        if part.get_content_type() == 'message/feedback-report':
            p = part.get_payload()
            fb = p[0] if isinstance(p, list) else email.message_from_string(p)
    print('%s|%s|%s|%s' % (','.join(rcpt), m['To'], fb['Reported-Domain'] if fb else '-',
          'Bcc' in m))
PY
sed 's/^/#   /' "$T/bcc.res"
cnt() { cut -d'|' -f1 "$T/bcc.res" | grep -cx "$1"; }
is "$(cnt ruf@fo0.test)/$(cnt copy1@local.test)/$(cnt copy2@local.test)" 2/2/2 \
	"envelope recipients: the ruf 2, each Bcc address 2"
is "$(grep -c '^copy[12]@local.test|ruf@fo0.test|fo0.test|False$' "$T/bcc.res")" 2 \
	"the copies of fo0.test's first report: To: the ruf address, no Bcc field"
is "$(grep -Ec '^(copy[12]@local.test)\|\1\|noruf.test\|' "$T/bcc.res")" 2 \
	"noruf.test (no ruf=): the failure reported to the Bcc addresses alone (To: each)"
like "$(cat "$T/m3.log")" "failure_report=copy1@local.test status=rate-limited limit=FailureReportsRateLimit" \
	"the Bcc address's rate limit logged"
printf 'Socket unix:%s/x.sock\nFailureReportsBcc mailto:a@b.test\n' "$T" >"$T/badbcc.conf"
out=$("$milter" -n -c "$T/badbcc.conf" 2>&1)
[ $? -ne 0 ] && [[ $out == *badbcc.conf:2:*FailureReportsBcc* ]]
ok $? "FailureReportsBcc mailto:a@b.test: refused, naming file:line" || diag "$out"

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
stop_and_check_sanitizers "$T/m.log" "$T/m2.log" "$T/m3.log"
done_testing
