#!/usr/bin/env bash
# mailaka-dkim and mailaka-dmarc ask the MTA, in their negotiate callback
# (mk_milter_setsymlist), for the macros they read: {auth_authen} and i.  A
# real Postfix whose admin trimmed milter_mail_macros to {mail_addr} and
# emptied the EOH and end-of-data lists still hands them over, under each
# milter engine:
#   - an authenticated client (SMTP AUTH, Cyrus sasldb) that is not internal
#     gets its message signed (dkimpy verifies it) with its login logged, and
#     mailaka-dmarc skips it (IgnoreAuthenticatedClients); mailaka-dkim logs
#     Postfix's queue id (macro i at EOH);
#   - controls: t/milter-testd, a third milter asking for nothing, sees
#     neither {auth_authen} nor i (the trimmed lists are in force); the same
#     message without AUTH is not signed, and mailaka-dmarc checks it and
#     logs its queue id (i at end of message).
. "$top_srcdir/t/lib.sh"
. "$top_srcdir/t/lib/dns.sh"
. "$top_srcdir/t/integration/dkim-common/lib.sh"
. "$top_srcdir/t/integration/milter-common/lib.sh"

DMARC=$top_builddir/milter-dmarc/mailaka-dmarc
PW='pw of alice'
dns_require
dkim_require
mk_require swaks saslpasswd2 "$DMARC"
[ -x "$TESTD" ] || bail_out "missing $TESTD"
ls /usr/lib/*/sasl2/libsasldb.so >/dev/null 2>&1 ||
	skip_all "Cyrus SASL sasldb plugin (libsasl2-modules-db) missing"
engines=$(testd_engines)

dkim_keys ed:ed25519
dns_zone_add ed._domainkey.example.com 300 TXT "$(dkim_pubkey_txt "$K/ed.key")"
dns_zone_add _dmarc.example.com 300 TXT "v=DMARC1; p=none"
dns_start
ok $? "DNS fixture on $DNS_RESOLVER" || bail_out "no DNS"
printf '%s\n' "ed._domainkey.example.com example.com:ed:$K/ed.key" >"$T/keytable"
printf '%s\n' "*@example.com ed._domainkey.example.com" >"$T/signingtable"

testd_start spy own "unix:$T/spy.sock"
ok $? "milter-testd (no macro lists asked for) started" || bail_out "no testd"
for e in $engines; do
	# 127.0.0.1 is not internal: only an authenticated login gets signed
	printf '%s\n' "Socket local:$T/dkim-$e.sock" "Mode sv" "MilterEngine $e" \
		"KeyTable file:$T/keytable" "SigningTable refile:$T/signingtable" \
		"InternalHosts 192.0.2.1" "Nameservers $DNS_RESOLVER" \
		"AuthservID mx.dkim.test" >"$T/dkim-$e.conf"
	dkim_milter_start "$T/dkim-$e.conf" "$T/dkim-$e.log"
	ok $? "mailaka-dkim ($e) started" || bail_out "mailaka-dkim $e"
	printf '%s\n' "Socket unix:$T/dmarc-$e.sock" "MilterEngine $e" \
		"AuthservID mx.dmarc.test" "IgnoreHosts 192.0.2.250" \
		"IgnoreAuthenticatedClients yes" "Resolver $DNS_RESOLVER" \
		>"$T/dmarc-$e.conf"
	"$DMARC" -f -c "$T/dmarc-$e.conf" >"$T/dmarc-$e.log" 2>&1 &
	mk_track_pid $!
	mk_wait_unix "$T/dmarc-$e.sock" 10
	ok $? "mailaka-dmarc ($e) started" || bail_out "mailaka-dmarc $e"
	chmod 666 "$T/dmarc-$e.sock"
done

sink_start out 127.0.0.11 || bail_out "no sink"
pf_new mx 127.0.0.1
S=$PF_DIR_mx/etc/sasl
mkdir -p "$S"
printf '%s' "$PW" | saslpasswd2 -p -c -f "$S/sasldb2" -u example.com alice ||
	bail_out "saslpasswd2 failed"
chown postfix "$S/sasldb2"
chmod 600 "$S/sasldb2"
printf '%s\n' "pwcheck_method: auxprop" "auxprop_plugin: sasldb" \
	"mech_list: PLAIN LOGIN" "sasldb_path: $S/sasldb2" >"$S/smtpd.conf"
# the trimmed lists
pf_set mx "relayhost = [127.0.0.11]:$SINK_PORT_out" \
	"smtpd_sasl_type = cyrus" "smtpd_sasl_path = smtpd" "cyrus_sasl_config_path = $S" \
	"smtpd_sasl_auth_enable = yes" \
	"milter_mail_macros = {mail_addr}" "milter_end_of_header_macros =" \
	"milter_end_of_data_macros =" "milter_data_macros ="
declare -A port
for e in $engines; do
	port[$e]=$(mk_free_port 127.0.0.1)
	pf_service mx "127.0.0.1:${port[$e]} inet n - n - - smtpd -o smtpd_milters=unix:$T/dkim-$e.sock,unix:$T/dmarc-$e.sock,unix:$T/spy.sock"
done
pf_start mx || bail_out "no postfix"
for e in $engines; do
	mk_wait_port 127.0.0.1 "${port[$e]}" 15 || bail_out "smtpd on ${port[$e]} not up"
done
like "$(postconf -c "$PF_DIR_mx/etc" -h milter_mail_macros)" '^\{mail_addr\}$' \
	"Postfix's MAIL macro list trimmed to {mail_addr}"

printf '%s\r\n' "From: Alice <alice@example.com>" "To: <bob@example.org>" \
	"Subject: macros" "Date: Sat, 28 Nov 2026 08:00:00 +0000" "" "body" >"$T/msg.eml"
count=0
send() {	# send ENGINE NAME [SWAKS OPTS]: the queue id, "" if not queued
	local e=$1 name=$2
	shift 2
	timeout 30 swaks --server 127.0.0.1 --port "${port[$e]}" --from alice@example.com \
		--to bob@example.org --data @"$T/msg.eml" "$@" </dev/null >"$T/swaks.$name.log" 2>&1
	sed -n 's/.*<- *250 2\.0\.0 Ok: queued as \([0-9A-Za-z]*\).*/\1/p' "$T/swaks.$name.log"
}

