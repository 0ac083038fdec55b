#!/bin/bash
# policyd-spf's whitelists (and Reject_Not_Pass_Domains, Void_Limit,
# TestOnly, HELO/Mail_From_pass_restriction) in mailaka-spf, side by side with the real
# policyd-spf (postfix-policyd-spf-python 3.0.4, t/integration/spf-common/
# policyd_spf_run.py) on the same requests and the same DNS fixture:
#   Domain_Whitelist      the client passes SPF for a listed domain
#   HELO_Whitelist        the listed HELO name resolves to the client
#   Domain_Whitelist_PTR  a validated PTR name under a listed domain
#   Whitelist, skip_addresses: IP lists
# Each skip prepends policyd-spf's X-Comment trace header (or an
# Authentication-Results "none" with Header_Type = AR); the answers must be
# the same action with the same header.  Where mailaka-spf is stricter on
# purpose (unvalidated or non-label-boundary PTR names, which policyd-spf
# 3.0.4 accepts although its manual says RFC 7208 ptr rules), only
# mailaka-spf's answer is asserted and policyd-spf's is shown.
. "$top_srcdir/t/lib.sh"
. "$top_srcdir/t/lib/dns.sh"
dns_require
mk_require /usr/bin/python3
/usr/bin/python3 -c 'import spf, dns.resolver, spf_engine.policyd_spf' 2>/dev/null ||
	skip_all "python3-spf / postfix-policyd-spf-python missing"

COMMON=$top_srcdir/t/integration/spf-common
DAEMON=$top_builddir/policy-spf/mailaka-spf
[ -x "$DAEMON" ] || bail_out "no $DAEMON"

dns_zone_add victim.test 300 TXT "v=spf1 -all"
dns_zone_add fwd.test 300 TXT "v=spf1 ip4:203.0.113.0/28 -all"
dns_zone_add other.test 300 TXT "v=spf1 include:inc.other.test -all"
dns_zone_add inc.other.test 300 TXT "v=spf1 ip4:203.0.113.64/28 -all"
dns_servfail broken.test
dns_zone_add relay.helo.test 300 A 198.51.100.20
dns_zone_add 30.100.51.198.in-addr.arpa 300 PTR mx1.ptrfwd.test.
dns_zone_add mx1.ptrfwd.test 300 A 198.51.100.30
dns_zone_add 31.100.51.198.in-addr.arpa 300 PTR mx2.ptrfwd.test.
dns_zone_add mx2.ptrfwd.test 300 A 198.51.100.99
dns_zone_add 32.100.51.198.in-addr.arpa 300 PTR mx.evilptrfwd.test.
dns_zone_add mx.evilptrfwd.test 300 A 198.51.100.32
dns_zone_add pass.test 300 TXT "v=spf1 ip4:203.0.113.200 -all"
dns_zone_add soft.test 300 TXT "v=spf1 ~all"
dns_zone_add void.test 300 TXT "v=spf1 a:v1.void.test a:v2.void.test a:v3.void.test ~all"
dns_start 127.0.0.1 || bail_out "DNS server did not start"

# The same file for both daemons (policyd-spf: no spaces in lists); its
# skip_addresses default would skip loopback only, so name a test address.
common="HELO_reject = Fail
Mail_From_reject = Fail
skip_addresses = 192.0.2.250/32
Whitelist = 198.51.100.77
Domain_Whitelist = broken.test,fwd.test,other.test
HELO_Whitelist = relay.helo.test
Domain_Whitelist_PTR = ptrfwd.test
Reject_Not_Pass_Domains = soft.test
HELO_pass_restriction = helo_passed_spf
Mail_From_pass_restriction = mfrom_passed_spf"
printf '%s\nHide_Receiver = Yes\n' "$common" >"$T/a.conf"
printf '%s\nHide_Receiver = No\nHeader_Type = AR\nAuthserv_Id = mx.test\nTestOnly = 0\nVoid_Limit = 3\n' \
	"$common" >"$T/b.conf"
