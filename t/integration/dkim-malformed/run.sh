#!/usr/bin/env bash
# mailaka-dkim with malformed mail and sender/login binding, driven by
# miltertest (OpenDKIM's milter client) so that the milter sees exactly what
# a hostile client could make an MTA pass on: no From, two From, an
# unparsable From, 8-bit header bytes, a header name with spaces, a
# 100 000 byte body line, a 50 MB body (memory must not follow the body
# size), a garbage DKIM-Signature field, a forged
# Authentication-Results; an external host sending as a signing domain
# (logged unless in ExternalIgnoreList); authenticated users signing as their own domain,
# as a SenderLoginMap domain, and refused (550 5.7.1) as another domain.
# (A 100 000-byte header line and 40 signatures: see dkim-*-postfix.)
. "$top_srcdir/t/lib.sh"
. "$top_srcdir/t/lib/dns.sh"
. "$top_srcdir/t/integration/dkim-common/lib.sh"

mk_require miltertest openssl
dns_require
[ -x "$DKIM_BIN" ] || bail_out "missing $DKIM_BIN"

dkim_keys com:rsa org:ed25519
dns_start
ok $? "DNS fixture" || bail_out "no DNS"
printf '%s\n' "com example.com:com:$K/com.key" "org example.org:org:$K/org.key" >"$T/keytable"
printf '%s\n' "*@example.com com" "*@example.org org" >"$T/signingtable"
printf '%s\n' "# login  senders" "bob@example.net  example.com, @example.net" >"$T/logins"
printf '%s\n' "Socket local:$T/dkim.sock" "Mode sv" "KeyTable $T/keytable" \
	"SigningTable refile:$T/signingtable" "InternalHosts 127.0.0.1" \
	"SenderLoginMap $T/logins" "AuthservID mx.example.net" "Nameservers $DNS_RESOLVER" \
	"ExternalIgnoreList 192.0.2.10" >"$T/dkim.conf"
# a small ASan quarantine, so that RSS shows what the milter keeps, not what
# ASan holds back after free
ASAN_OPTIONS="${ASAN_OPTIONS:+$ASAN_OPTIONS:}quarantine_size_mb=4" dkim_milter_start "$T/dkim.conf"
ok $? "mailaka-dkim started" || bail_out "milter did not start"

rss() { awk '/^VmRSS/ { print $2 }' "/proc/$DKIM_PID/status"; }
run_case() {	# run_case NAME: sets $line to the CASE line
	line=$(miltertest -D "sock=unix:$T/dkim.sock" -D "only=$1" \
		-s "$top_srcdir/t/integration/dkim-malformed/cases.lua" 2>"$T/mt.$1.err" | grep '^CASE')
	[ -n "$line" ] || sed 's/^/#   /' "$T/mt.$1.err" | tail -5
}

run_case plain
like "$line" "reply=accept sig=1 " "well-formed message from an internal host: signed"
run_case nofrom
like "$line" "stage=eom reply=accept sig=0" "no From: passed unsigned"
like "$(cat "$T/dkim.log")" "Qnofrom action=pass reason=\"no From header field: not signed\"" \
	"  logged with the reason"
run_case twofrom
like "$line" "stage=eom reply=replycode" "two From fields: refused (the end-of-header verdict, given at end of message)"
like "$(cat "$T/dkim.log")" "Qtwofrom action=tempfail reason=\"several From header fields: not signed\"" \
	"  On-Security (tempfail) logged with the reason"
run_case badfrom
like "$line" "stage=eom reply=accept sig=0" "unparsable From: passed unsigned"
run_case eightbit
like "$line" "reply=accept sig=1 " "8-bit header and body bytes: signed"
run_case nocolon
like "$line" "stage=eom reply=accept" "header name with spaces: no crash, message accepted"
run_case longline
like "$line" "stage=eom reply=accept sig=1" "100 000-byte body line: signed"
before=$(rss)
run_case bigbody
after=$(rss)
like "$line" "stage=eom reply=accept sig=1" "50 MB body: signed"
growth=$(( (after - before) / 1024 ))
[ "$growth" -lt 32 ]
ok $? "50 MB body: RSS grew by ${growth} MB (< 32 MB: the body is streamed)"