for e in $engines; do
	qid=$(send "$e" "$e-auth" --auth PLAIN --auth-user alice@example.com --auth-password "$PW")
	ok "$([ -n "$qid" ]; echo $?)" "$e: authenticated message queued ($qid)" ||
		sed 's/^/#   /' "$T/swaks.$e-auth.log" | tail -5
	count=$((count + 1))
	sink_wait out $count
	ok $? "$e: delivered to the sink"
	f=$(sink_msg out $count)
	like "$(dkim_verify_py "$f")" "example.com ed ed25519-sha256 pass" \
		"$e: signed (login from {auth_authen}), dkimpy passes it"
	like "$(cat "$T/dkim-$e.log")" "$qid.*action=sign .*login=alice@example\.com" \
		"$e: mailaka-dkim logs the login and Postfix's queue id (i at EOH)"
	like "$(cat "$T/dmarc-$e.log")" "action=skip reason=IgnoreAuthenticatedClients" \
		"$e: mailaka-dmarc skips the authenticated client ({auth_authen} at MAIL)"
	! grep -q 'mx\.dmarc\.test' "$f"
	ok $? "$e: no DMARC verdict on the authenticated message"
	spy=$(grep '^CB envfrom' "$T/spy.cb" | tail -1)
	like "$spy" "\{mail_addr\}=alice@example\.com" "$e: the spy milter got {mail_addr} at MAIL"
	[[ ! $spy =~ \{auth_authen\}|\ i= ]]
	ok $? "$e: the spy milter got neither {auth_authen} nor i (lists trimmed)" || diag "$spy"

	qid=$(send "$e" "$e-plain")
	ok "$([ -n "$qid" ]; echo $?)" "$e: unauthenticated message queued ($qid)"
	count=$((count + 1))
	sink_wait out $count
	ok $? "$e: delivered to the sink"
	f=$(sink_msg out $count)
	! grep -qi '^DKIM-Signature:' "$f"
	ok $? "$e: control: without AUTH, not signed"
	like "$(grep -i '^Authentication-Results: mx\.dmarc\.test' "$f")" "dmarc=" \
		"$e: control: without AUTH, mailaka-dmarc checks it"
	like "$(cat "$T/dmarc-$e.log")" "$qid" \
		"$e: control: mailaka-dmarc logs Postfix's queue id (i at end of message)"
done

for e in $engines; do
	! grep -Eq 'AddressSanitizer|LeakSanitizer|runtime error' "$T/dkim-$e.log" "$T/dmarc-$e.log"
	ok $? "$e: no sanitizer report"
done
testd_stop spy
is "$?" 0 "milter-testd stopped cleanly"
done_testing
