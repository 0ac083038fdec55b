#!/usr/bin/env bash
# lib/dns against a real DNS server (the t/lib/dns.sh fixture: unbound on
# loopback), through the t/dnsq driver, with the sync API and the async
# libevent API: record parsing (multi-string TXT, two TXT RRs, MX order,
# A, AAAA, PTR), the distinct NXDOMAIN / NODATA / SERVFAIL / TIMEOUT
# statuses, example.test and 127.x reverse names (libunbound answers those
# zones itself unless told not to), large answers over TCP, concurrency,
# cancel, and freeing with queries pending.
# The server is a required peer here: if it cannot start, the test fails.
. "$top_srcdir/t/lib.sh"
. "$top_srcdir/t/lib/dns.sh"

DNSQ=$top_builddir/t/dnsq
[ -x "$DNSQ" ] || bail_out "missing $DNSQ (build it with make check)"
[ -x "$DNS_UNBOUND" ] || bail_out "missing $DNS_UNBOUND (Debian package unbound)"

long=$(printf 'k%.0s' $(seq 1 2000))	# one string > 255: split by the fixture
dns_zone_add example.test 300 TXT "v=spf1 " "ip4:127.0.0.1" " -all"
dns_zone_add two.example.test 300 TXT "first record"
dns_zone_add two.example.test 300 TXT "second" " record"
dns_zone_add esc.example.test 300 TXT 'quote" back\ tick'"'"' tab	end'
dns_zone_add long.example.test 300 TXT "v=DKIM1; p=$long"
# a label with octets that need escaping (SPF macros can build such names)
dns_rr 'odd\032name%\\x.example.test. 300 IN TXT "odd"'
dns_zone_add example.test 300 MX 30 MX3.Example.TEST.
dns_zone_add example.test 300 MX 10 mx1.example.test.
dns_zone_add example.test 300 MX 20 mx2.example.test.
dns_zone_add nullmx.example.test 300 MX 0 .
dns_zone_add example.test 300 A 127.0.0.10
dns_zone_add example.test 300 AAAA 2001:db8::10
dns_zone_add v4only.example.test 300 A 127.0.0.11
dns_zone_add "$("$DNSQ" -r 127.0.0.10)" 300 PTR mail.Example.test.
dns_zone_add "$("$DNSQ" -r 192.0.2.1)" 300 PTR doc.example.test.
dns_zone_add "$("$DNSQ" -r 2001:db8::10)" 300 PTR mail6.example.test.
dns_zone_add host.invalid 300 A 127.0.0.12
dns_zone_add example.com 300 A 127.0.0.13
dns_zone_add ttl0.example.test 0 A 127.0.0.15	# never cached
dns_servfail broken.example.test

dns_start
ok $? "DNS server started on $DNS_RESOLVER" || bail_out "no DNS server: $DNS_DIR"

