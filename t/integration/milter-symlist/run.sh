#!/usr/bin/env bash
# mk_milter_setsymlist() through a real Postfix: t/milter-testd asks, in its
# negotiate callback, for "{mail_addr} {client_addr}" at MAIL and for
# "{rcpt_addr} {client_name}" at RCPT; Postfix must then send exactly those
# lists at those stages (its default MAIL list, {mail_host} {mail_mailer}
# {auth_type}..., is replaced), under each milter engine.  A testd that asks
# for nothing gets Postfix's defaults (the control).
. "$top_srcdir/t/lib.sh"
. "$top_srcdir/t/lib/postfix.sh"
. "$top_srcdir/t/integration/milter-common/lib.sh"

pf_require
mk_require swaks
[ -x "$TESTD" ] || bail_out "missing $TESTD"
engines=$(testd_engines)
unlike() {	# unlike GOT ERE NAME
	if [[ $1 =~ $2 ]]; then ok 1 "$3"; echo "#   got \"$1\""; else ok 0 "$3"; fi
}

sink_start out 127.0.0.11
ok $? "smtp-sink on 127.0.0.11" || bail_out "no sink"
pf_new mx 127.0.0.1
pf_set mx "relayhost = [127.0.0.11]:$SINK_PORT_out" "milter_default_action = tempfail"
declare -A port
for e in $engines; do
	for k in sym plain; do
		if [ "$k" = sym ]; then
			testd_start "$e-$k" "$e" "unix:$T/$e-$k.sock" \
				-S "2:{mail_addr} {client_addr}" -S "3:{rcpt_addr} {client_name}"
		else
			testd_start "$e-$k" "$e" "unix:$T/$e-$k.sock"
		fi
		ok $? "milter-testd ($e, $k) started" || bail_out "testd $e $k"
		port[$e-$k]=$(mk_free_port 127.0.0.1)
		pf_service mx "127.0.0.1:${port[$e-$k]} inet n - n - - smtpd -o smtpd_milters=unix:$T/$e-$k.sock"
	done
done
pf_start mx || bail_out "no postfix"
for p in "${port[@]}"; do
	mk_wait_port 127.0.0.1 "$p" 15 || bail_out "smtpd on $p not up"
done

for e in $engines; do
	for k in sym plain; do
		printf '%s\r\n' "From: <alice@example.com>" "To: <rcpt@example.org>" \
			"Subject: symlist-$e-$k" "" "body" >"$T/msg.eml"
		timeout 30 swaks --server 127.0.0.1 --port "${port[$e-$k]}" --from alice@example.com \
			--to rcpt@example.org --data @"$T/msg.eml" </dev/null >"$T/swaks.log" 2>&1
		like "$(cat "$T/swaks.log")" "<- +250 2.0.0 Ok: queued" "$e/$k: message accepted"
		mail=$(grep '^CB envfrom' "$T/$e-$k.cb" | tail -1)
		rcpt=$(grep '^CB envrcpt' "$T/$e-$k.cb" | tail -1)
		if [ "$k" = sym ]; then
			like "$mail" "\{mail_addr\}=alice@example.com" "$e/sym: {mail_addr} at MAIL"
			like "$mail" "\{client_addr\}=127\.0\.0\.1" "$e/sym: {client_addr} at MAIL, as asked"
			unlike "$mail" "\{mail_host\}=|\{mail_mailer\}=" "$e/sym: Postfix's default MAIL list replaced"
			like "$rcpt" "\{rcpt_addr\}=rcpt@example.org" "$e/sym: {rcpt_addr} at RCPT"
			like "$rcpt" "\{client_name\}=" "$e/sym: {client_name} at RCPT, as asked"
			unlike "$rcpt" "\{rcpt_mailer\}=" "$e/sym: Postfix's default RCPT list replaced"
		else
			like "$mail" "\{mail_mailer\}=" "$e/plain: Postfix's default MAIL list"
			unlike "$mail" "\{client_addr\}=" "$e/plain: no {client_addr} at MAIL by default"
		fi
	done
done
for e in $engines; do
	for k in sym plain; do
		testd_stop "$e-$k"
		is "$?" 0 "$e/$k: milter-testd stopped cleanly"
	done
done
done_testing