for x in a b; do
	cp "$T/$x.conf" "$T/$x-mk.conf"
	printf 'Resolver = %s\nLookup_Time = 2\nSocket = unix:%s\n' "$DNS_RESOLVER" "$T/$x.sock" >>"$T/$x-mk.conf"
	"$DAEMON" -c "$T/$x-mk.conf" -f 2>"$T/$x.log" &
	mk_track_pid $!
	mk_wait_unix "$T/$x.sock" || { cat "$T/$x.log"; bail_out "mailaka-spf ($x) did not start"; }
done

req() {	# req IP SENDER HELO [INSTANCE]
	printf 'request=smtpd_access_policy\nprotocol_state=RCPT\nprotocol_name=ESMTP\n'
	printf 'client_address=%s\nclient_name=unknown\nhelo_name=%s\nsender=%s\n' "$1" "$3" "$2"
	printf 'recipient=Bob@Dest.Example\ninstance=%s\nqueue_id=\n' "${4:-$RANDOM.$RANDOM}"
}
mk() {	# mk CONF-LETTER < requests -> one action per line
	python3 "$COMMON/client.py" "unix:$T/$1.sock"
}
py() {	# the real policyd-spf, same config, same DNS
	{ sed 's/^--$//'; echo; } | /usr/bin/python3 "$COMMON/policyd_spf_run.py" "$DNS_ADDR" "$DNS_PORT" \
		"$T/$1.conf" 2>>"$T/py.err" | sed -n 's/^action=//p'
}
# Same action: verb case-insensitive; for a reject only the SMTP code and
# enhanced status (the texts differ by design: see policy-spf/README-spf.md).
norm() {
	case $1 in
	[Pp][Rr][Ee][Pp][Ee][Nn][Dd]\ *) echo "PREPEND ${1#* }" ;;
	[0-9][0-9][0-9]\ *) echo "$1" | cut -d' ' -f1-2 ;;
	*) echo "$1" | tr a-z A-Z ;;
	esac
}

# name|conf|ip|sender|helo|want (an ERE on mailaka-spf's action)
X='PREPEND X-Comment: SPF skipped for'
AR='PREPEND Authentication-Results: mx\.test; none \(SPF skipped for'
while IFS='|' read -r name cf ip sender helo want; do
	[ -n "$name" ] || continue
	m=$(req "$ip" "$sender" "$helo" | mk "$cf")
	p=$(req "$ip" "$sender" "$helo" | py "$cf")
	like "$m" "$want" "$name: mailaka-spf" || diag "mailaka-spf: $m"
	is "$(norm "$m")" "$(norm "$p")" "$name: policyd-spf agrees" || diag "policyd-spf: $p"
done <<CASES
domain-wl|a|203.0.113.5|a@victim.test|h.x.test|^$X whitelisted relay domain - client-ip=203\.0\.113\.5; helo=h\.x\.test; envelope-from=a@victim\.test; receiver=<UNKNOWN> \$
domain-wl-include|a|203.0.113.70|a@victim.test|h.x.test|^$X whitelisted relay domain - client-ip=203\.0\.113\.70;
domain-wl-null-sender|a|203.0.113.5||H.X.test|^$X whitelisted relay domain - client-ip=203\.0\.113\.5; helo=h\.x\.test; envelope-from=; receiver
not-whitelisted|a|203.0.113.200|a@victim.test|h.x.test|^550 5\.7\.23
sender-domain-listed-is-not-a-whitelist|a|192.0.2.99|a@fwd.test|h.x.test|^550 5\.7\.23
helo-wl|a|198.51.100.20|a@victim.test|Relay.HELO.test|^$X whitelisted HELO domain - client-ip=198\.51\.100\.20; helo=relay\.helo\.test;
helo-wl-other-ip|a|198.51.100.21|a@victim.test|relay.helo.test|^550 5\.7\.23
ptr-wl|a|198.51.100.30|a@victim.test|h.x.test|^$X PTR whitelisted relay domain - client-ip=198\.51\.100\.30;
ip-wl|a|198.51.100.77|a@victim.test|h.x.test|^$X whitelisted relay - client-ip=198\.51\.100\.77;
skip-addresses|a|192.0.2.250|a@victim.test|h.x.test|^PREPEND X-Comment: SPF check N/A for local connections - client-ip=192\.0\.2\.250;
ar-domain-wl|b|203.0.113.6|a@victim.test|h.x.test|^$AR whitelisted relay domain -  client-ip=203\.0\.113\.6; helo=h\.x\.test; envelope-from=a@victim\.test; receiver=dest\.example\)\$
ar-ptr-wl|b|198.51.100.30|a@victim.test|h.x.test|^$AR PTR whitelisted relay domain -  client-ip=198\.51\.100\.30;
reject-not-pass-domains|a|203.0.113.200|a@soft.test|h.x.test|^550 5\.7\.23 SPF softfail
mfrom-pass-restriction|a|203.0.113.200|a@pass.test|h.x.test|^mfrom_passed_spf\$
helo-pass-restriction-beats-mfrom-reject|a|203.0.113.200|a@victim.test|pass.test|^helo_passed_spf\$
helo-pass-restriction-null-sender|a|203.0.113.200||pass.test|^helo_passed_spf\$
helo-fail-no-restriction|a|203.0.113.201|a@pass.test|pass.test|^550 5\.7\.23
testonly-restriction|b|203.0.113.200|a@pass.test|h.x.test|^DUNNO\$
testonly-no-reject|b|203.0.113.200|a@victim.test|h.x.test|^DUNNO\$
CASES

