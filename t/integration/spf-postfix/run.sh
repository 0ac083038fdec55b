#!/usr/bin/env bash
# mailaka-spf behind a real Postfix (check_policy_service unix:...): Postfix
# on 127.0.0.2, mail sent by swaks from 127.0.0.5, relayed for dest.test to
# an smtp-sink on 127.0.0.3; SPF records served by the DNS fixture.
#   - a sender whose domain forbids 127.0.0.5 is rejected at RCPT with
#     550 5.7.23 and the domain's exp= explanation;
#   - an allowed sender is delivered with "Received-SPF: pass ...
#     identity=mailfrom" at the top of the header;
#   - one Received-SPF header per message even with two recipients.
. "$top_srcdir/t/lib.sh"
. "$top_srcdir/t/lib/dns.sh"
. "$top_srcdir/t/lib/postfix.sh"

dns_require
pf_require
mk_require swaks
DAEMON=$top_builddir/policy-spf/mailaka-spf
[ -x "$DAEMON" ] || bail_out "missing $DAEMON"
for a in 127.0.0.2 127.0.0.3 127.0.0.5; do
	mk_have_addr $a || skip_all "cannot bind $a"
done

dns_zone_add allowed.test 300 TXT "v=spf1 ip4:127.0.0.5 -all"
dns_zone_add forbidden.test 300 TXT "v=spf1 ip4:192.0.2.0/24 -all exp=why.%{d}"
dns_zone_add why.forbidden.test 300 TXT "%{i} is not a mail server of %{d}"
dns_zone_add client.test 300 TXT "v=spf1 ip4:127.0.0.5 -all"
dns_start
ok $? "DNS fixture on $DNS_RESOLVER" || bail_out "no DNS"

# --- mailaka-spf ---
D=$T/spf
mkdir -p "$D"
chmod 755 "$D"
SOCK=$D/spf.sock
cat >"$D/spf.conf" <<CONF
Socket = unix:$SOCK
SocketMode = 0600
SocketOwner = postfix
Resolver = $DNS_RESOLVER
skip_addresses = 127.0.0.1
Authserv_Id = mx.example.test
CONF
"$DAEMON" -c "$D/spf.conf" -f 2>"$D/spf.log" &
mk_track_pid $!
mk_wait_unix "$SOCK"
ok $? "mailaka-spf on unix:$SOCK" || bail_out "no daemon"
is "$(stat -c '%U %a' "$SOCK")" "postfix 600" "socket owned by postfix, mode 0600 (SocketOwner, SocketMode)"

# --- the sink: dest.test's MX ---
sink_start dest 127.0.0.3
ok $? "sink on 127.0.0.3:$SINK_PORT_dest" || bail_out "no sink"

# --- Postfix ---
pf_new mx 127.0.0.2
pf_set mx "myhostname = mx.example.test" "mynetworks = 127.0.0.2/32" \
	"relay_domains = dest.test" \
	"transport_maps = inline:{dest.test=smtp:[127.0.0.3]:$SINK_PORT_dest}" \
	"smtpd_relay_restrictions = permit_mynetworks, reject_unauth_destination" \
	"smtpd_recipient_restrictions = reject_unauth_destination, check_policy_service unix:$SOCK"
pf_start mx
ok $? "Postfix on 127.0.0.2:$PF_PORT_mx" || bail_out "no Postfix"

send() {	# send FROM TO... -> swaks transcript in $T/swaks.out
	local from=$1 to
	shift
	to=$(IFS=,; echo "$*")
	swaks --server 127.0.0.2:"$PF_PORT_mx" --local-interface 127.0.0.5 --helo client.test \
		--from "$from" --to "$to" --h-Subject "spf test" --body "test" >"$T/swaks.out" 2>&1
}

send bad@forbidden.test bob@dest.test
grep -q '<\*\* *550 5.7.23 .*127.0.0.5 is not a mail server of forbidden.test' "$T/swaks.out"
ok $? "forbidden sender rejected at RCPT: 550 5.7.23 with the explanation" ||
	sed 's/^/#   /' "$T/swaks.out"
! grep -q 'queued as' "$T/swaks.out"
ok $? "nothing queued for the forbidden sender"

send alice@allowed.test bob@dest.test carol@dest.test
grep -q '250 .*queued as' "$T/swaks.out"
ok $? "allowed sender accepted" || sed 's/^/#   /' "$T/swaks.out"
sink_wait dest 1 30
ok $? "message delivered to the sink"
msg=$(sink_msg dest 1)
# the trace headers Postfix put above the sender's own (before Subject:)
trace=$(sed -n '/^Subject:/q;/^[A-Za-z-]*:/p' "$msg" | tr -d '\r' | cut -d: -f1 | tr '\n' ' ')
like "$trace" 'Received-SPF .*Received |Received Received-SPF ' "Received-SPF added among Postfix's trace headers ($trace)"
like "$(grep '^Received-SPF:' "$msg")" '^Received-SPF: pass ' "Received-SPF: pass"
hdr=$(sed -n '/^Received-SPF:/{N;s/\r//g;s/\n[ \t]*/ /;p}' "$msg")
like "$hdr" 'client-ip=127.0.0.5; envelope-from="alice@allowed.test"; helo="client.test"; *identity=mailfrom' "header fields, identity=mailfrom"
is "$(grep -c '^Received-SPF:' "$msg")" 1 "one Received-SPF header for two recipients"
grep -q 'sender=alice@allowed.test identity=mailfrom result=pass action=prepend' "$D/spf.log"
ok $? "decision logged"
grep -E 'ERROR: (Address|Leak)Sanitizer|runtime error' "$D/spf.log" && ok 1 "sanitizers quiet" || ok 0 "sanitizers quiet"
done_testing
