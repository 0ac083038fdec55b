#!/usr/bin/env bash
# The milter engines of lib/milter.h driven by a real Postfix: swaks ->
# Postfix (one smtpd per engine and socket type, -o smtpd_milters=...) ->
# smtp-sink.  t/milter-testd acts as each message asks (X-Test-Action
# headers); the tests check what Postfix did with the replies: headers added,
# inserted, changed and deleted in the delivered message, 5xx/4xx with the
# milter's text for reject/tempfail (at end of message and at MAIL), the
# message held by quarantine, the envelope sender changed by chgfrom, and
# the macros Postfix sends ("i" matching Postfix's queue id, j,
# {daemon_name}, {mail_addr}, {rcpt_addr}...).  Over unix: and inet:
# sockets; for engine own and, once it serves, engine libmilter: the same
# cases and the same results.
. "$top_srcdir/t/lib.sh"
. "$top_srcdir/t/lib/postfix.sh"
. "$top_srcdir/t/integration/milter-common/lib.sh"

pf_require
mk_require swaks
[ -x "$TESTD" ] || bail_out "missing $TESTD"

engines=$(testd_engines)
[[ $engines == *libmilter* ]] || diag "engine libmilter does not serve yet: engine own only"

sink_start out 127.0.0.11
ok $? "smtp-sink on 127.0.0.11" || bail_out "no sink"
pf_new mx 127.0.0.1
pf_set mx "relayhost = [127.0.0.11]:$SINK_PORT_out" "milter_default_action = tempfail"

# one milter per engine and socket type, one smtpd port for each
declare -A port
for e in $engines; do
	iport=$(mk_free_port 127.0.0.1)
	testd_start "$e-unix" "$e" "unix:$T/$e.sock"
	ok $? "milter-testd ($e) on unix:$T/$e.sock" || bail_out "testd $e unix"
	testd_start "$e-inet" "$e" "inet:$iport@127.0.0.1"
	ok $? "milter-testd ($e) on inet:$iport@127.0.0.1" || bail_out "testd $e inet"
	for k in unix inet; do
		port[$e-$k]=$(mk_free_port 127.0.0.1)
		if [ "$k" = unix ]; then m="unix:$T/$e.sock"; else m="inet:127.0.0.1:$iport"; fi
		pf_service mx "127.0.0.1:${port[$e-$k]} inet n - n - - smtpd -o smtpd_milters=$m"
	done
done
pf_start mx
ok $? "Postfix started" || bail_out "no postfix"
for p in "${port[@]}"; do
	mk_wait_port 127.0.0.1 "$p" 15 || bail_out "smtpd on $p not up"
done

# send PORT SUBJECT FROM [ACTION...]: swaks' transcript in $T/swaks.log
send() {
	local p=$1 subj=$2 from=$3 a
	shift 3
	{
		printf '%s\r\n' "From: <$from>" "To: <rcpt@example.org>" "Subject: $subj" \
			"X-Remove: remove me" "Message-ID: <$RANDOM.$subj@example.com>"
		for a in "$@"; do printf 'X-Test-Action: %s\r\n' "$a"; done
		printf '\r\nbody of %s\r\n' "$subj"
	} >"$T/msg.eml"
	timeout 30 swaks --server 127.0.0.1 --port "$p" --from "$from" --to rcpt@example.org \
		--data @"$T/msg.eml" </dev/null >"$T/swaks.log" 2>&1
}
# the sink's dump of the message with this subject (waits for it)
_sink_has_subj() { grep -rlq -- "^Subject: $1" "$T/sink-out"; }
sink_subj() {
	mk_wait_for 30 _sink_has_subj "$1" || return 1
	grep -rl -- "^Subject: $1" "$T/sink-out" | head -1
}
held() { find "$PF_DIR_mx/queue/hold" -type f 2>/dev/null | wc -l; }

