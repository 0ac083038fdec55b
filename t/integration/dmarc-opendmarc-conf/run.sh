#!/bin/bash
# t/integration/dmarc-opendmarc-conf: mailaka-dmarc run from an
# opendmarc.conf as an OpenDMARC user has it (OpenDMARC key names,
# true/false values, keys we do not implement), checked for the behaviour
# those keys promise:
#   - RejectFailures true: a spoofed From of a p=reject domain gets 550 5.7.1;
#   - TemporaryFailures false: a DNS failure is accepted with
#     dmarc=temperror (not 451);
#   - IgnoreHosts FILE: a listed network is not evaluated (no A-R added);
#   - TrustedAuthservIDs: a trusted A-R's dkim=pass makes an aligned pass,
#     also in the form OpenDKIM writes (folded, "(2048-bit key; unprotected)"
#     comment, header.a/header.b, dkim-atps, reason= on a failure);
#     with no trusted input, "dkim=none" and "spf=none" are logged with a
#     reason (the issue's "verify nothing and say so");
#   - HistoryFile: each message with a policy is recorded (read back with
#     the sqlite3 client), SPF recorded as none when there was no SPF input,
#     the temperror and ignored messages not recorded;
#   - SoftwareHeader true: the DMARC-Filter field is added;
#   - unimplemented OpenDMARC keys are warned about, not fatal.
. "$top_srcdir/t/lib.sh"
. "$top_srcdir/t/lib/dns.sh"

mtgen=$top_srcdir/t/integration/dmarc-milter/mtgen.py
milter=$top_builddir/milter-dmarc/mailaka-dmarc
mk_require miltertest python3 sqlite3 "$milter"
dns_require

dns_zone_add _dmarc.rej.test 60 TXT "v=DMARC1; p=reject; rua=mailto:agg@rej.test"
dns_servfail broken.test
dns_start || bail_out "DNS fixture did not start"

printf '# internal networks\n10.0.0.0/8\n\n192.0.2.250\n' >"$T/ignore.hosts"
cat >"$T/opendmarc.conf" <<CONF
## opendmarc.conf as shipped by Debian, adapted
AuthservID mx.dmarc.test
AutoRestart true
AutoRestartRate 10/1h
FailureReports false
HistoryFile $T/history.db
IgnoreHosts $T/ignore.hosts
PidFile $T/opendmarc.pid
RejectFailures true
RequiredHeaders false
Socket unix:$T/m.sock
SoftwareHeader true
SPFIgnoreResults false
SPFSelfValidate false
Syslog true
SyslogFacility mail
TemporaryFailures false
TrustedAuthservIDs mx.trusted.test
UMask 0002
# not in opendmarc.conf: ours
MilterEngine ${MK_MILTER_ENGINE:-own}
Resolver $DNS_RESOLVER
CONF
"$milter" -f -c "$T/opendmarc.conf" >"$T/m.log" 2>&1 &
mk_track_pid $!
pid=$!
mk_wait_unix "$T/m.sock" 10 || { sed 's/^/# /' "$T/m.log"; bail_out "milter did not start"; }

cat >"$T/cases.txt" <<'CASES'
case: spoof
ip: 192.0.2.9
from: <x@evil.test>
hdr: From: u@rej.test
case: temperror
hdr: From: u@x.broken.test
case: ignored
ip: 10.1.2.3
hdr: From: u@rej.test
case: signed
ip: 192.0.2.8
hdr: From: u@rej.test
hdr: Authentication-Results: mx.trusted.test; dkim=pass header.d=rej.test header.s=sel
swhdr: .*
case: opendkim pass
ip: 192.0.2.7
hdr: From: u@rej.test
hdr: Authentication-Results: mx.trusted.test;\n dkim=pass (2048-bit key; unprotected) header.d=rej.test header.i=@rej.test header.a=rsa-sha256 header.s=od2026 header.b="AbCd1234";\n dkim-atps=neutral
case: opendkim fail
ip: 192.0.2.6
hdr: From: u@rej.test
hdr: Authentication-Results: mx.trusted.test;\n dkim=fail reason="signature verification failed" (2048-bit key; unprotected) header.d=rej.test header.i=@rej.test header.a=rsa-sha256 header.s=od2026 header.b="AbCd1234"
CASES
python3 "$mtgen" "$T/cases.txt" main "unix:$T/m.sock" >"$T/m.lua"
miltertest -s "$T/m.lua" >"$T/m.out" 2>&1
sed 's/^/#   /' "$T/m.out" | grep '^#   R|'
res() { grep "^R|$1|" "$T/m.out" | cut -d'|' -f3,6; }
like "$(res spoof)" '^550\|mx.dmarc.test; dmarc=fail \(p=reject dis=reject\) header.from=rej.test$' \
	"RejectFailures true: spoofed p=reject From refused with 550"
