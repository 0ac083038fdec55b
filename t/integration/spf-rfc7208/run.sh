#!/bin/bash
# Conformance: the openspf RFC 7208 test suite (203 tests; Debian's
# python3-spf ships it) through mailaka-spf's policy interface.  Each
# scenario's zone data is loaded into the real DNS fixture (unbound), the
# daemon resolves through it, and each test is a policy request; the SPF
# result is read from the Received-SPF header the daemon prepends (or the
# 550 5.7.23 reply for a fail, whose text is the exp= explanation).
# Asserts >= 200 of 203.  SPF_ENGINE=libspf2 measures that engine instead
# (reported, not asserted).
. "$top_srcdir/t/lib.sh"
. "$top_srcdir/t/lib/dns.sh"
dns_require

SUITE=/usr/share/doc/python3-spf/rfc7208-tests.yml.gz
if [ ! -r "$SUITE" ]; then
	# no /usr/share/doc (a minimal image): take it from the package
	if command -v apt-get >/dev/null && (cd "$T" && apt-get download python3-spf >/dev/null 2>&1); then
		dpkg-deb -x "$T"/python3-spf_*.deb "$T/deb" && SUITE=$T/deb$SUITE
	fi
fi
[ -r "$SUITE" ] || skip_all "RFC 7208 suite not found (package python3-spf)"
python3 -c 'import yaml' 2>/dev/null || skip_all "missing python3-yaml"

COMMON=$top_srcdir/t/integration/spf-common
DAEMON=$top_builddir/policy-spf/mailaka-spf
python3 "$COMMON/suite.py" "$SUITE" | python3 "$COMMON/suite_dns.py" "$T/scen"
ok $? "suite split into scenarios"

dns_start 127.0.0.1 || bail_out "DNS server did not start"
SOCK=$T/spf.sock
cat >"$T/spf.conf" <<CONF
Socket = unix:$SOCK
Resolver = $DNS_RESOLVER
Lookup_Time = 2
HELO_reject = No_Check
Mail_From_reject = Fail
skip_addresses = 255.255.255.255
Default_Explanation = DEFAULT
Engine = ${SPF_ENGINE:-native}
CONF

: >"$T/results.txt"
for d in $(ls "$T/scen" | sort -n); do
	cp "$T/scen/$d/records.conf" "$DNS_RECORDS"
	cp "$T/scen/$d/servfail.conf" "$DNS_DIR/servfail.conf"
	dns_reload || bail_out "DNS reload failed for scenario $d"
	# a fresh daemon per scenario: libunbound inside it keeps its own
	# cache (a SERVFAIL of the previous scenario's data must not leak)
	"$DAEMON" -c "$T/spf.conf" -f 2>>"$T/spf.log" &
	SPID=$!
	mk_track_pid $SPID
	mk_wait_unix "$SOCK" || { cat "$T/spf.log"; bail_out "daemon did not start"; }
	python3 "$COMMON/suite_run.py" "$SOCK" "$T/scen/$d/tests.txt" >>"$T/results.txt"
	kill -TERM $SPID
	wait $SPID
done
total=$(wc -l <"$T/results.txt")
passed=$(grep -c '^ok' "$T/results.txt")
grep '^notok' "$T/results.txt" | sed 's/^/# /'
is "$total" 203 "all 203 tests ran"
diag "RFC 7208 suite through the policy interface: $passed of $total pass"
if [ "${SPF_ENGINE:-native}" = native ]; then
	[ "$passed" -ge 200 ]
	ok $? "at least 200 of 203 pass ($passed)"
fi
grep -E 'ERROR: (Address|Leak)Sanitizer|runtime error' "$T/spf.log" && ok 1 "sanitizers quiet" || ok 0 "sanitizers quiet"
done_testing