for e in $engines; do
	for k in unix inet; do
		p=${port[$e-$k]}
		w="$e/$k"
		cb=$T/$e-$k.cb

		subj="hdrs-$e-$k"
		send "$p" "$subj" alice@example.com "addheader X-Added added by $e" \
			"insheader 0 X-Inserted first" "chgheader Subject 1 changed-$e-$k" \
			"chgheader X-Remove 1 -"
		like "$(cat "$T/swaks.log")" "<- +250 2.0.0 Ok: queued" "$w: headers case accepted"
		f=$(sink_subj "changed-$e-$k")
		ok $? "$w: message delivered with the changed Subject" || continue
		grep -q "^X-Added: added by $e" "$f"
		ok $? "$w: addheader: X-Added in the delivered message"
		[ "$(grep -n '^X-Inserted: first' "$f" | cut -d: -f1)" -lt \
		  "$(grep -n '^Subject:' "$f" | cut -d: -f1)" ]
		ok $? "$w: insheader 0: X-Inserted above the original fields"
		! grep -q "^X-Remove:" "$f"
		ok $? "$w: chgheader with no value: X-Remove deleted"
		! grep -q "^Subject: $subj\$" "$f"
		ok $? "$w: the old Subject is gone"

		send "$p" "rej-$e-$k" alice@example.com "reject 550 5.7.1 refused by test $e"
		like "$(cat "$T/swaks.log")" "<\*\* +550 5\.7\.1 refused by test $e" \
			"$w: eom reject: 550 5.7.1 with the milter's text"
		send "$p" "tmp-$e-$k" alice@example.com "tempfail 451 4.7.1 later please"
		like "$(cat "$T/swaks.log")" "<\*\* +451 4\.7\.1 later please" \
			"$w: eom tempfail: 451 4.7.1 with the milter's text"
		send "$p" "mailrej-$e-$k" reject-mail@example.com
		like "$(cat "$T/swaks.log")" "<\*\* +550 5\.7\.1 sender refused by request" \
			"$w: envfrom reject: 550 at MAIL FROM"

		before=$(held)
		send "$p" "quar-$e-$k" alice@example.com "quarantine held by test"
		like "$(cat "$T/swaks.log")" "<- +250 2.0.0 Ok: queued" "$w: quarantined message accepted"
		mk_wait_for 10 test "$(held)" -gt "$before"
		ok $? "$w: quarantine: the message is in Postfix's hold queue"
		grep -rlq "Subject: quar-$e-$k" "$PF_DIR_mx/queue/hold"
		ok $? "$w: the held message is the quarantined one"

		send "$p" "from-$e-$k" alice@example.com "chgfrom <bounces-$e@example.net>"
		f=$(sink_subj "from-$e-$k")
		ok $? "$w: chgfrom message delivered" || continue
		like "$(sed -n 's/^X-Mail-Args: //p' "$f")" "^<bounces-$e@example.net>" \
			"$w: chgfrom: the sink saw the new envelope sender"

		# macros, as Postfix sends them by default
		qid=$(grep "CB eom" "$cb" | grep -o ' i=[0-9A-F]*' | tail -1 | cut -d= -f2)
		[ -n "$qid" ] && grep -q "$qid: .*from=<bounces-$e@example.net>" "$(pf_log mx)"
		ok $? "$w: macro i at eom is Postfix's queue id ($qid)"
		like "$(grep 'CB connect' "$cb" | tail -1)" \
			"host=[^ ]+ addr=127\.0\.0\.1 .* j=mx\.example\.test .*\{daemon_name\}=" \
			"$w: connect: host, address, j and {daemon_name}"
		like "$(grep 'CB envfrom' "$cb" | tail -1)" \
			"from=<alice@example.com>.* \{mail_addr\}=alice@example\.com" \
			"$w: envfrom: the address and {mail_addr}"
		like "$(grep 'CB envrcpt' "$cb" | tail -1)" "rcpt=<rcpt@example.org> .*\{rcpt_addr\}=rcpt@example\.org" \
			"$w: envrcpt: the address and {rcpt_addr}"
		like "$(grep 'CB header.*name=Subject' "$cb" | grep "from-$e-$k" | tail -1)" "name=Subject value=\[from-$e-$k\]" \
			"$w: header: name and value (leading space removed)"
	done
done

for e in $engines; do
	for k in unix inet; do
		testd_stop "$e-$k"
		is "$?" 0 "$e/$k: milter-testd stopped cleanly on SIGTERM"
		testd_clean "$e-$k"
		ok $? "$e/$k: no sanitizer report" || sed 's/^/#   /' "$T/$e-$k.log" | tail -20
	done
done
done_testing