# run OPTS... NAME TYPE: the driver's output; rc in $qrc
run() {
	local n=$(($# - 2))
	out=$("$DNSQ" "${@:1:n}" "$DNS_RESOLVER" "${@:n+1}" 2>&1)
	qrc=$?
}

# rr PREF TEXT: the driver's line for a record; TEXT as the driver prints
# it (\xHH escapes), the length computed from the bytes it stands for.
rr() {
	local raw
	raw=$(printf '%b' "$2")
	LC_ALL=C printf 'rr pref=%s len=%s text=%s\n' "$1" "${#raw}" "$2"
}

# check MODE NAME TYPE WANT_STATUS_LINE [RR...]: RR lines compared as a set
# unless the type is MX (sorted by preference: compared in order).
check() {
	local mode=$1 name=$2 type=$3 want=$4 got_rr want_rr label
	shift 4
	label=$([ -n "$mode" ] && echo async || echo sync)
	run $mode "$name" "$type"
	is "$qrc/$(head -1 <<<"$out")" "0/$want" "$label $name $type: $want" || diag "$out"
	got_rr=$(grep '^rr ' <<<"$out")
	want_rr=$(printf '%s\n' "$@" | sed '/^$/d')
	if [ "$type" != MX ]; then
		got_rr=$(sort <<<"$got_rr")
		want_rr=$(sort <<<"$want_rr")
	fi
	is "$got_rr" "$want_rr" "$label $name $type: records"
}

for mode in sync async; do
	m=$([ $mode = async ] && echo -a)
	check "$m" example.test TXT "status=ok ttl=300 count=1" \
		"$(rr 0 'v=spf1\x20ip4:127.0.0.1\x20-all')"
	check "$m" two.example.test TXT "status=ok ttl=300 count=2" \
		"$(rr 0 'first\x20record')" \
		"$(rr 0 'second\x20record')"
	check "$m" esc.example.test TXT "status=ok ttl=300 count=1" \
		"$(rr 0 'quote"\x20back\x5c\x20tick'\''\x20tab\x09end')"
	check "$m" long.example.test TXT "status=ok ttl=300 count=1" \
		"$(rr 0 "v=DKIM1;\\x20p=$long")"
	check "$m" example.test MX "status=ok ttl=300 count=3" \
		"$(rr 10 'mx1.example.test')" \
		"$(rr 20 'mx2.example.test')" \
		"$(rr 30 'mx3.example.test')"
	check "$m" nullmx.example.test MX "status=ok ttl=300 count=1" "$(rr 0 '')"
	check "$m" example.test A "status=ok ttl=300 count=1" "$(rr 0 '127.0.0.10')"
	check "$m" EXAMPLE.test. A "status=ok ttl=300 count=1" "$(rr 0 '127.0.0.10')"
	check "$m" example.test AAAA "status=ok ttl=300 count=1" "$(rr 0 '2001:db8::10')"
	check "$m" "$("$DNSQ" -r 127.0.0.10)" PTR "status=ok ttl=300 count=1" \
		"$(rr 0 'mail.example.test')"
	check "$m" "$("$DNSQ" -r 192.0.2.1)" PTR "status=ok ttl=300 count=1" \
		"$(rr 0 'doc.example.test')"
	check "$m" "$("$DNSQ" -r 2001:db8::10)" PTR "status=ok ttl=300 count=1" \
		"$(rr 0 'mail6.example.test')"
	check "$m" host.invalid A "status=ok ttl=300 count=1" "$(rr 0 '127.0.0.12')"
	check "$m" 'odd name%\x.example.test' TXT "status=ok ttl=300 count=1" "$(rr 0 'odd')"
	check "$m" example.com A "status=ok ttl=300 count=1" "$(rr 0 '127.0.0.13')"
	# NODATA: the name exists with other types; NXDOMAIN: it does not
	check "$m" v4only.example.test AAAA "status=nodata ttl=0 count=0"
	check "$m" example.test PTR "status=nodata ttl=0 count=0"
	check "$m" nx.example.test A "status=nxdomain ttl=0 count=0"
	check "$m" nx.example.test TXT "status=nxdomain ttl=0 count=0"
	# an empty non-terminal exists: NODATA
	check "$m" test A "status=nodata ttl=0 count=0"
	check "$m" x.broken.example.test TXT "status=servfail ttl=0 count=0"
	check "$m" "$(printf 'a%.0s' $(seq 1 64)).example.test" A "status=error ttl=0 count=0"

	# many queries at once: threads (sync) or one loop (async)
	run $m -n 200 example.test MX
	is "$qrc/$(head -1 <<<"$out")" "0/status=ok ttl=300 count=3" "$mode 200 concurrent queries agree"
done

# TTL and the negative TTL come from the answer (the fixture sets the
# server's negative TTL to 0, and its records' TTL as given)
dns_zone_add ttl.example.test 42 A 127.0.0.14
dns_reload
ok $? "fixture reload"
check "" ttl.example.test A "status=ok ttl=42 count=1" "$(rr 0 '127.0.0.14')"

# cancel: every third query cancelled at once, and each callback cancels
# the next one; a callback for a cancelled query fails the driver
run -a -x -n 300 example.test TXT
is "$qrc/$(grep -c '^cancelled=' <<<"$out")" "0/1" "async cancel: no callback after cancel" || diag "$out"
run -a -x -n 300 nx.example.test TXT
is "$qrc" 0 "async cancel (nxdomain): no callback after cancel" || diag "$out"
# free the context with queries in flight (leaks show under ASan)
run -a -F -n 100 example.test TXT
is "$qrc/$out" "0/freed-pending=100" "free with async queries pending"

# TIMEOUT: the server stopped with SIGSTOP answers nothing
dns_pause
for mode in sync async; do
	m=$([ $mode = async ] && echo -a)
	t0=$(date +%s%N)
	run $m -t 400 example.test A
	ms=$(( ($(date +%s%N) - t0) / 1000000 ))
	is "$qrc/$(head -1 <<<"$out")" "0/status=timeout ttl=0 count=0" "$mode paused server: timeout"
	[ "$ms" -ge 400 ] && [ "$ms" -lt 3000 ]
	ok $? "$mode timeout after ${ms} ms (want 400..3000)"
	run $m -t 300 -n 50 example.test MX
	is "$qrc/$(head -1 <<<"$out")" "0/status=timeout ttl=0 count=0" "$mode 50 concurrent timeouts"
done
run -a -x -t 300 -n 60 example.test TXT
is "$qrc" 0 "async cancel while timing out" || diag "$out"
run -a -F -n 20 example.test TXT
is "$qrc/$out" "0/freed-pending=20" "free with queries pending on a paused server"
dns_resume
run example.test A
is "$qrc/$(head -1 <<<"$out")" "0/status=ok ttl=300 count=1" "answers again after resume"

# Recovery in one long-lived context (a daemon): libunbound marks a
# server that timed out as down; it must ask it again once it is back.
dns_pause
"$DNSQ" -t 300 -R 15000 "$DNS_RESOLVER" ttl0.example.test A >"$T/recover.out" 2>&1 &
rpid=$!
mk_track_pid $rpid
mk_wait_for 5 grep -q timeout "$T/recover.out"
ok $? "recovery: queries time out while the server is stopped"
sleep 1		# let it see more failures (libunbound backs off)
dns_resume
t0=$(date +%s%N)
wait $rpid
ms=$(( ($(date +%s%N) - t0) / 1000000 ))
is "$(tail -1 "$T/recover.out" | cut -d' ' -f2)" ok "recovery: answers again in the same context (${ms} ms after resume)" ||
	diag "$(cat "$T/recover.out")"

# SIGHUP-free restart on the same port
dns_restart
ok $? "fixture restart"
run example.test A
is "$qrc/$(head -1 <<<"$out")" "0/status=ok ttl=300 count=1" "answers after restart"

# A stopped server is not a pass: queries time out (or fail), never "ok"
dns_stop
run -t 300 example.test A
like "$(head -1 <<<"$out")" '^status=(timeout|servfail)' "stopped server: no answer"

done_testing