like "$(res temperror)" '^accept\|mx.dmarc.test; dmarc=temperror .*header.from=x.broken.test$' \
	"TemporaryFailures false: DNS failure accepted with dmarc=temperror"
is "$(res ignored)" "accept|-" "IgnoreHosts file: listed network not evaluated"
like "$(res signed)" '^accept\|mx.dmarc.test; dmarc=pass .*header.from=rej.test$' \
	"TrustedAuthservIDs: trusted dkim=pass gives an aligned pass"
like "$(res 'opendkim pass')" '^accept\|mx.dmarc.test; dmarc=pass .*header.from=rej.test$' \
	"OpenDKIM's A-R form (folded, comment with ';', header.b, dkim-atps): dkim=pass read"
like "$(res 'opendkim fail')" '^550\|mx.dmarc.test; dmarc=fail ' \
	"OpenDKIM's dkim=fail with reason= and comment: read as a failure"
log=$(cat "$T/m.log")
like "$log" 'dkim=none reason="no Authentication-Results from a TrustedAuthservIDs server"' \
	"no trusted DKIM input: said so in the log"
like "$log" 'spf=none reason=' "no SPF input: said so in the log"
like "$log" 'opendmarc.conf:[0-9]+: .*(AutoRestart|UMask) is accepted but not used' \
	"unimplemented OpenDMARC keys: warned about with file:line"
! grep -q 'SoftwareHeader is accepted' <<<"$log"
ok $? "SoftwareHeader is implemented: no warning"
like "$(grep '^H|signed|' "$T/m.out")" '^H\|signed\|mailaka-dmarc v[^ ]+ [^ ]+ QID1$' \
	"SoftwareHeader true: DMARC-Filter field added, as OpenDMARC's"

kill -TERM "$pid" 2>/dev/null
wait "$pid" 2>/dev/null
q() { sqlite3 "$T/history.db" "$1" 2>&1; }
is "$(q 'SELECT COUNT(*) FROM messages')" 4 "HistoryFile: the four messages with a policy recorded"
is "$(q "SELECT source_ip, disposition, spf_result, dkim_eval FROM messages WHERE source_ip = '192.0.2.9'")" \
	"192.0.2.9|reject|none|fail" "HistoryFile: the spoof, SPF none (no SPF input)"
is "$(q "SELECT source_ip, disposition, dkim_eval, dkim FROM messages WHERE source_ip = '192.0.2.8'")" \
	"192.0.2.8|none|pass|rej.test sel pass" "HistoryFile: the signed message with its DKIM result"
is "$(q "SELECT dkim FROM messages WHERE source_ip = '192.0.2.7'")" "rej.test od2026 pass" \
	"HistoryFile: OpenDKIM's selector (header.s) recorded"
is "$(q "SELECT dkim FROM messages WHERE source_ip = '192.0.2.6'")" "rej.test od2026 fail" \
	"HistoryFile: OpenDKIM's dkim=fail recorded as a failed signature"
if grep -E 'ERROR: (Address|Leak)Sanitizer|runtime error' "$T/m.log" >"$T/san.txt"; then
	ok 1 "sanitizers quiet"
	sed 's/^/#   /' "$T/san.txt" | head -20
else
	ok 0 "sanitizers quiet"
fi
done_testing
