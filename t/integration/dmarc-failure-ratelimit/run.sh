#!/bin/bash
# t/integration/dmarc-failure-ratelimit: failure reports are rate limited,
# so a flood of spoofed mail does not become a flood of reports.
#   - FailureReportsRateLimit (per ruf address), ...DomainRateLimit (per
#     policy domain) and ...GlobalRateLimit (all reports) each stop
#     reports once reached, and a drop does not count against the others;
#   - the first drop of a window is logged once, naming the limit; the
#     rest are counted and logged with the count at shutdown;
#   - with the default limits (10/1h per ruf address), 30 spoofed
#     messages give exactly 10 reports, and every message is still rejected;
#   - at most 16 reports are in flight: with a relay that never answers,
#     the rest are dropped, logged once, counted at the next report sent;
#   - a bad rate value is a configuration error naming file:line.
# Reports go by SMTP to Postfix's smtp-sink; DNS from the DNS fixture.
. "$top_srcdir/t/lib.sh"
. "$top_srcdir/t/lib/dns.sh"
. "$top_srcdir/t/lib/postfix.sh"

mtgen=$top_srcdir/t/integration/dmarc-milter/mtgen.py
milter=$top_builddir/milter-dmarc/mailaka-dmarc
mk_require miltertest python3 smtp-sink "$milter"
dns_require

dns_zone_add _dmarc.a.test 60 TXT "v=DMARC1; p=reject; ruf=mailto:ruf@a.test"
dns_zone_add _dmarc.b.test 60 TXT "v=DMARC1; p=reject; ruf=mailto:r1@b.test,mailto:r2@b.test"
dns_zone_add _dmarc.c.test 60 TXT "v=DMARC1; p=reject; ruf=mailto:ruf@c.test"
dns_zone_add _dmarc.flood.test 60 TXT "v=DMARC1; p=reject; ruf=mailto:ruf@flood.test"
dns_zone_add _dmarc.slow.test 60 TXT "v=DMARC1; p=reject; ruf=mailto:ruf@slow.test"
dns_start || bail_out "DNS fixture did not start"

sink_start lim 127.0.0.1 || bail_out "smtp-sink did not start"
sink_start flood 127.0.0.1 || bail_out "smtp-sink did not start"

start_milter() {	# start_milter NAME SINK-PORT EXTRA-CONFIG
	cat >"$T/$1.conf" <<CONF
Socket unix:$T/$1.sock
MilterEngine ${MK_MILTER_ENGINE:-own}
AuthservID mx.dmarc.test
RejectFailures yes
IgnoreHosts 192.0.2.250
Resolver $DNS_RESOLVER
FailureReports yes
FailureReportsRelay 127.0.0.1:$2
FailureReportsSentBy dmarc-reports@mx.dmarc.test
$3
CONF
	"$milter" -f -c "$T/$1.conf" >"$T/$1.log" 2>&1 &
	mk_track_pid $!
	eval "PID_$1=\$!"
	mk_wait_unix "$T/$1.sock" 10 || bail_out "milter $1 did not start"
}
stop_milter() {	# stop_milter NAME: SIGTERM, wait (the drop counts are logged at exit)
	local pid
	eval "pid=\$PID_$1"
	kill -TERM "$pid" 2>/dev/null
	wait "$pid" 2>/dev/null
}
spoof() {	# spoof DOMAIN N: N case lines of spoofed, unsigned mail
	local i
	for ((i = 1; i <= $2; i++)); do
		printf 'case: %s spoof %d\nip: 192.0.2.9\nfrom: <x@evil.test>\nhdr: From: u@%s\nhdr: Subject: spoof %d\n' \
			"$1" "$i" "$1" "$i"
	done
}

