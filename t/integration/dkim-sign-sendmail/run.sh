#!/usr/bin/env bash
# mailaka-dkim through a real Sendmail (Debian's 8.17, extracted, see
# t/lib/sendmail.sh) as the milter host: swaks -> Sendmail on 127.0.0.13
# (INPUT_MAIL_FILTER = mailaka-dkim, F=T) -> smtp-sink on 127.0.0.12.
#   - signing (client 127.0.0.1, internal by default): RSA-2048 and Ed25519
#     signatures on every message, relaxed/relaxed and simple/simple, a
#     plain message, one with folded header fields and an 8-bit body, one
#     with a folded To: (Sendmail re-formats address headers on the way out:
#     relaxed survives that), a 1 MB 8-bit body (64 KB milter chunks), three
#     messages and a RSET on one SMTP connection, and one without Date: and
#     Message-ID: (Sendmail adds both after the milters: with the default
#     OversignHeaders, their absence is not signed); python3-dkim checks both
#     signatures, Mail::DKIM the RSA one, against the keys in the DNS fixture;
#   - verifying (client 127.0.0.6, not internal): a dkimpy-signed message
#     gets Authentication-Results dkim=pass, its tampered copy dkim=fail,
#     and neither is signed by us;
#   - SMTP AUTH (client 127.0.0.6, Sendmail's {auth_authen}): a login of
#     example.com is signed for From example.com, a From of another domain
#     is rejected (On-SenderMismatch reject) with a 5xx at end of DATA;
#   - tempfail: the key lookup times out (DNS paused, On-DNSError default)
#     -> Sendmail answers 451 4.7.5 at end of DATA, nothing is delivered.
# Every case runs once per milter engine (MilterEngine, default list
# "libmilter own"; MK_TEST_ENGINES overrides); each TAP line names it.
. "$top_srcdir/t/lib.sh"
. "$top_srcdir/t/lib/dns.sh"
. "$top_srcdir/t/integration/dkim-common/lib.sh"
. "$top_srcdir/t/lib/sendmail.sh"

dns_require
dkim_require
sm_require
for a in 127.0.0.6 127.0.0.12 127.0.0.13; do
	mk_have_addr $a || skip_all "cannot bind $a"
done

dkim_keys rsa:rsa ed:ed25519
rsa_txt=$(dkim_pubkey_txt "$K/rsa.key")
dns_zone_add rsa._domainkey.example.com 300 TXT "$rsa_txt"
dns_zone_add ed._domainkey.example.com 300 TXT "$(dkim_pubkey_txt "$K/ed.key")"
dns_zone_add py._domainkey.example.com 300 TXT "$rsa_txt"
dns_zone_add slow._domainkey.example.com 300 TXT "$rsa_txt"
dns_start
ok $? "DNS fixture on $DNS_RESOLVER" || bail_out "no DNS"

printf '%s\n' "rsa._domainkey.example.com example.com:rsa:$K/rsa.key" \
	"ed._domainkey.example.com example.com:ed:$K/ed.key" >"$T/keytable"
printf '%s\n' "*@example.com rsa._domainkey.example.com" \
	"*@example.com ed._domainkey.example.com" >"$T/signingtable"

sink_start out 127.0.0.12 || bail_out "no sink"
sm_new mx 127.0.0.13
sm_relay mx "127.0.0.12:$SINK_PORT_out"
sm_milter mx "S=unix:$T/dkim.sock, F=T, T=S:30s;R:30s;E:5m" dkim
sm_auth mx alice@example.com 'pw of alice' && have_auth=yes || have_auth=""
sm_start mx
ok $? "Sendmail on 127.0.0.13:$SM_PORT_mx relaying to the sink" || bail_out "no sendmail"

# messages
printf '%s\n' "From: Alice <alice@example.com>" "To: Bob <bob@example.org>" \
	"Subject: plain text" "Date: Sat, 28 Nov 2026 01:00:00 +0000" \
	"Message-ID: <plain@example.com>" "" "Hello Bob," \
	"  two spaces and trailing spaces   " ".dot at line start" "" >"$T/plain.eml"
