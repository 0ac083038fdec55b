#!/bin/bash
# Engine = libspf2: the same daemon with libspf2 (worker threads, DNS
# through lib/dns and the same Resolver) instead of the native evaluator.
# On records where libspf2 follows RFC 7208 both engines must agree (a
# differential check through the policy interface); where it does not
# (void-lookup limit, a /0-style syntax case), the difference is shown.
. "$top_srcdir/t/lib.sh"
. "$top_srcdir/t/lib/dns.sh"
dns_require
COMMON=$top_srcdir/t/integration/spf-common
DAEMON=$top_builddir/policy-spf/mailaka-spf

Z=example.test
dns_zone_add pass.$Z 300 TXT "v=spf1 ip4:192.0.2.0/24 -all"
dns_zone_add soft.$Z 300 TXT "v=spf1 ~all"
dns_zone_add neutral.$Z 300 TXT "v=spf1 ?all"
dns_zone_add inc.$Z 300 TXT "v=spf1 include:pass.$Z -all"
dns_zone_add mx.$Z 300 TXT "v=spf1 mx -all"
dns_zone_add mx.$Z 300 MX 10 mail.mx.$Z.
dns_zone_add mail.mx.$Z 300 A 198.51.100.25
dns_zone_add v6.$Z 300 TXT "v=spf1 ip6:2001:db8::/32 -all"
dns_zone_add exp.$Z 300 TXT "v=spf1 -all exp=why.%{d}"
dns_zone_add why.exp.$Z 300 TXT "%{i} is not allowed"
dns_zone_add void.$Z 300 TXT "v=spf1 a:v1.$Z a:v2.$Z a:v3.$Z ?all"
dns_start 127.0.0.1 || bail_out "DNS server did not start"

start() {	# start NAME ENGINE
	cat >"$T/$1.conf" <<CONF
Socket = unix:$T/$1.sock
Resolver = $DNS_RESOLVER
Engine = $2
Engine_Threads = 4
HELO_reject = No_Check
Mail_From_reject = False
CONF
	"$DAEMON" -c "$T/$1.conf" -f 2>"$T/$1.log" &
	mk_track_pid $!
	eval "${1}_PID=$!"
	mk_wait_unix "$T/$1.sock" || { cat "$T/$1.log"; bail_out "daemon $1 did not start"; }
}
start native native
start l2 libspf2
ok 0 "native and libspf2 engines started"

res() {	# res NAME IP SENDER -> result from the header
	printf 'request=smtpd_access_policy\nclient_address=%s\nhelo_name=h.%s\nsender=%s\n' "$2" "$Z" "$3" |
		python3 "$COMMON/client.py" "unix:$T/$1.sock" | sed -n 's/^PREPEND Received-SPF: \([a-z]*\) .*/\1/p'
}
for c in "192.0.2.5 a@pass.$Z pass" "198.51.100.1 a@pass.$Z fail" "198.51.100.1 a@soft.$Z softfail" \
	"198.51.100.1 a@neutral.$Z neutral" "198.51.100.1 a@nxdomain.$Z none" \
	"192.0.2.9 a@inc.$Z pass" "198.51.100.25 a@mx.$Z pass" "198.51.100.26 a@mx.$Z fail" \
	"2001:db8::7 a@v6.$Z pass" "2001:db9::7 a@v6.$Z fail"; do
	set -- $c
	n=$(res native "$1" "$2")
	l=$(res l2 "$1" "$2")
	is "$n" "$3" "native: $2 from $1 is $3"
	is "$l" "$n" "libspf2 agrees: $2 from $1"
done
# exp= through libspf2 (Mail_From_reject = Fail on a reloaded config)
echo "Mail_From_reject = Fail" >>"$T/l2.conf"
kill -HUP $l2_PID
mk_wait_for 5 grep -q 'event=reload status=ok' "$T/l2.log"
act=$(printf 'request=smtpd_access_policy\nclient_address=198.51.100.3\nhelo_name=h\nsender=a@exp.%s\n' "$Z" |
	python3 "$COMMON/client.py" "unix:$T/l2.sock")
# (libspf2 1.2.10 turns the spaces of an explanation into '%': a departure)
like "$act" "^550 5.7.23 198.51.100.3.is.not.allowed\$" "libspf2: expanded exp= text in the reject"
diag "libspf2 reject: $act"
# a known libspf2 departure: no void-lookup limit (RFC 7208 4.6.4)
is "$(res native 192.0.2.1 a@void.$Z)" permerror "native: 3 void lookups -> permerror"
diag "libspf2 on 3 void lookups: $(res l2 192.0.2.1 a@void.$Z) (RFC 7208: permerror)"
# many requests at once through the worker threads, answered in order
{
	for i in 1 2 3 4 5 6 7 8; do
		printf 'request=smtpd_access_policy\nclient_address=192.0.2.%d\nhelo_name=h\nsender=a@pass.%s\n--\n' $i "$Z"
		printf 'request=smtpd_access_policy\nclient_address=198.51.100.%d\nhelo_name=h\nsender=a@pass.%s\n--\n' $i "$Z"
	done
} | python3 "$COMMON/client.py" "unix:$T/l2.sock" | sed -n 's/^PREPEND Received-SPF: \([a-z]*\) .*/\1/p;s/^550 .*/fail/p' | tr '\n' ' ' >"$T/order"
is "$(cat "$T/order")" "$(for i in 1 2 3 4 5 6 7 8; do printf 'pass fail '; done)" "16 pipelined requests in order"
kill -TERM $l2_PID
wait $l2_PID
is $? 0 "libspf2 engine: clean exit"
grep -E 'ERROR: (Address|Leak)Sanitizer|runtime error' "$T/l2.log" "$T/native.log" && ok 1 "sanitizers quiet" || ok 0 "sanitizers quiet"
done_testing
