#!/usr/bin/env bash
# mailaka-dkim signing through a real Postfix: swaks -> Postfix (smtpd_milters
# = mailaka-dkim) -> smtp-sink; each delivered message is verified by two
# independent verifiers (python3-dkim for both signatures, Mail::DKIM for
# RSA: Debian 12's version has no Ed25519) against the keys
# published in the DNS fixture.  RSA-2048 and Ed25519 keys for one domain
# (KeyTable + refile: SigningTable, MultipleSignatures: both signatures on
# every message), relaxed and simple canonicalization, a multipart MIME
# message, an 8-bit body and a 100 000-byte header line; oversigned headers, t= and no l=; a domain
# without a key is not signed.  The config is an OpenDKIM one (keys we do
# not use included) and runs unchanged.
. "$top_srcdir/t/lib.sh"
. "$top_srcdir/t/lib/dns.sh"
. "$top_srcdir/t/integration/dkim-common/lib.sh"

dns_require
dkim_require

dkim_keys rsa:rsa ed:ed25519
dns_zone_add rsa._domainkey.example.com 300 TXT "$(dkim_pubkey_txt "$K/rsa.key")"
dns_zone_add ed._domainkey.example.com 300 TXT "$(dkim_pubkey_txt "$K/ed.key")"
dns_start
ok $? "DNS fixture on $DNS_RESOLVER" || bail_out "no DNS"

printf '%s\n' "rsa._domainkey.example.com example.com:rsa:$K/rsa.key" \
	"ed._domainkey.example.com example.com:ed:$K/ed.key" >"$T/keytable"
printf '%s\n' "*@example.com rsa._domainkey.example.com" \
	"*@example.com ed._domainkey.example.com" >"$T/signingtable"

conf() {	# conf CANON: an opendkim.conf as found in a deployment
	printf '%s\n' "# copied from an OpenDKIM deployment" \
		"Syslog yes" "SyslogSuccess yes" "UMask 007" \
		"Socket local:$T/dkim.sock" "Mode sv" \
		"KeyTable file:$T/keytable" "SigningTable refile:$T/signingtable" \
		"MultipleSignatures yes" "InternalHosts 127.0.0.1" \
		"Canonicalization $1" "Nameservers $DNS_RESOLVER" \
		"AuthservID mx.example.net" "SignEngine ${DKIM_SIGN_ENGINE:-native}" \
		"${2:-}" >"$T/dkim.conf"
}
conf relaxed/relaxed
dkim_milter_start "$T/dkim.conf"
ok $? "mailaka-dkim started" || bail_out "milter did not start"
dkim_sink_start
ok $? "smtp-sink on 127.0.0.11:$SINK_PORT" || bail_out "no sink"
dkim_postfix_start "$T/dkim.sock"
ok $? "Postfix on 127.0.0.1:$PF_PORT" || bail_out "no postfix"

printf '%s\n' "From: Alice <alice@example.com>" "To: Bob <bob@example.org>" \
	"Subject: plain text" "Date: Sat, 28 Nov 2026 01:00:00 +0000" \
	"Message-ID: <plain@example.com>" "" "Hello Bob," \
	"  two spaces and trailing spaces   " ".dot at line start" "" >"$T/plain.eml"
printf '%s\n' "From: alice@example.com" "To: bob@example.org" \
	"Subject: =?UTF-8?Q?multipart_=C3=A9?=" "Date: Sat, 28 Nov 2026 01:00:01 +0000" \
	"Message-ID: <mime@example.com>" "MIME-Version: 1.0" \
	'Content-Type: multipart/mixed; boundary="b1"' "" "--b1" \
	"Content-Type: text/plain; charset=utf-8" \
	"Content-Transfer-Encoding: quoted-printable" "" "caf=C3=A9" "--b1" \
	"Content-Type: application/octet-stream" "Content-Transfer-Encoding: base64" "" \
	"AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8=" "--b1--" >"$T/mime.eml"
printf 'From: alice@example.com\nTo: bob@example.org\nSubject: 8bit\nMIME-Version: 1.0\nContent-Type: text/plain; charset=utf-8\nContent-Transfer-Encoding: 8bit\n\nGr\xc3\xbc\xc3\x9fe, caf\xc3\xa9 \xe2\x82\xac\n' >"$T/8bit.eml"
{ printf '%s\n' "From: alice@example.com" "To: bob@example.org" "Subject: long header line"
  # words, so that Postfix's smtp client can fold it at white space (998)
  printf 'X-Long: %s\n' "$(yes 'word4567 ' | head -c 100000 | tr -d '\n')"
  printf '%s\n' "" "a 100 000-byte header line before this body"; } >"$T/long.eml"