run_case auth-own
like "$line" "reply=accept sig=1" "authenticated alice@example.com as example.com: signed"
run_case auth-other
like "$line" "stage=eom reply=replycode sig=0" "authenticated alice@example.com as ceo@example.org: refused"
like "$(cat "$T/dkim.log")" "Qauth-other action=reject reason=\"From address not allowed for the authenticated login\"" \
	"  rejected (550 5.7.1) and logged"
like "$(cat "$T/dkim.log")" "Qauth-other login=alice@example.com from_domain=example.org result=sender-mismatch" \
	"  the login and the From domain are logged"
run_case auth-map
like "$line" "reply=accept sig=1" "SenderLoginMap: bob@example.net may send as example.com"
run_case auth-nodomain
like "$line" "reply=accept sig=1" "login without a domain and not in the map: signed, noted"

run_case ext-garbage
like "$line" "del=yes" "forged Authentication-Results with our authserv-id deleted"
like "$line" "ar= ?mx\.example\.net; dkim=permerror reason=\"malformed signature: [^\"]+\"" \
	"garbage DKIM-Signature: its own permerror entry"
like "$(grep Qext-garbage "$T/dkim.log")" \
	"client=192.0.2.9 from_domain=example.com note=\"external host attempted to send as a signing domain\"" \
	"external host sending as a signing domain: logged (as OpenDKIM)"
run_case ext-ignored
like "$line" "reply=accept sig=0" "ExternalIgnoreList host: verified, not signed"
! grep -q 'Qext-ignored.*external host attempted' "$T/dkim.log"
ok $? "  ExternalIgnoreList host sending as a signing domain: not logged"
# reload (SIGUSR1): a new key for example.com and On-Security quarantine
openssl genpkey -algorithm ED25519 -out "$K/com2.key" 2>/dev/null
chmod 600 "$K/com2.key"
printf '%s\n' "com2 example.com:com2:$K/com2.key" "org example.org:org:$K/org.key" >"$T/keytable"
printf '%s\n' "*@example.com com2" "*@example.org org" >"$T/signingtable"
echo "On-Security quarantine" >>"$T/dkim.conf"
kill -USR1 "$DKIM_PID"
mk_wait_for 10 grep -q 'configuration reloaded' "$T/dkim.log"
ok $? "SIGUSR1: configuration and keys reloaded"
run_case plain
like "$(grep 'Qplain action=sign' "$T/dkim.log" | tail -1)" "s=com2 a=ed25519-sha256" \
	"after the reload the new key signs"
run_case twofrom
like "$line" "stage=eom reply=accept sig=0 del=no q=yes" \
	"two From with On-Security quarantine: accepted unsigned, quarantined at end of message"
like "$(cat "$T/dkim.log")" "Qtwofrom action=quarantine" "  and quarantined"
# On-Security discard: the message is dropped at end of headers (DISCARD)
echo "On-Security discard" >>"$T/dkim.conf"
n=$(grep -c 'configuration reloaded' "$T/dkim.log")
kill -USR1 "$DKIM_PID"
mk_wait_for 10 sh -c "[ \$(grep -c 'configuration reloaded' '$T/dkim.log') -gt $n ]"
ok $? "SIGUSR1: On-Security discard loaded"
run_case twofrom
like "$line" "stage=eom reply=discard sig=0" "two From with On-Security discard: discarded"
is "$(grep -c 'Qtwofrom action=discard' "$T/dkim.log")" 1 "  and logged as discarded"
sed -i '/^On-Security discard$/d' "$T/dkim.conf"
# a reload that fails keeps the old configuration
chmod 644 "$K/com2.key"
kill -USR1 "$DKIM_PID"
mk_wait_for 10 grep -q 'reload failed, keeping the old configuration' "$T/dkim.log"
ok $? "reload with a world-readable key refused, old configuration kept"
run_case plain
like "$line" "reply=accept sig=1" "  still signing"

kill -0 "$DKIM_PID"
ok $? "mailaka-dkim still running"
dkim_milter_stop
! grep -E 'AddressSanitizer|LeakSanitizer|runtime error' "$T/dkim.log"
ok $? "no sanitizer report"
done_testing
