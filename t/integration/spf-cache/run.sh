#!/bin/bash
# mailaka-spf's answer cache respects DNS TTLs: after the records change, a
# 2-second record is looked up again once it expired, a 300-second one is
# still served from the cache, also while the DNS server does not answer.
. "$top_srcdir/t/lib.sh"
. "$top_srcdir/t/lib/dns.sh"
dns_require
COMMON=$top_srcdir/t/integration/spf-common
DAEMON=$top_builddir/policy-spf/mailaka-spf

dns_zone_add short.example.test 2 TXT "v=spf1 -all"
dns_zone_add long.example.test 300 TXT "v=spf1 -all"
dns_start 127.0.0.1 || bail_out "DNS server did not start"
SOCK=$T/spf.sock
cat >"$T/spf.conf" <<CONF
Socket = unix:$SOCK
Resolver = $DNS_RESOLVER
Lookup_Time = 1
HELO_reject = No_Check
Mail_From_reject = False
Cache_Size = 100
CONF
"$DAEMON" -c "$T/spf.conf" -f 2>"$T/spf.log" &
mk_track_pid $!
mk_wait_unix "$SOCK" || bail_out "daemon did not start"

res() {	# res SENDER -> SPF result from the Received-SPF header
	printf 'request=smtpd_access_policy\nclient_address=192.0.2.1\nhelo_name=h.example.test\nsender=%s\n' "$1" |
		python3 "$COMMON/client.py" "unix:$SOCK" | sed -n 's/^PREPEND Received-SPF: \([a-z]*\) .*/\1/p'
}
is "$(res a@short.example.test)" fail "short TTL: fail"
is "$(res a@long.example.test)" fail "long TTL: fail"

: >"$DNS_RECORDS"
dns_zone_add short.example.test 2 TXT "v=spf1 +all"
dns_zone_add long.example.test 300 TXT "v=spf1 +all"
dns_reload
is "$(res a@short.example.test)" fail "short TTL: still cached right after the change"
is "$(res a@long.example.test)" fail "long TTL: cached"
sleep 3
is "$(res a@short.example.test)" pass "short TTL: looked up again after it expired"
is "$(res a@long.example.test)" fail "long TTL: still cached"
dns_pause
is "$(res a@long.example.test)" fail "long TTL: served from the cache while DNS is down"
is "$(res a@other.example.test)" temperror "an uncached name while DNS is down: temperror"
dns_resume
done_testing
