#!/usr/bin/env bash
# mailaka-forward through a real Postfix (the forwarding host mx.example.test:
# master.cf binds smtpd to 127.0.0.2 and smtp_bind_address is 127.0.0.2;
# inet_interfaces stays 127.0.0.1, which Postfix accepts without extra
# addresses on lo) using socketmap for virtual_alias_maps (alias),
# sender_canonical_maps (forward) and recipient_canonical_maps (reverse):
#   - mail to anything@example.test (catch-all "*: i", "i: box@gmail.test")
#     arrives at the Gmail-like sink (127.0.0.3) with an SRS envelope sender;
#     python3-spf, resolving through the DNS fixture, says pass for that
#     sender from 127.0.0.2 (and fail for the unrewritten one: why SRS);
#   - the From header is untouched (envelope only);
#   - a bounce (MAIL FROM:<>) to the SRS address is delivered back to the
#     original sender's host (127.0.0.4); a forged bounce is rejected;
#   - exact alias before catch-all; several targets (both hosts get a copy);
#     a local sender is not rewritten; no open relay.
. "$top_srcdir/t/lib.sh"
. "$top_srcdir/t/lib/dns.sh"
. "$top_srcdir/t/lib/postfix.sh"
. "$top_srcdir/t/integration/forward-common/lib.sh"

fwd_postfix_require

dns_zone_add example.test 300 TXT "v=spf1 ip4:127.0.0.2 -all"
dns_zone_add orig.test 300 TXT "v=spf1 ip4:127.0.0.1 -all"
dns_start
ok $? "DNS fixture on $DNS_RESOLVER" || bail_out "no DNS"

# --- mailaka-forward ---
D=$T/fwd
mkdir -p "$D/aliases/example.test"
chmod 755 "$D" "$D/aliases"
fwd_secret "$D/secrets" "$(head -c 24 /dev/urandom | base64)"
cat >"$D/aliases/example.test/aliases" <<'EOF'
*: i
i: box@gmail.test
postmaster: admin@gmail.test
team: box@gmail.test, carol@orig.test
EOF
cat >"$D/forward.conf" <<EOF
Socket unix:$D/fwd.sock
SRSDomain example.test
SRSSecrets $D/secrets
LocalDomains example.test
AliasesDir $D/aliases
EOF
fwd_start "$D/forward.conf"
ok $? "mailaka-forward started" || bail_out "no daemon"

# --- two sinks: the Gmail-like host and the original sender's host ---
sink_start gmail 127.0.0.3 && sink_start orig 127.0.0.4
ok $? "sinks on 127.0.0.3 (gmail.test) and 127.0.0.4 (orig.test)" || bail_out "no sink"

# --- Postfix: the forwarding host ---
S=$D/fwd.sock
pf_new mx 127.0.0.2
pf_set mx "myhostname = mx.example.test" "mydomain = example.test" \
	"myorigin = example.test" "mynetworks = 127.0.0.2/32" \
	"virtual_alias_domains = example.test" \
	"virtual_alias_maps = socketmap:unix:$S:alias" \
	"sender_canonical_maps = socketmap:unix:$S:forward" \
	"sender_canonical_classes = envelope_sender" \
	"recipient_canonical_maps = socketmap:unix:$S:reverse" \
	"recipient_canonical_classes = envelope_recipient, header_recipient" \
	"transport_maps = inline:{gmail.test=smtp:[127.0.0.3]:$SINK_PORT_gmail, orig.test=smtp:[127.0.0.4]:$SINK_PORT_orig}" \
	"smtpd_relay_restrictions = permit_mynetworks, reject_unauth_destination"
pf_start mx
ok $? "Postfix on 127.0.0.2:$PF_PORT_mx" || bail_out "no Postfix"

