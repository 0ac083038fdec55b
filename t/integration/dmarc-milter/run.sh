#!/bin/bash
# t/integration/dmarc-milter: mailaka-dmarc through the milter protocol
# (miltertest drives it) with a real DNS server (t/lib/dns.sh).  The cases
# are the table in cases.txt (mtgen.py turns them into miltertest Lua);
# each asserts the SMTP outcome, the quarantine request, the removal of a
# forged A-R and the exact Authentication-Results value added.
# Instances: main (RejectFailures, 9989), lax (RejectMultiValueFrom no,
# RejectFailures no, SPFSelfValidate, SoftwareHeader as OpenDMARC's "y"),
# psl (DMARCSpec 7489 with the system PSL), arc (DomainWhitelist: the ARC
# override), timeout (DNSTimeout 1 with the DNS server stopped).
. "$top_srcdir/t/lib.sh"
. "$top_srcdir/t/lib/dns.sh"

here=$top_srcdir/t/integration/dmarc-milter
milter=$top_builddir/milter-dmarc/mailaka-dmarc
mk_require miltertest python3 "$milter"
dns_require
[ -r /usr/share/publicsuffix/public_suffix_list.dat ] || skip_all "missing the publicsuffix package"

z() { dns_zone_add "$@" || bail_out "dns_zone_add $*"; }
z _dmarc.reject.test 60 TXT "v=DMARC1; p=reject; rua=mailto:agg@reports.test"
z _dmarc.quar.test 60 TXT "v=DMARC1; p=quarantine"
z _dmarc.xn--bcher-kva.example 60 TXT "v=DMARC1; p=reject"
z _dmarc.none.test 60 TXT "v=DMARC1; p=none"
z _dmarc.strict.test 60 TXT "v=DMARC1; p=reject; adkim=s; aspf=s"
z _dmarc.parent.test 60 TXT "v=DMARC1; p=none; sp=quarantine; np=reject"
z sub.parent.test 60 A 192.0.2.99
z _dmarc.two.test 60 TXT "v=DMARC1; p=reject"
z _dmarc.two.test 60 TXT "v=DMARC1; p=none"
z _dmarc.mixed.test 60 TXT "google-site-verification=abcdef"
z _dmarc.mixed.test 60 TXT "v=DMARC1; p=reject"
z _dmarc.notfirst.test 60 TXT "p=reject; v=DMARC1"
z _dmarc.bogus.test 60 TXT "v=DMARC1; p=bogus; rua=mailto:r@bogus.test"
z _dmarc.bogusnorua.test 60 TXT "v=DMARC1; p=bogus"
z _dmarc.pct0.test 60 TXT "v=DMARC1; p=reject; pct=0"
z _dmarc.testing.test 60 TXT "v=DMARC1; p=reject; t=y"
big="v=DMARC1; p=reject; rua="
for i in $(seq 1 80); do big="${big}mailto:reports-$i@big.test,"; done
z _dmarc.big.test 60 TXT "${big%,}"
z _dmarc.walk.test 60 TXT "v=DMARC1; p=reject"
z _dmarc.mid.walk.test 60 TXT "v=DMARC1; p=quarantine"
z _dmarc.psdtld 60 TXT "v=DMARC1; p=reject; psd=y"
z _dmarc.h.g.f.e.d.c.b.walk8 60 TXT "v=DMARC1; p=none"
z _dmarc.g.f.e.d.c.b.walk8 60 TXT "v=DMARC1; p=reject"
z _dmarc.example.co.uk 60 TXT "v=DMARC1; p=reject; sp=quarantine"
z _dmarc.selfspf.test 60 TXT "v=DMARC1; p=reject"
z selfspf.test 60 TXT "v=spf1 ip4:192.0.2.10 -all"
z _dmarc.slow.test 60 TXT "v=DMARC1; p=reject"
dns_servfail broken.test
dns_start || bail_out "DNS fixture did not start"
[ "$(wc -c <<<"$big")" -gt 2000 ] || bail_out "big record too short"

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
# start_milter NAME EXTRA-CONFIG-LINES
start_milter() {
	local name=$1 extra=$2
	cat >"$T/$name.conf" <<CONF
Socket unix:$T/$name.sock
MilterEngine ${MK_MILTER_ENGINE:-own}
AuthservID mx.dmarc.test
TrustedAuthservIDs mx.trusted.test
RejectFailures yes
IgnoreAuthenticatedClients yes
IgnoreHosts 192.0.2.250
Resolver $DNS_RESOLVER
$extra
CONF
	"$milter" -f -c "$T/$name.conf" >"$T/$name.log" 2>&1 &
	mk_track_pid $!
	MILTER_PIDS="$MILTER_PIDS $!"
	mk_wait_unix "$T/$name.sock" 10 || { sed 's/^/# /' "$T/$name.log"; bail_out "$name did not start"; }
}