# Deliberately stricter than policyd-spf 3.0.4 (which takes the first PTR
# name unvalidated and matches it as a string suffix): RFC 7208 5.5
# validated names, equal to or under the listed domain.
for c in "ptr-unvalidated 198.51.100.31" "ptr-not-a-subdomain 198.51.100.32"; do
	set -- $c
	m=$(req "$2" a@victim.test h.x.test | mk a)
	p=$(req "$2" a@victim.test h.x.test | py a)
	like "$m" "^550 5.7.23" "$1: not whitelisted by mailaka-spf"
	diag "policyd-spf 3.0.4 answers: $p"
done

# Void_Limit: 3 void lookups are a permerror with the default 2, not with 3
spf_word() {	# the SPF result in a Received-SPF or Authentication-Results header
	echo "$1" | sed -n -e 's/^[Pp][Rr][Ee][Pp][Ee][Nn][Dd] Received-SPF: \([A-Za-z]*\).*/\1/p' \
		-e 's/^[Pp][Rr][Ee][Pp][Ee][Nn][Dd] Authentication-Results: [^;]*; spf=\([a-z]*\).*/\1/p' |
		tr A-Z a-z
}
for c in "a permerror" "b softfail"; do
	set -- $c
	m=$(req 203.0.113.200 a@void.test h.x.test | mk $1)
	p=$(req 203.0.113.200 a@void.test h.x.test | py $1)
	is "$(spf_word "$m")" "$2" "Void_Limit ($1): 3 void lookups give $2" || diag "$m"
	is "$(spf_word "$m")" "$(spf_word "$p")" "Void_Limit ($1): policyd-spf agrees" || diag "$p"
done

# several recipients of one message (same instance): the trace header once
m=$( { req 203.0.113.5 a@victim.test h.x.test 42.1; echo --; req 203.0.113.5 a@victim.test h.x.test 42.1; } | mk a | tr '\n' '|')
p=$( { req 203.0.113.5 a@victim.test h.x.test 42.1; echo --; req 203.0.113.5 a@victim.test h.x.test 42.1; } | py a | tr '\n' '|')
like "$m" "^PREPEND X-Comment: .*\\|DUNNO\\|\$" "second recipient: DUNNO"
is "$(echo "$m" | tr a-z A-Z)" "$(echo "$p" | tr a-z A-Z)" "second recipient: policyd-spf agrees"

like "$(cat "$T/a.log")" "Domain_Whitelist fwd.test" "the decision log names the whitelist and the domain"
grep -E 'ERROR: (Address|Leak)Sanitizer|runtime error' "$T/a.log" "$T/b.log" && ok 1 "sanitizers quiet" || ok 0 "sanitizers quiet"
done_testing