wait_sink() { sink_wait "$1" "$2" 30; }
nth() { sink_file "$1" "$2"; }
hdr() { sed -n "s/^$2: //p" "$1" | head -1; }
rcpt() { hdr "$1" X-Rcpt-Args | cut -d' ' -f1; }	# without ORCPT=
send() {	# send FROM TO SUBJECT -> swaks transcript in $T/swaks.out
	swaks --server 127.0.0.2:"$PF_PORT_mx" --from "$1" --to "$2" --h-From "<$1>" \
		--h-Subject "$3" --body "test $3" >"$T/swaks.out" 2>&1
}

# 1. catch-all forward with SRS
send alice@orig.test anything@example.test catchall
ok $? "swaks: Postfix accepts mail for anything@example.test"
wait_sink gmail 1
ok $? "message arrived at the gmail.test sink" || { tail -20 "$(pf_log mx)" | sed 's/^/#   /'; }
m=$(nth gmail 1)
from=$(hdr "$m" X-Mail-Args | tr -d '<>')
like "$from" '^SRS0=[A-Za-z0-9+/]{4}=[A-Z2-7]{2}=orig\.test=alice@example\.test$' "envelope sender is SRS: $from"
is "$(rcpt "$m")" "<box@gmail.test>" "envelope recipient is the catch-all target"
is "$(hdr "$m" X-Client-Addr)" "127.0.0.2" "relayed by the forwarding host"
is "$(hdr "$m" From)" "<alice@orig.test>" "From header untouched"
spf=$(/usr/bin/python3 "$FWD_COMMON/spf_check.py" "$DNS_ADDR" "$DNS_PORT" 127.0.0.2 "$from" mx.example.test 2>&1)
is "$spf" "pass" "python3-spf: SRS sender passes SPF from 127.0.0.2"
spf=$(/usr/bin/python3 "$FWD_COMMON/spf_check.py" "$DNS_ADDR" "$DNS_PORT" 127.0.0.2 alice@orig.test mx.example.test 2>&1)
is "$spf" "fail" "python3-spf: the original sender would fail (why SRS)"

# 2. bounce to the SRS address goes back to the original sender
send '<>' "$from" bounce
ok $? "swaks: bounce to the SRS address accepted"
wait_sink orig 1
ok $? "bounce arrived at the orig.test host" || { tail -20 "$(pf_log mx)" | sed 's/^/#   /'; }
b=$(nth orig 1)
is "$(rcpt "$b")" "<alice@orig.test>" "bounce recipient is the original sender"
is "$(hdr "$b" X-Mail-Args)" "<>" "bounce keeps the null sender"

# 3. forged bounce: tampered SRS address is rejected
forged=$(echo "$from" | sed 's/=alice@/=mallory@/')
send '<>' "$forged" forged
ok "$([ $? -ne 0 ] && echo 0 || echo 1)" "forged bounce refused"
grep -q '^<\*\* 550 .*User unknown in virtual alias table' "$T/swaks.out"
ok $? "  with 550 user unknown"

# 4. exact alias, several targets, local sender
send bob@example.test postmaster@example.test exact
wait_sink gmail 2
m=$(grep -l '^Subject: exact' "$T"/sink-gmail/* | head -1)
is "$(rcpt "$m")" "<admin@gmail.test>" "exact alias before the catch-all"
is "$(hdr "$m" X-Mail-Args)" "<bob@example.test>" "local sender not rewritten"
send dave@orig.test team@example.test team
wait_sink gmail 3 && wait_sink orig 2
ok $? "several targets: a copy on each host"
m=$(grep -l '^Subject: team' "$T"/sink-orig/* | head -1)
is "$(rcpt "$m")" "<carol@orig.test>" "  second target"
like "$(hdr "$m" X-Mail-Args)" '^<SRS0=.*=orig\.test=dave@example\.test>$' "  with an SRS sender"

# 5. no open relay
send eve@orig.test victim@elsewhere.test relay
grep -q '^<\*\* 554 .*Relay access denied' "$T/swaks.out"
ok $? "relay to a foreign domain denied"
grep -q 'map=alias addr=anything@example.test result=OK value=box@gmail.test reason=catch-all' "$T/forward.log"
ok $? "Postfix's lookups are in mailaka-forward's log"
done_testing