# folded header fields and an 8-bit body; folded8a adds a folded To:, which
# Sendmail rewrites on the way out (address headers are re-formatted, see
# commaize()): only relaxed header canonicalization survives that, for any
# signer, so the simple/simple cases use folded8 alone
folded() {	# folded [EXTRA HEADER LINE...]
	printf '%s\n' "From: alice@example.com" "$@" \
		"Subject: a folded subject" "	that goes on on a second line" \
		"   and on a third one" "X-Folded: first part," " second part" \
		"Date: Sat, 28 Nov 2026 01:00:01 +0000" "Message-ID: <folded@example.com>" \
		"MIME-Version: 1.0" "Content-Type: text/plain; charset=utf-8" \
		"Content-Transfer-Encoding: 8bit" ""
	printf 'Gr\xc3\xbc\xc3\x9fe, caf\xc3\xa9 \xe2\x82\xac \t \nline 2 \xc2\xa9\n\n\n'
}
folded "To: bob@example.org" >"$T/folded8.eml"
folded "To: bob@example.org," "	Carol <carol@example.org>, \"Dave, Jr.\" <dave@example.org>" >"$T/folded8a.eml"
# a 1 MB body (Sendmail hands it to the milter in 64 KB chunks), 8-bit
{ printf '%s\n' "From: alice@example.com" "To: bob@example.org" "Subject: one megabyte" \
	"Date: Sat, 28 Nov 2026 01:00:02 +0000" "Message-ID: <big@example.com>" "MIME-Version: 1.0" "Content-Type: text/plain; charset=utf-8" \
	"Content-Transfer-Encoding: 8bit" ""
  awk 'BEGIN { for (i = 1; i <= 12000; i++) printf "line %05d caf\303\251 %072d\n", i, i }'; } >"$T/big.eml"
# several messages on one SMTP connection, an aborted transaction (RSET)
# between the first and the second
cat >"$T/multi.py" <<'PY'
import smtplib, sys
host, port, tag = sys.argv[1], int(sys.argv[2]), sys.argv[3]
s = smtplib.SMTP(host, port, source_address=('127.0.0.1', 0), timeout=60)
s.ehlo('client.example.com')
for i in (1, 2, 3):
    if i == 2:
        s.mail('alice@example.com'); s.rcpt('bob@example.org'); s.rset()
    msg = ('From: alice@example.com\r\nTo: bob@example.org\r\n'
           'Subject: %s message %d of one connection\r\n'
           'Date: Sat, 28 Nov 2026 01:00:03 +0000\r\n'
           'Message-ID: <multi%d.%s@example.com>\r\n\r\nbody %d\r\n' % (tag, i, i, tag, i))
    s.sendmail('alice@example.com', ['bob@example.org'], msg)
s.quit()
PY
# no Date: and no Message-ID: Sendmail adds both when it sends the message
# on (the H?D?Date / H?M?Message-Id defaults of the .cf), after the
# milters: a signature over their absence would break, so mailaka-dkim
# oversigns Date and Message-ID only when present (the default
# OversignHeaders lists both; milter-dkim/sign.c)
printf '%s\n' "From: alice@example.com" "To: bob@example.org" "Subject: no Date, no Message-ID" \
	"" "body" >"$T/nodate.eml"
printf '%s\n' "From: ceo@example.net" "To: bob@example.org" "Subject: not my domain" \
	"Date: Sat, 28 Nov 2026 01:00:04 +0000" "Message-ID: <other@example.net>" "" "body" \
	>"$T/otherfrom.eml"
base() {	# base SUBJECT
	printf '%s\n' "From: sender@example.com" "To: bob@example.org" "Subject: $1" \
		"Date: Sat, 28 Nov 2026 01:00:00 +0000" "Message-ID: <$1.$RANDOM@example.com>" \
		"" "Hello," "the body." ""
}
sign() { "$DKIM_PY" "$DKIM_COMMON/dkimpy_sign.py" "$@"; }	# sign KEY SEL DOMAIN ALG < msg
base "verify" | sign "$K/rsa.key" py example.com rsa-sha256 >"$T/signed.eml"
sed 's/the body\./the body, changed after signing./' "$T/signed.eml" >"$T/tampered.eml"
base "timeout" | sign "$K/rsa.key" slow example.com rsa-sha256 >"$T/slow.eml"