# ---- three limits -----------------------------------------------------
start_milter lim "$SINK_PORT_lim" "FailureReportsRateLimit 2/1h
FailureReportsDomainRateLimit 3/1h
FailureReportsGlobalRateLimit 6/1h"
# a.test: 4 messages -> 2 reports, 2 dropped by the ruf limit;
# b.test: 2 messages x 2 ruf -> 3 reports (domain limit), 1 dropped;
# c.test: 2 messages -> the 6th report of all, then the global cap.
{ spoof a.test 4; spoof b.test 2; spoof c.test 2; } >"$T/lim.cases"
python3 "$mtgen" "$T/lim.cases" main "unix:$T/lim.sock" >"$T/lim.lua"
miltertest -s "$T/lim.lua" >"$T/lim.out" 2>&1
is "$(grep -c '^R|.*|550|' "$T/lim.out")" 8 "eight spoofed messages rejected (limits do not touch the verdict)"
sink_wait lim 6 15
sleep 1
is "$(sink_count lim)" 6 "six reports submitted: the global cap"
grep -h '^To: ' "$T"/sink-lim/* 2>/dev/null | tr -d '\r' | sort | uniq -c | awk '{print $3 "=" $1}' | paste -sd' ' >"$T/lim.to"
is "$(cat "$T/lim.to")" "r1@b.test=2 r2@b.test=1 ruf@a.test=2 ruf@c.test=1" \
	"per address: a.test 2 (ruf limit), b.test 2+1 (domain limit), c.test 1 (global)"
log=$(cat "$T/lim.log")
is "$(grep -c 'failure_report=ruf@a.test status=rate-limited limit=FailureReportsRateLimit window=ruf:ruf@a.test rate=2/3600' <<<"$log")" 1 \
	"ruf limit: the first drop logged once (two drops)"
is "$(grep -c 'failure_report=r2@b.test status=rate-limited limit=FailureReportsDomainRateLimit window=domain:b.test rate=3/3600' <<<"$log")" 1 \
	"domain limit: the drop logged, naming the limit"
is "$(grep -c 'failure_report=ruf@c.test status=rate-limited limit=FailureReportsGlobalRateLimit window=global rate=6/3600' <<<"$log")" 1 \
	"global limit: the drop logged, naming the limit"
is "$(grep -c 'failure_report=.* status=sent' <<<"$log")" 6 "six sends logged"
stop_milter lim
log=$(cat "$T/lim.log")
like "$log" "failure_reports_dropped=2 window=ruf:ruf@a.test limit=FailureReportsRateLimit rate=2/3600" \
	"at shutdown: the ruf window's drop count"
like "$log" "failure_reports_dropped=1 window=domain:b.test limit=FailureReportsDomainRateLimit" \
	"at shutdown: the domain window's drop count"
like "$log" "failure_reports_dropped=1 window=global limit=FailureReportsGlobalRateLimit" \
	"at shutdown: the global window's drop count"

# ---- a flood with the defaults ------------------------------------------
start_milter flood "$SINK_PORT_flood" ""
spoof flood.test 30 >"$T/flood.cases"
python3 "$mtgen" "$T/flood.cases" main "unix:$T/flood.sock" >"$T/flood.lua"
miltertest -s "$T/flood.lua" >"$T/flood.out" 2>&1
is "$(grep -c '^R|.*|550|' "$T/flood.out")" 30 "flood: all 30 spoofed messages rejected"
sink_wait flood 10 20
sleep 1
is "$(sink_count flood)" 10 "flood: 10 reports (default FailureReportsRateLimit 10/1h)"
is "$(grep -c 'status=rate-limited' "$T/flood.log")" 1 "flood: 20 drops, one log line"
stop_milter flood
like "$(cat "$T/flood.log")" "failure_reports_dropped=20 window=ruf:ruf@flood.test limit=FailureReportsRateLimit rate=10/3600" \
	"flood: the 20 drops counted at shutdown"

# ---- capacity: at most 16 reports in flight ---------------------------------
# a relay that accepts and says nothing for 6 s: 20 reports (no rate limits)
# -> 16 in flight, 4 dropped (logged once); after the relay let go, the next
# report sent logs the 4 earlier drops.
sport=$(mk_free_port 127.0.0.1)
/usr/bin/python3 - "$sport" >"$T/slow.log" 2>&1 <<'PY' &
import socket, sys, threading, time
s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
s.bind(('127.0.0.1', int(sys.argv[1])))
s.listen(64)
def hold(c):
    time.sleep(6)
    c.close()
while True:
    c, _ = s.accept()
    print('conn', flush=True)
    threading.Thread(target=hold, args=(c,), daemon=True).start()
PY
mk_track_pid $!
mk_wait_port 127.0.0.1 "$sport" 10 || bail_out "slow relay did not start"
start_milter slow "$sport" "FailureReportsRateLimit 0
FailureReportsDomainRateLimit 0
FailureReportsGlobalRateLimit none"
spoof slow.test 20 >"$T/slow.cases"
python3 "$mtgen" "$T/slow.cases" main "unix:$T/slow.sock" >"$T/slow.lua"
miltertest -s "$T/slow.lua" >"$T/slow.out" 2>&1
is "$(grep -c '^R|.*|550|' "$T/slow.out")" 20 "capacity: all 20 messages rejected, the milter not held up"
slow_failed() { [ "$(grep -c 'failure_report=ruf@slow.test status=failed' "$T/slow.log")" -ge 16 ]; }
mk_wait_for 30 slow_failed
is "$(grep -c 'failure_report=ruf@slow.test status=failed' "$T/slow.log")" 16 \
	"capacity: 16 reports were in flight (the relay never answered)"
is "$(grep -c 'status=dropped why="too many reports in flight"' "$T/slow.log")" 1 \
	"capacity: the first drop logged once"
spoof slow.test 1 >"$T/slow2.cases"
python3 "$mtgen" "$T/slow2.cases" main "unix:$T/slow.sock" >"$T/slow2.lua"
miltertest -s "$T/slow2.lua" >>"$T/slow.out" 2>&1
like "$(cat "$T/slow.log")" 'failure_reports_dropped=4 why="capacity' \
	"capacity: the next report sent logs the 4 earlier drops"
stop_milter slow

# ---- configuration --------------------------------------------------------
for v in "10" "ten/1h" "10/0" "10/1fortnight"; do
	printf 'Socket unix:%s/x.sock\nFailureReportsRateLimit %s\n' "$T" "$v" >"$T/bad.conf"
	out=$("$milter" -n -c "$T/bad.conf" 2>&1)
	[ $? -ne 0 ]
	ok $? "FailureReportsRateLimit $v: refused"
	like "$out" "bad.conf:2: .*rate|bad.conf:2: .*interval" "FailureReportsRateLimit $v: error names file:line"
done
printf 'Socket unix:%s/x.sock\nFailureReportsGlobalRateLimit 0\nFailureReportsRateLimit 3/30m\n' "$T" >"$T/good.conf"
out=$("$milter" -n -c "$T/good.conf" 2>&1)
ok $? "0 (no limit) and 3/30m accepted" || diag "$out"

if grep -E 'ERROR: (Address|Leak)Sanitizer|runtime error' "$T/lim.log" "$T/flood.log" "$T/slow.log" >"$T/san.txt"; then
	ok 1 "sanitizers quiet"
	sed 's/^/#   /' "$T/san.txt" | head -20
else
	ok 0 "sanitizers quiet"
fi
done_testing