printf '%s\n' "From: carol@example.net" "To: bob@example.org" \
	"Subject: no key for this domain" "" "body" >"$T/nokey.eml"

send() {	# send FILE [FROM]: rc of swaks
	[ -s "$1" ] || return 1
	timeout 30 swaks --server 127.0.0.1 --port "$PF_PORT" --from "${2:-alice@example.com}" \
		--to bob@example.org --data @"$1" </dev/null >"$T/swaks.log" 2>&1
}

# check N NAME: message N carries two signatures that both verifiers pass
check() {
	local n=$1 name=$2 f py pl
	f=$(dkim_sink_msg "$n")
	py=$(dkim_verify_py "$f")
	pl=$(dkim_verify_pl "$f")
	is "$(grep -c ' pass$' <<<"$py")" 2 "$name: dkimpy passes both signatures" || diag "$py"
	like "$py" "example.com rsa rsa-sha256 pass" "$name: dkimpy rsa-sha256"
	like "$py" "example.com ed ed25519-sha256 pass" "$name: dkimpy ed25519-sha256"
	# Debian 12's Mail::DKIM (1.20230212) has no Ed25519: it checks the RSA one
	like "$pl" "example.com rsa rsa-sha256 pass" "$name: Mail::DKIM rsa-sha256" || diag "$pl"
}

count=0
for m in plain mime 8bit long; do
	send "$T/$m.eml"
	ok $? "swaks $m accepted" || sed 's/^/#   /' "$T/swaks.log" | tail -5
	count=$((count + 1))
	dkim_wait_sink $count
	ok $? "$m delivered to the sink"
	check $count "relaxed $m"
done

f=$(dkim_sink_msg 1)
sig=$(python3 -c '
import sys, re
msg = open(sys.argv[1], "rb").read().decode("utf-8", "replace")
hdrs = msg.split("\r\n\r\n", 1)[0] + "\r\nX-End: x"
for m in re.finditer(r"(?ims)^DKIM-Signature:(.*?)(?=^\S)", hdrs):
    v = re.sub(r"\s+", "", m.group(1))
    if "a=rsa-sha256" in v:
        print(v)
' "$f")
h=$(sed -n 's/.*;h=\([^;]*\);.*/\1/p' <<<"$sig" | tr 'A-Z' 'a-z')
is "$(tr ':' '\n' <<<"$h" | grep -cx from)" 2 "From oversigned (twice in h=)"
is "$(tr ':' '\n' <<<"$h" | grep -cx subject)" 2 "Subject oversigned"
like ":$h:" ":message-id:" "Message-ID signed"
like "$sig" ";c=relaxed/relaxed;" "c=relaxed/relaxed"
like "$sig" ";t=[0-9]+;" "t= set"
[[ "$sig" != *";l="* ]]
ok $? "no l= tag"

send "$T/nokey.eml" carol@example.net
count=$((count + 1))
dkim_wait_sink $count
f=$(dkim_sink_msg $count)
! grep -qi '^DKIM-Signature:' "$f"
ok $? "example.net (no key) not signed"
like "$(cat "$T/dkim.log")" "action=pass.*no signing key" "unsigned message logged with the reason"

# simple/simple
dkim_milter_stop
conf simple/simple "SignatureTTL 2d"
dkim_milter_start "$T/dkim.conf"
ok $? "mailaka-dkim restarted with simple/simple"
for m in plain mime; do
	send "$T/$m.eml"
	count=$((count + 1))
	dkim_wait_sink $count
	ok $? "simple $m delivered"
	check $count "simple $m"
done
f=$(dkim_sink_msg $count)
like "$(tr -d '\r\n\t ' <"$f")" "c=simple/simple" "c=simple/simple"
t=$(tr -d '\r\n\t ' <"$f" | grep -o 't=[0-9]*;' | head -1 | tr -dc 0-9)
x=$(tr -d '\r\n\t ' <"$f" | grep -o 'x=[0-9]*;' | head -1 | tr -dc 0-9)
is "$(( ${x:-0} - ${t:-0} ))" 172800 "SignatureTTL 2d: x= is t= + 172800"
like "$(cat "$T/dkim.log")" "action=sign d=example.com,example.com s=rsa,ed a=rsa-sha256,ed25519-sha256 login=-" \
	"one log line per signed message with d=, s=, a="
dkim_milter_stop
! grep -E 'AddressSanitizer|LeakSanitizer|runtime error' "$T/dkim.log"
ok $? "mailaka-dkim stopped with no sanitizer report"
done_testing
