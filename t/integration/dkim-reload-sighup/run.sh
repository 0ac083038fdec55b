#!/usr/bin/env bash
# mailaka-dkim under MilterEngine own, where the signals are ours and not
# libmilter's: SIGHUP reloads the configuration and the keys (a key added to
# the KeyTable signs the next message that Postfix relays, and python3-dkim
# verifies it against the DNS fixture); a configuration broken before a
# SIGHUP is refused, logged with file:line, and the old one keeps signing;
# SIGUSR1 reloads as well; SIGTERM while a message is in flight (miltertest
# holds it between body and end of message) stops accepting connections,
# lets that message finish -- signed, and the signature verifies -- then
# exits 0 and removes its socket.
# Engine own is tried first: while it is not built (lib/milter_server.c a
# stub), the test is skipped with that reason.
. "$top_srcdir/t/lib.sh"
. "$top_srcdir/t/lib/dns.sh"
. "$top_srcdir/t/integration/dkim-common/lib.sh"

dns_require
dkim_require
mk_require miltertest

# is engine own there at all?
printf '%s\n' "Socket local:$T/probe.sock" "MilterEngine own" "Mode v" >"$T/probe.conf"
# (killed 5 s after a TERM at 20 s: a hang at exit ends as a failure)
timeout -k 5 20 "$DKIM_BIN" -f -c "$T/probe.conf" >"$T/probe.log" 2>&1 &
probe=$!
mk_track_pid "$probe"
if ! mk_wait_unix "$T/probe.sock" 5; then
	wait "$probe" 2>/dev/null
	grep -q "not built yet" "$T/probe.log" &&
		skip_all "milter engine own is not built yet (lib/milter_server.c): $(tail -1 "$T/probe.log")"
	bail_out "mailaka-dkim with MilterEngine own did not start: $(tail -3 "$T/probe.log")"
fi
# serving (its threads started, an OPTNEG answered) before it is stopped: a
# TERM within milliseconds of start-up once left the ASan build spinning in
# LeakSanitizer's exit check (seen once in CI; not reproduced in 120 tries)
/usr/bin/python3 "$top_srcdir/t/integration/milter-protocol/rawmta.py" "unix:$T/probe.sock" \
	negotiate >/dev/null 2>&1
kill -TERM "$probe"
wait "$probe"
is "$?" 0 "engine own: probe milter starts and stops on SIGTERM with exit 0"

dkim_keys one:rsa two:rsa three:ed25519
dns_zone_add one._domainkey.example.com 300 TXT "$(dkim_pubkey_txt "$K/one.key")"
dns_zone_add two._domainkey.example.com 300 TXT "$(dkim_pubkey_txt "$K/two.key")"
dns_zone_add three._domainkey.example.com 300 TXT "$(dkim_pubkey_txt "$K/three.key")"
dns_start
ok $? "DNS fixture on $DNS_RESOLVER" || bail_out "no DNS"

# tables KEY...: the KeyTable and SigningTable sign example.com with each KEY
tables() {
	local k
	: >"$T/keytable.new"
	: >"$T/signingtable.new"
	for k in "$@"; do
		echo "$k example.com:$k:$K/$k.key" >>"$T/keytable.new"
		echo "*@example.com $k" >>"$T/signingtable.new"
	done
	mv "$T/keytable.new" "$T/keytable"
	mv "$T/signingtable.new" "$T/signingtable"
}
# conf [EXTRA-LINE]: the configuration file
conf() {
	printf '%s\n' "Socket local:$T/dkim.sock" "MilterEngine own" "Mode s" \
		"KeyTable file:$T/keytable" "SigningTable refile:$T/signingtable" \
		"MultipleSignatures yes" "InternalHosts 127.0.0.1" "AuthservID mx.example.net" \
		"Nameservers $DNS_RESOLVER" "${1:-}" >"$T/dkim.conf"
}
tables one
conf
dkim_milter_start "$T/dkim.conf"
ok $? "mailaka-dkim (engine own) started" || bail_out "milter did not start"
like "$(cat "$T/dkim.log")" "milter engine own" "  the log names the engine"
dkim_sink_start || bail_out "no sink"
dkim_postfix_start "$T/dkim.sock" || bail_out "no postfix"

count=0
# send NAME: one message through Postfix, wait for it in the sink; $f is it
send() {
	printf '%s\n' "From: Alice <alice@example.com>" "To: Bob <bob@example.org>" \
		"Subject: $1" "Date: Sat, 28 Nov 2026 01:00:00 +0000" \
		"Message-ID: <$1@example.com>" "" "body of $1" >"$T/$1.eml"
	timeout 30 swaks --server 127.0.0.1 --port "$PF_PORT" --from alice@example.com \
		--to bob@example.org --data @"$T/$1.eml" </dev/null >"$T/swaks.log" 2>&1
	ok $? "$1: accepted by Postfix" || sed 's/^/#   /' "$T/swaks.log" | tail -5
	count=$((count + 1))
	dkim_wait_sink $count
	ok $? "$1: delivered"
	f=$(dkim_sink_msg $count)
}
# selectors: the s= of the message's signatures, sorted, comma-separated
selectors() { tr -d '\r\n\t ' <"$f" | grep -o 'DKIM-Signature:[^:]*' | grep -o ';s=[a-z]*' |
	sed 's/;s=//' | sort | paste -sd, -; }