# run_cases INSTANCE: play the instance's cases, compare with cases.txt.
run_cases() {
	local inst=$1
	python3 "$here/mtgen.py" "$here/cases.txt" "$inst" "unix:$T/$inst.sock" >"$T/$inst.lua" ||
		bail_out "mtgen failed"
	miltertest -s "$T/$inst.lua" >"$T/$inst.out" 2>&1
	python3 - "$here/cases.txt" "$inst" "$T/$inst.out" <<'PY'
import sys
sys.path.insert(0, sys.argv[1].rsplit('/', 1)[0])
path, inst, out = sys.argv[1:4]
import importlib.util
spec = importlib.util.spec_from_file_location('mtgen', path.rsplit('/', 1)[0] + '/mtgen.py')
src = open(path.rsplit('/', 1)[0] + '/mtgen.py').read().replace('\nmain()\n', '\n')
ns = {}
exec(compile(src, 'mtgen.py', 'exec'), ns)
cases = [c for c in ns['parse'](path) if c['inst'] == inst]
import re
got, hdr = {}, {}
for line in open(out, encoding='utf-8', errors='replace'):
    if line.startswith('R|'):
        f = line.rstrip('\n').split('|', 5)
        got[f[1]] = f[2:]
    elif line.startswith('H|'):
        f = line.rstrip('\n').split('|', 2)
        hdr[f[1]] = f[2]
for c in cases:
    name = c['name']
    if name not in got:
        print('MISS|%s|no result (miltertest died?)' % name)
        continue
    reply, q, d, ar = got[name]
    want_ar = c['ar'].replace('\\n', '\\n').replace('\\t', '\\t')
    problems = []
    if reply != c['expect']:
        problems.append('reply %s, want %s' % (reply, c['expect']))
    if q != c['quarantine']:
        problems.append('quarantine %s, want %s' % (q, c['quarantine']))
    if d != c['deleted']:
        problems.append('deleted %s, want %s' % (d, c['deleted']))
    if c['expect'] != '550' or c['ar'] != '-':
        if ar != want_ar:
            problems.append('A-R "%s", want "%s"' % (ar, want_ar))
    if 'swhdr' in c:
        h = hdr.get(name, '(no H line)')
        if (c['swhdr'] == '-' and h != '-') or (c['swhdr'] != '-' and
                                                 not re.fullmatch(c['swhdr'], h)):
            problems.append('DMARC-Filter "%s", want "%s"' % (h, c['swhdr']))
    print('%s|%s|%s' % ('OK' if not problems else 'NOK', name, '; '.join(problems)))
PY
}

report() {	# read "OK|name|" lines into TAP
	local st name why
	while IFS='|' read -r st name why; do
		if [ "$st" = OK ]; then
			ok 0 "$1: $name"
		else
			ok 1 "$1: $name"
			diag "  $why"
		fi
	done
}

start_milter main ""
start_milter lax "RejectMultiValueFrom no
RejectFailures no
SPFSelfValidate yes
SoftwareHeader y"
start_milter psl "DMARCSpec 7489
PublicSuffixList /usr/share/publicsuffix/public_suffix_list.dat"
start_milter timeout "DNSTimeout 1"
start_milter nohold "HoldQuarantinedMessages false"
start_milter hold "HoldQuarantinedMessages true"
start_milter strict "RequiredHeaders yes
IgnoreMailFrom ignored.test, Skip.Example
SPFIgnoreResults yes
SPFSelfValidate yes"

start_milter arc "DomainWhitelist forwarder.example
DomainWhitelist lists.example.org
DomainWhitelistSize 3000
HistoryFile $T/arc.db"
for inst in main lax psl nohold hold strict arc; do
	run_cases "$inst" >"$T/$inst.res"
	report "$inst" <"$T/$inst.res"
	grep -q '^NOK\|^MISS' "$T/$inst.res" && { sed 's/^/# /' "$T/$inst.out" | tail -20; sed 's/^/# /' "$T/$inst.log" | tail -20; }
done

# reload: the same socket, three configurations
start_milter reload "RejectFailures no"
rpid=$!
reload_to() {	# reload_to CONFIG-LINE WANT-LOG-RE
	sed -i '$d' "$T/reload.conf"
	echo "$1" >>"$T/reload.conf"
	kill -USR1 "$rpid"
	mk_wait_for 10 grep -Eq "$2" "$T/reload.log"
}
ln -sf "$T/reload.sock" "$T/reload1.sock"; ln -sf "$T/reload.sock" "$T/reload2.sock"
ln -sf "$T/reload.sock" "$T/reload3.sock"
run_cases reload1 >"$T/reload1.res"; report reload <"$T/reload1.res"
reload_to "RejectFailures yes" "configuration reloaded"
ok $? "SIGUSR1: configuration reloaded (logged)"
run_cases reload2 >"$T/reload2.res"; report reload <"$T/reload2.res"
reload_to "RejectFailures maybe" "reload failed, keeping the old configuration: .*reload.conf:[0-9]+"
ok $? "SIGUSR1 with a bad value: refused, file:line logged"
run_cases reload3 >"$T/reload3.res"; report reload <"$T/reload3.res"

dns_pause
run_cases timeout >"$T/timeout.res"
dns_resume
report timeout <"$T/timeout.res"

n=$(grep -c '^case:' "$here/cases.txt")
[ "$tap_n" -eq $((n + 2)) ]
ok $? "every case of cases.txt ran ($((tap_n - 2)) of $n)"
# the milter logged one decision line per evaluated message, key=value
like "$(cat "$T/main.log")" 'from=reject.test dmarc=fail .*p=reject dis=reject' "decision logged"
like "$(cat "$T/main.log")" 'spf=none reason=' "missing SPF input logged"
like "$(cat "$T/arc.log")" 'from=reject.test arc=pass override=accept reason=DomainWhitelist' \
	"ARC override logged"
if command -v sqlite3 >/dev/null; then
	is "$(sqlite3 "$T/arc.db" "SELECT COUNT(*) FROM messages WHERE override = 'local_policy' AND disposition = 'none' AND result = 'fail'")" 1 \
		"ARC override: recorded in the history as local_policy, disposition none"
fi
stop_and_check_sanitizers "$T"/*.log
done_testing