conf() {	# conf ENGINE CANON [EXTRA LINE]
	printf '%s\n' "Socket local:$T/dkim.sock" "Mode sv" "MilterEngine $1" "${3:-}" \
		"KeyTable file:$T/keytable" "SigningTable refile:$T/signingtable" \
		"MultipleSignatures yes" "Canonicalization $2" \
		"Nameservers $DNS_RESOLVER" "DNSTimeout 2" \
		"AuthservID mx.example.net" >"$T/dkim.conf"
}
milter() {	# milter ENGINE CANON [EXTRA LINE]: (re)start mailaka-dkim
	dkim_milter_stop
	conf "$@"
	dkim_milter_start "$T/dkim.conf" "$T/dkim.$1.log"
}

count=0
send() {	# send LABEL FILE CLIENT_ADDR [FROM [SWAKS OPTION...]]: rc of swaks,
	# transcript in $T/swaks.LABEL.log
	local label=$1 file=$2 addr=$3 from=${4:-alice@example.com}
	shift 4 2>/dev/null || shift $#
	timeout 60 swaks --server 127.0.0.13 --port "$SM_PORT_mx" --local-interface "$addr" \
		--from "$from" --to bob@example.org --data @"$file" "$@" \
		</dev/null >"$T/swaks.$label.log" 2>&1
}
# deliver LABEL FILE CLIENT_ADDR [FROM]: send, wait for the sink; $f = the message
deliver() {
	f=""
	if ! send "$@"; then
		ok 1 "$1: accepted by Sendmail"
		sed 's/^/#   /' "$T/swaks.$1.log" | tail -4
		return 1
	fi
	count=$((count + 1))
	if ! sink_wait out $count 30; then
		ok 1 "$1: delivered to the sink"
		count=$(sink_count out)
		return 1
	fi
	f=$(sink_msg out $count)
}
# check LABEL: $f carries our two signatures and both verifiers pass them
check() {
	local py pl
	py=$(dkim_verify_py "$f")
	pl=$(dkim_verify_pl "$f")
	is "$(grep -c ' pass$' <<<"$py")" 2 "$1: dkimpy passes both signatures" || diag "$py"
	like "$py" "example.com rsa rsa-sha256 pass" "$1: dkimpy rsa-sha256"
	like "$py" "example.com ed ed25519-sha256 pass" "$1: dkimpy ed25519-sha256"
	# Debian 12's Mail::DKIM has no Ed25519: it checks the RSA one
	like "$pl" "example.com rsa rsa-sha256 pass" "$1: Mail::DKIM rsa-sha256" || diag "$pl"
}
# ar: the Authentication-Results fields of $f, unfolded, one a line
ar() {
	"$DKIM_PY" -c '
import sys, email.parser, email.policy
m = email.parser.BytesParser(policy=email.policy.compat32).parse(open(sys.argv[1], "rb"))
for v in m.get_all("Authentication-Results") or []:
    print(" ".join(v.split()))
' "$f"
}
sigs() { tr -d '\r\n\t ' <"$f" | grep -o 'DKIM-Signature:[^:]*' | grep -c ';s=\(rsa\|ed\);'; }