# reloaded N: wait until the log holds N "configuration reloaded" lines
reloaded() { mk_wait_for 10 sh -c "[ \$(grep -c 'configuration reloaded from' '$T/dkim.log') -ge $1 ]"; }
# failed N: the same for "reload failed"
failed() { mk_wait_for 10 sh -c "[ \$(grep -c 'reload failed' '$T/dkim.log') -ge $1 ]"; }

send before
is "$(selectors)" "one" "before the reload: signed with the only key (s=one)"
like "$(dkim_verify_py "$f")" "example.com one rsa-sha256 pass" "  dkimpy: pass"

# a second key in the tables, then SIGHUP
tables one two
kill -HUP "$DKIM_PID"
reloaded 1
ok $? "SIGHUP: configuration reloaded (logged)"
kill -0 "$DKIM_PID" 2>/dev/null
ok $? "SIGHUP: the milter keeps running"
send after-hup
is "$(selectors)" "one,two" "after SIGHUP: the new key signs too (s=one, s=two)"
py=$(dkim_verify_py "$f")
like "$py" "example.com two rsa-sha256 pass" "  dkimpy: the new key's signature passes" || diag "$py"
like "$py" "example.com one rsa-sha256 pass" "  dkimpy: the old key's still passes"

# a broken configuration: refused at SIGHUP, the old one stays
conf "Mode x"
kill -HUP "$DKIM_PID"
failed 1
ok $? "SIGHUP with a broken configuration: reload failed (logged)"
like "$(grep 'reload failed' "$T/dkim.log" | tail -1)" \
	"keeping the old configuration: .*dkim.conf:10: Mode" "  the error names file:line"
kill -0 "$DKIM_PID" 2>/dev/null
ok $? "  the milter keeps running"
send after-broken
is "$(selectors)" "one,two" "after the broken reload: the old configuration still signs"
like "$(dkim_verify_py "$f")" "example.com two rsa-sha256 pass" "  dkimpy: pass"

# a KeyTable naming a missing key file: refused too (the keys load at reload)
conf
echo "four example.com:four:$K/missing.key" >>"$T/keytable"
echo "*@example.com four" >>"$T/signingtable"
kill -HUP "$DKIM_PID"
failed 2
like "$(grep 'reload failed' "$T/dkim.log" | tail -1)" "keytable:3: .*missing.key" \
	"SIGHUP with a missing key file: refused, names the KeyTable line"

# SIGUSR1 reloads as under libmilter: only the Ed25519 key now
tables three
kill -USR1 "$DKIM_PID"
reloaded 2
ok $? "SIGUSR1: configuration reloaded"
send after-usr1
is "$(selectors)" "three" "after SIGUSR1: signed with the Ed25519 key only"
like "$(dkim_verify_py "$f")" "example.com three ed25519-sha256 pass" "  dkimpy: pass"

# SIGTERM with a message in flight: it finishes, signed
line=$(miltertest -D "sock=unix:$T/dkim.sock" -D "pid=$DKIM_PID" -D "out=$T/inflight.eml" \
	-s "$top_srcdir/t/integration/dkim-reload-sighup/inflight.lua" 2>"$T/mt.err" | grep '^INFLIGHT')
[ -n "$line" ] || sed 's/^/#   /' "$T/mt.err" | tail -5
like "$line" "reply=accept sig=1 " "SIGTERM in flight: the message still gets its signature"
like "$line" "late=refused" "  no new connection accepted after SIGTERM"
like "$(dkim_verify_py "$T/inflight.eml")" "example.com three ed25519-sha256 pass" \
	"  dkimpy: the in-flight message's signature passes"
mk_wait_for 10 sh -c "! kill -0 $DKIM_PID 2>/dev/null"
ok $? "  the milter exits once the message is done" || kill -KILL "$DKIM_PID" 2>/dev/null
wait "$DKIM_PID"
is "$?" 0 "  exit status 0"
DKIM_PID=""
log=$(cat "$T/dkim.log")
like "$log" "Terminated: stopping" "  SIGTERM logged"
like "$log" "QINFLIGHT action=sign" "  the in-flight message logged as signed"
like "$log" "stopped" "  shutdown logged"
[ ! -e "$T/dkim.sock" ]
ok $? "  the socket is removed"
! grep -E 'AddressSanitizer|LeakSanitizer|runtime error' "$T/dkim.log"
ok $? "no sanitizer report"
done_testing
