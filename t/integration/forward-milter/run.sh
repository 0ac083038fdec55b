#!/usr/bin/env bash
# mailaka-forward's milter mode through a real Postfix: the envelope sender is
# SRS-rewritten (smfi_chgfrom) only when at least one recipient is remote
# after alias expansion -- mail that stays local (alias to a local mailbox,
# delivered to the local store on 127.0.0.4) keeps its original sender,
# which sender_canonical_maps cannot do.  Remote (Gmail-like sink on
# 127.0.0.3) and mixed recipients get the SRS sender; SPF passes for it
# (python3-spf); local senders and the null sender are never rewritten;
# virtual_alias_maps still uses the socketmap alias map; the daemon stops
# cleanly (exit 0) with the milter thread running.
. "$top_srcdir/t/lib.sh"
. "$top_srcdir/t/lib/dns.sh"
. "$top_srcdir/t/lib/postfix.sh"
. "$top_srcdir/t/integration/forward-common/lib.sh"

fwd_postfix_require

dns_zone_add example.test 300 TXT "v=spf1 ip4:127.0.0.2 -all"
dns_start
ok $? "DNS fixture on $DNS_RESOLVER" || bail_out "no DNS"

D=$T/fwd
mkdir -p "$D/aliases/example.test"
chmod 755 "$D" "$D/aliases"
fwd_secret "$D/secrets" "$(head -c 24 /dev/urandom | base64)"
cat >"$D/aliases/example.test/aliases" <<'EOF'
*: i
i: box@gmail.test
inbox: user@local.test
team: user@local.test, box@gmail.test
EOF
cat >"$D/forward.conf" <<EOF
Socket unix:$D/fwd.sock
Milter unix:$D/milter.sock
SRSDomain example.test
SRSSecrets $D/secrets
LocalDomains example.test, local.test
AliasesDir $D/aliases
EOF
fwd_start "$D/forward.conf"
ok $? "mailaka-forward started (socketmap + milter)" || bail_out "no daemon"
mk_wait_unix "$D/milter.sock" 10
ok $? "milter socket up" || bail_out "no milter socket"
is "$(stat -c %a "$D/milter.sock")" "666" "milter socket mode 666 (the MTA runs as another user)"

# --- two sinks: the Gmail-like host and the local mail store ---
sink_start gmail 127.0.0.3 && sink_start store 127.0.0.4
ok $? "sinks on 127.0.0.3 (gmail.test) and 127.0.0.4 (local.test store)" || bail_out "no sink"

# --- Postfix: the forwarding host ---
S=$D/fwd.sock
pf_new mx 127.0.0.2
pf_set mx "myhostname = mx.example.test" "mydomain = example.test" \
	"myorigin = example.test" "mynetworks = 127.0.0.2/32" \
	"virtual_alias_domains = example.test" \
	"virtual_alias_maps = socketmap:unix:$S:alias" \
	"smtpd_milters = unix:$D/milter.sock" 'non_smtpd_milters = $smtpd_milters' \
	"recipient_canonical_maps = socketmap:unix:$S:reverse" \
	"recipient_canonical_classes = envelope_recipient, header_recipient" \
	"transport_maps = inline:{gmail.test=smtp:[127.0.0.3]:$SINK_PORT_gmail, local.test=smtp:[127.0.0.4]:$SINK_PORT_store}" \
	"relay_domains = local.test" \
	"smtpd_relay_restrictions = permit_mynetworks, reject_unauth_destination"
pf_start mx
ok $? "Postfix on 127.0.0.2:$PF_PORT_mx" || bail_out "no Postfix"

wait_sink() { sink_wait "$1" "$2" 30; }
hdr() { sed -n "s/^$2: //p" "$1" | head -1; }
rcpt() { hdr "$1" X-Rcpt-Args | cut -d' ' -f1; }	# without ORCPT=
send() {	# send FROM TO SUBJECT -> swaks transcript in $T/swaks.out
	swaks --server 127.0.0.2:"$PF_PORT_mx" --from "$1" --to "$2" --h-From "<$1>" \
		--h-Subject "$3" --body "test $3" >"$T/swaks.out" 2>&1
}

# 1. catch-all to a remote box: rewritten
send alice@orig.test anything@example.test catchall
ok $? "swaks: accepted"
wait_sink gmail 1
ok $? "arrived at the gmail.test sink" || { tail -20 "$(pf_log mx)" | sed 's/^/#   /'; }
m=$(grep -l '^Subject: catchall' "$T"/sink-gmail/* | head -1)
from=$(hdr "$m" X-Mail-Args | tr -d '<>')
like "$from" '^SRS0=[A-Za-z0-9+/]{4}=[A-Z2-7]{2}=orig\.test=alice@example\.test$' "remote after alias expansion: SRS sender $from"
is "$(rcpt "$m")" "<box@gmail.test>" "  to the catch-all target"
is "$(/usr/bin/python3 "$FWD_COMMON/spf_check.py" "$DNS_ADDR" "$DNS_PORT" 127.0.0.2 "$from" mx.example.test 2>&1)" "pass" "  python3-spf: pass"
is "$(hdr "$m" From)" "<alice@orig.test>" "  From header untouched"

# 2. alias to a local mailbox: not rewritten
send alice@orig.test inbox@example.test inbox
wait_sink store 1
ok $? "alias to a local mailbox delivered to the store" || { tail -20 "$(pf_log mx)" | sed 's/^/#   /'; }
m=$(grep -l '^Subject: inbox' "$T"/sink-store/* | head -1)
is "$(hdr "$m" X-Mail-Args)" "<alice@orig.test>" "all recipients local: sender kept"
is "$(rcpt "$m")" "<user@local.test>" "  to the alias target"

# 3. directly to a local mailbox
send alice@orig.test user@local.test direct
wait_sink store 2
m=$(grep -l '^Subject: direct' "$T"/sink-store/* | head -1)
is "$(hdr "$m" X-Mail-Args)" "<alice@orig.test>" "local recipient: sender kept"

# 4. mixed recipients: rewritten for the message
send alice@orig.test team@example.test team
wait_sink gmail 2 && wait_sink store 3
ok $? "several targets: a copy on each host"
m=$(grep -l '^Subject: team' "$T"/sink-gmail/* | head -1)
like "$(hdr "$m" X-Mail-Args)" '^<SRS0=.*=orig\.test=alice@example\.test>$' "mixed: remote copy has the SRS sender"

# 5. local sender, null sender
send bob@example.test anything@example.test localsender
send '<>' anything@example.test nullsender
wait_sink gmail 4
m=$(grep -l '^Subject: localsender' "$T"/sink-gmail/* | head -1)
is "$(hdr "$m" X-Mail-Args)" "<bob@example.test>" "local sender not rewritten"
m=$(grep -l '^Subject: nullsender' "$T"/sink-gmail/* | head -1)
is "$(hdr "$m" X-Mail-Args)" "<>" "null sender not rewritten"

grep -q 'milter=rewrite from=alice@orig.test srs=<SRS0=.* remote=box@gmail.test' "$T/forward.log"
ok $? "rewrite decision logged with the remote recipient"
grep -q 'milter=keep from=alice@orig.test reason="all recipients local"' "$T/forward.log"
ok $? "keep decision logged with its reason"
fwd_stop
is "$FWD_RC" "0" "SIGTERM with the milter thread running: exit 0"
done_testing