for e in ${MK_TEST_ENGINES:-libmilter own}; do
	milter "$e" relaxed/relaxed
	ok $? "[$e] mailaka-dkim started (relaxed/relaxed)" || { diag "skipping engine $e"; continue; }
	is "$(sed -n 's/.*milter engine \([a-z]*\).*/\1/p' "$T/dkim.$e.log" | tail -1)" "$e" \
		"[$e] the milter runs engine $e"

	deliver "$e-plain" "$T/plain.eml" 127.0.0.1 && check "[$e] relaxed plain"
	deliver "$e-folded8" "$T/folded8.eml" 127.0.0.1 && check "[$e] relaxed folded+8bit"
	deliver "$e-folded8a" "$T/folded8a.eml" 127.0.0.1 && check "[$e] relaxed folded To: (rewritten by Sendmail)"
	grep -q '^To: bob@example.org, Carol' "$f" && diag "[$e] Sendmail unfolded the To: header"
	like "$(tr -d '\r\n\t ' <"$f")" "c=relaxed/relaxed" "[$e] c=relaxed/relaxed"
	grep -q $'\xc3\xa9' "$f"
	ok $? "[$e] the 8-bit body arrived 8-bit"
	deliver "$e-big" "$T/big.eml" 127.0.0.1 && check "[$e] relaxed 1 MB body"
	"$DKIM_PY" "$T/multi.py" 127.0.0.13 "$SM_PORT_mx" "$e" >"$T/multi.$e.log" 2>&1
	ok $? "[$e] 3 messages and a RSET on one SMTP connection accepted" ||
		sed 's/^/#   /' "$T/multi.$e.log" | tail -3
	count=$((count + 3))
	sink_wait out $count 30
	ok $? "[$e] the 3 messages delivered"
	for i in 1 2 3; do
		f=$(sink_msg out $((count - 3 + i)))
		check "[$e] message $i of one connection"
	done

	# SMTP AUTH from a client that is not internal
	if [ -n "$have_auth" ]; then
		deliver "$e-auth" "$T/plain.eml" 127.0.0.6 alice@example.com \
			--auth PLAIN --auth-user alice@example.com --auth-password 'pw of alice' &&
			check "[$e] authenticated client (SMTP AUTH via Sendmail)"
		like "$(cat "$T/dkim.$e.log")" "action=sign .* login=alice@example\.com" \
			"[$e] {auth_authen} reached the milter: login=alice@example.com logged"
		n=$(sink_count out)
		send "$e-authbad" "$T/otherfrom.eml" 127.0.0.6 alice@example.com \
			--auth PLAIN --auth-user alice@example.com --auth-password 'pw of alice'
		like "$(grep '<\*\*' "$T/swaks.$e-authbad.log" | head -1)" "^<\*\* +5[0-9][0-9] " \
			"[$e] authenticated login, From of another domain: 5xx at end of DATA" ||
			sed 's/^/#   /' "$T/swaks.$e-authbad.log" | tail -4
		is "$(sink_count out)" "$n" "[$e] the mismatched message was not delivered"
	else
		ok 0 "# SKIP SMTP AUTH cases: no namespace or saslpasswd2"
	fi

	# verification: a message signed by dkimpy from a client that is not internal
	deliver "$e-signed" "$T/signed.eml" 127.0.0.6 sender@example.com
	like "$(ar)" "^mx\.example\.net; dkim=pass header\.d=example\.com header\.i=@example\.com header\.s=py header\.a=rsa-sha256" \
		"[$e] external dkimpy signature: dkim=pass"
	is "$(sigs)" 0 "[$e] external client: not signed by us"
	deliver "$e-tampered" "$T/tampered.eml" 127.0.0.6 sender@example.com
	like "$(ar)" "^mx\.example\.net; dkim=fail reason=\"body hash mismatch\" header\.d=example\.com" \
		"[$e] tampered body: dkim=fail"

	# tempfail: the key lookup times out
	n=$(sink_count out)
	dns_pause
	send "$e-tempfail" "$T/slow.eml" 127.0.0.6 sender@example.com
	dns_resume
	like "$(grep '<\*\*' "$T/swaks.$e-tempfail.log" | head -1)" "^<\*\* +451 4\.7\.5 .*DKIM key lookup failed temporarily" \
		"[$e] key lookup timeout: Sendmail answers 451 4.7.5 at end of DATA" ||
		sed 's/^/#   /' "$T/swaks.$e-tempfail.log" | tail -4
	is "$(sink_count out)" "$n" "[$e] tempfailed message not delivered"

	milter "$e" simple/simple
	ok $? "[$e] mailaka-dkim restarted (simple/simple, default OversignHeaders)"
	deliver "$e-splain" "$T/plain.eml" 127.0.0.1 && check "[$e] simple plain"
	deliver "$e-sfolded8" "$T/folded8.eml" 127.0.0.1 && check "[$e] simple folded+8bit"
	like "$(tr -d '\r\n\t ' <"$f")" "c=simple/simple" "[$e] c=simple/simple"
	deliver "$e-nodate" "$T/nodate.eml" 127.0.0.1 && check "[$e] simple, no Date/Message-ID"
	is "$(grep -ci '^\(Date\|Message-Id\):' "$f")" 2 "[$e] Sendmail added Date: and Message-Id: after signing"
	like "$(cat "$T/dkim.$e.log")" "action=sign d=example.com,example.com s=rsa,ed a=rsa-sha256,ed25519-sha256" \
		"[$e] one log line per signed message"
	dkim_milter_stop
	! grep -E 'AddressSanitizer|LeakSanitizer|runtime error' "$T/dkim.$e.log"
	ok $? "[$e] mailaka-dkim stopped with no sanitizer report"
done
sm_wait_sent mx "$count" 20
like "$(cat "$(sm_log mx)")" "Milter: data, reject=451 4\.7\.5" "Sendmail logged the milter's 451"
done_testing
