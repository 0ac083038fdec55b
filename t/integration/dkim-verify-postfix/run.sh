#!/usr/bin/env bash
# mailaka-dkim verification through a real Postfix: messages signed by an
# independent signer (dkimpy) arrive from an external client; the delivered
# copy must carry one Authentication-Results entry per DKIM-Signature with
# RFC 8301 / RFC 6376 results: pass (RSA, Ed25519, the RFC 8463 example),
# fail (body changed), permerror (missing key, revoked key, key whose k=
# or h= excludes the signature, v= not 1), policy (rsa-sha1, 512-bit RSA),
# temperror (SERVFAIL, timeout, a per-message DNS time budget; On-DNSError
# accept); forged A-R fields with
# our authserv-id removed, others kept; 40 signatures -> 32 entries; with the default On-DNSError
# (tempfail) a key timeout gets 451 after a SIGUSR1 reload.  VerifyEngine
# from DKIM_VERIFY_ENGINE (default native; dkim-verify-libopendkim runs it
# with libopendkim).
. "$top_srcdir/t/lib.sh"
. "$top_srcdir/t/lib/dns.sh"
. "$top_srcdir/t/integration/dkim-common/lib.sh"

dns_require
dkim_require

dkim_keys rsa:rsa small:rsa512 ed:ed25519
rsa_txt=$(dkim_pubkey_txt "$K/rsa.key")
rsa_p=${rsa_txt#*p=}
dns_zone_add py._domainkey.example.com 300 TXT "$rsa_txt"
dns_zone_add ed._domainkey.example.com 300 TXT "$(dkim_pubkey_txt "$K/ed.key")"
dns_zone_add small._domainkey.example.com 300 TXT "$(dkim_pubkey_txt "$K/small.key")"
dns_zone_add revoked._domainkey.example.com 300 TXT "v=DKIM1; k=rsa; p="
dns_zone_add wrongk._domainkey.example.com 300 TXT "v=DKIM1; k=ed25519; p=$rsa_p"
dns_zone_add hsha1._domainkey.example.com 300 TXT "v=DKIM1; h=sha1; k=rsa; p=$rsa_p"
dns_zone_add slow._domainkey.example.com 300 TXT "$rsa_txt"
dns_servfail broken.example.com
# RFC 8463 appendix A keys (the example message ships with python3-dkim)
RFCDATA=/usr/lib/python3/dist-packages/dkim/tests/data
dns_zone_add brisbane._domainkey.football.example.com 300 TXT \
	"v=DKIM1; k=ed25519; p=11qYAYKxCrfVS/7TyWQHOg7hcvPapiMlrwIaaPcHURo="
[ -r "$RFCDATA/test.txt" ] && dns_zone_add test._domainkey.football.example.com 300 TXT "$(cat "$RFCDATA/test.txt")"
dns_start
ok $? "DNS fixture on $DNS_RESOLVER" || bail_out "no DNS"

conf() {	# conf [EXTRA LINE...]
	printf '%s\n' "Socket local:$T/dkim.sock" "Mode v" "InternalHosts 192.0.2.1" \
		"AuthservID mx.example.net" "Nameservers $DNS_RESOLVER" "DNSTimeout 2" \
		"VerifyEngine ${DKIM_VERIFY_ENGINE:-native}" "$@" \
		>"$T/dkim.conf"
}
conf "On-DNSError accept"
dkim_milter_start "$T/dkim.conf"
ok $? "mailaka-dkim started (verify)" || bail_out "milter did not start"
dkim_sink_start || bail_out "no sink"
dkim_postfix_start "$T/dkim.sock" || bail_out "no postfix"

base() {	# base SUBJECT [EXTRA HEADER]
	printf '%s\n' "From: sender@example.com" "To: bob@example.org" "Subject: $1" \
		"Date: Sat, 28 Nov 2026 01:00:00 +0000" ${2:+"$2"} "" "Hello," "the body." ""
}
sign() {	# sign KEY SELECTOR DOMAIN ALG < msg
	"$DKIM_PY" "$DKIM_COMMON/dkimpy_sign.py" "$@"
}
count=0
# deliver NAME FILE: send, wait, set $ar to the delivered A-R fields (unfolded, one a line)
deliver() {
	local name=$1 f
	timeout 60 swaks --server 127.0.0.1 --port "$PF_PORT" --from sender@example.com \
		--to bob@example.org --data @"$2" </dev/null >"$T/swaks.$name.log" 2>&1
	count=$((count + 1))
	if ! dkim_wait_sink $count 20; then
		ok 1 "$name: delivered"
		sed 's/^/#   /' "$T/swaks.$name.log" | tail -3
		count=$((count - 1))
		ar=""
		return 1
	fi
	f=$(dkim_sink_msg $count)
	ar=$("$DKIM_PY" -c '
import sys, email.parser, email.policy
m = email.parser.BytesParser(policy=email.policy.compat32).parse(open(sys.argv[1], "rb"))
for v in m.get_all("Authentication-Results") or []:
    print(" ".join(v.split()))
' "$f")
}

base "rsa pass" | sign "$K/rsa.key" py example.com rsa-sha256 >"$T/m1"
deliver rsa "$T/m1"
like "$ar" "^mx\.example\.net; dkim=pass header\.d=example\.com header\.i=@example\.com header\.s=py header\.a=rsa-sha256 header\.b=\"?[A-Za-z0-9+/]{8}" \
	"dkimpy RSA signature: dkim=pass with header.d/s/a/b"

base "ed pass" | sign "$K/ed.key" ed example.com ed25519-sha256 >"$T/m2"
deliver ed "$T/m2"
like "$ar" "dkim=pass header\.d=example\.com .*header\.s=ed header\.a=ed25519-sha256" \
	"dkimpy Ed25519 signature: dkim=pass"

base "simple" | sign "$K/rsa.key" py example.com rsa-sha256 simple/simple >"$T/m3"
deliver simple "$T/m3"
like "$ar" "dkim=pass header\.d=example\.com" "c=simple/simple: dkim=pass"

sed 's/the body\./the body, changed after signing./' "$T/m1" >"$T/m4"
deliver changed "$T/m4"
like "$ar" "dkim=fail reason=\"body hash mismatch\" header\.d=example\.com" "body changed: dkim=fail"

base "no key" | sign "$K/rsa.key" nokey example.com rsa-sha256 >"$T/m5"
deliver nokey "$T/m5"
like "$ar" "dkim=permerror reason=\"no key for signature\" header\.d=example\.com .*header\.s=nokey" \
	"missing key: dkim=permerror"

base "revoked" | sign "$K/rsa.key" revoked example.com rsa-sha256 >"$T/m6"
deliver revoked "$T/m6"
like "$ar" "dkim=permerror reason=\"key revoked\"" "revoked key (p=): dkim=permerror"

base "wrong k" | sign "$K/rsa.key" wrongk example.com rsa-sha256 >"$T/m7"
deliver wrongk "$T/m7"
like "$ar" "dkim=permerror .*header\.s=wrongk" "key k=ed25519 for an RSA signature: dkim=permerror"

base "h=sha1 key" | sign "$K/rsa.key" hsha1 example.com rsa-sha256 >"$T/m8"
deliver hsha1 "$T/m8"
like "$ar" "dkim=permerror .*header\.s=hsha1" "key h=sha1 for an rsa-sha256 signature: dkim=permerror"

base "sha1" | sign "$K/rsa.key" py example.com rsa-sha1 >"$T/m9"
deliver sha1 "$T/m9"
like "$ar" "dkim=policy reason=\"rsa-sha1 is not accepted \(RFC 8301\)\"" "rsa-sha1: dkim=policy"

base "small" | sign "$K/small.key" small example.com rsa-sha256 >"$T/m10" 2>"$T/m10.err"
if [ -s "$T/m10" ]; then
	deliver small "$T/m10"
	like "$ar" "dkim=policy reason=\"RSA key of 512 bits" "512-bit RSA key: dkim=policy"
else
	ok 1 "dkimpy signed with a 512-bit key"; sed 's/^/#   /' "$T/m10.err"
fi

sed 's/^DKIM-Signature: v=1;/DKIM-Signature: v=2;/' "$T/m1" >"$T/m11"
deliver v2 "$T/m11"
like "$ar" "dkim=permerror reason=\"unsupported signature version v=2\"" "v=2: dkim=permerror"

# two signatures, one good one without key: two entries
sign "$K/rsa.key" nokey example.com rsa-sha256 <"$T/m1" >"$T/m12"
deliver two "$T/m12"
is "$(grep -o 'dkim=[a-z]*' <<<"$ar" | tr '\n' ' ')" "dkim=permerror dkim=pass " \
	"two signatures: two entries, in header order"

# 40 signatures (garbage): 32 entries, the last one says so
{ for i in $(seq 1 40); do printf 'DKIM-Signature: v=1; a=rsa-sha256; d=example.com; s=s%d; h=from; bh=AAAA; b=BBBBBBBB%d\n' $i $i; done
  base "forty"; } >"$T/m17"
deliver forty "$T/m17"
is "$(grep -o 'dkim=' <<<"$ar" | wc -l)" 32 "40 signatures: 32 Authentication-Results entries"
like "$ar" "dkim=permerror reason=\"too many signatures\" header\.d=example\.com header\.s=s32" \
	"  the last one says too many signatures"

# forged A-R with our authserv-id removed, a foreign one kept
base "forged" "Authentication-Results: mx.example.net; dkim=pass header.d=paypal.com" |
	sed '1i Authentication-Results: other.example; spf=pass smtp.mailfrom=example.com' |
	sign "$K/rsa.key" py example.com rsa-sha256 >"$T/m13"
deliver forged "$T/m13"
is "$(grep -c '^mx\.example\.net;' <<<"$ar")" 1 "forged A-R with our authserv-id removed (ours remains)"
ok $([[ "$ar" != *paypal* ]] && echo 0 || echo 1) "the forged result is gone"
like "$ar" "^other\.example; spf=pass" "A-R of another authserv-id kept"

# RFC 8463 appendix A: Ed25519 + RSA signatures
if [ -r "$RFCDATA/rfc6376.signed.msg" ]; then
	deliver rfc8463 "$RFCDATA/rfc6376.signed.msg"
	like "$ar" "dkim=pass header\.d=football\.example\.com header\.i=@football\.example\.com header\.s=brisbane header\.a=ed25519-sha256" \
		"RFC 8463 example: Ed25519 signature passes"
	like "$ar" "dkim=pass header\.d=football\.example\.com header\.i=@football\.example\.com header\.s=test header\.a=rsa-sha256" \
		"RFC 8463 example: RSA signature passes"
else
	ok 0 "# SKIP RFC 8463 example data not installed"
fi

# SERVFAIL on the key: temperror, message accepted (On-DNSError accept)
base "servfail" | sign "$K/rsa.key" py broken.example.com rsa-sha256 >"$T/m14"
deliver servfail "$T/m14"
like "$ar" "dkim=temperror reason=\"key lookup: servfail\" header\.d=broken\.example\.com" \
	"SERVFAIL on the key: dkim=temperror"

# timeout
base "timeout" | sign "$K/rsa.key" slow example.com rsa-sha256 >"$T/m15"
dns_pause
deliver timeout "$T/m15"
dns_resume
like "$ar" "dkim=temperror reason=\"key lookup: timeout\"" "DNS timeout on the key: dkim=temperror"

# five signatures on a dead DNS: the key lookups of one message stop after
# 3 x DNSTimeout (6 s), each signature still gets temperror
m=$(base "five slow")
for i in 1 2 3 4 5; do
	m=$(printf '%s\n' "$m" | sign "$K/rsa.key" "slow$i" example.com rsa-sha256)
done
printf '%s\n' "$m" >"$T/m18"
dns_pause
t0=$(date +%s%N)
deliver fiveslow "$T/m18"
t1=$(date +%s%N)
dns_resume
is "$(grep -o 'dkim=temperror' <<<"$ar" | wc -l)" 5 "five signatures, dead DNS: five temperror entries"
el=$(( (t1 - t0) / 1000000 ))
# each lookup on the paused server takes >= DNSTimeout, so once 3 x DNSTimeout
# is spent (after at most 3 lookups) the rest are not tried: >= 2 of the 5
spent=$(grep -o 'DNS time for this message spent' <<<"$ar" | wc -l)
[ "$spent" -ge 2 ]
ok $? "  lookups bounded by 3 x DNSTimeout: $spent of 5 not tried (delivered in ${el} ms)"

# default On-DNSError (tempfail) after a SIGUSR1 reload: 451, nothing delivered
conf
kill -USR1 "$DKIM_PID"
mk_wait_for 10 grep -q 'configuration reloaded' "$T/dkim.log"
ok $? "SIGUSR1 reload logged"
base "timeout2" | sign "$K/rsa.key" slow example.com rsa-sha256 >"$T/m16"
dns_pause
timeout 60 swaks --server 127.0.0.1 --port "$PF_PORT" --from sender@example.com \
	--to bob@example.org --data @"$T/m16" </dev/null >"$T/swaks.tf.log" 2>&1
dns_resume
like "$(cat "$T/swaks.tf.log")" "451 4\.7\.5 DKIM key lookup failed temporarily" \
	"default On-DNSError: key timeout -> 451 4.7.5"
like "$(cat "$T/dkim.log")" "action=verify result=pass:example.com/py disposition=accept" \
	"one log line per verified message"
dkim_milter_stop
! grep -E 'AddressSanitizer|LeakSanitizer|runtime error' "$T/dkim.log"
ok $? "mailaka-dkim stopped with no sanitizer report"
done_testing
