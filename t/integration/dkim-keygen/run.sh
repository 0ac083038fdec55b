#!/usr/bin/env bash
# `mailaka dkim-keygen`: RSA and Ed25519 keys written 0600 (never
# overwritten), the printed TXT record split into <= 255-byte strings; the
# record published as printed in the DNS fixture and the key used by
# mailaka-dkim through a real Postfix: python3-dkim verifies both signatures.
# Skipped until cli/mailaka has the command (MAILAKA_KEYGEN may name another
# binary taking the same arguments).
. "$top_srcdir/t/lib.sh"
. "$top_srcdir/t/lib/dns.sh"
. "$top_srcdir/t/integration/dkim-common/lib.sh"

KEYGEN=${MAILAKA_KEYGEN:-$top_builddir/cli/mailaka}
[ -x "$KEYGEN" ] || skip_all "no $KEYGEN"
"$KEYGEN" help dkim-keygen >/dev/null 2>&1 || skip_all "mailaka dkim-keygen not wired into cli/ yet"
dns_require
dkim_require

K=$T/keys
mkdir -p "$K"
out=$("$KEYGEN" dkim-keygen Example.COM sel2048 --bits 2048 --dir "$K" 2>"$T/kg.err")
ok $? "RSA key generated"
like "$out" '^sel2048\._domainkey\.example\.com\. IN TXT \( "v=DKIM1; k=rsa; p=[A-Za-z0-9+/=]+" "[A-Za-z0-9+/=]+" \)$' \
	"RSA record: name, k=rsa, split in two strings"
is "$(stat -c %a "$K/sel2048.key")" 600 "private key mode 0600"
long=$(grep -o '"[^"]*"' <<<"$out" | awk '{ if (length($0) - 2 > 255) print }')
is "$long" "" "no string longer than 255 bytes"
is "$(cat "$K/sel2048.txt")" "$out" "record also written to sel2048.txt"
"$KEYGEN" dkim-keygen example.com sel2048 --dir "$K" >/dev/null 2>&1
is $? 1 "existing key not overwritten (exit 1)"
"$KEYGEN" dkim-keygen example.com x --bits 512 --dir "$K" >/dev/null 2>&1
is $? 2 "--bits 512 refused (exit 2)"
"$KEYGEN" dkim-keygen 'bad domain' --dir "$K" >/dev/null 2>&1
is $? 2 "bad domain refused (exit 2)"

outed=$("$KEYGEN" dkim-keygen example.com --type ed25519 --dir "$K" 2>/dev/null)
ok $? "Ed25519 key generated"
like "$outed" '^ed25519\._domainkey\.example\.com\. IN TXT \( "v=DKIM1; k=ed25519; p=[A-Za-z0-9+/]{43}=" \)$' \
	"Ed25519 record: 32-byte raw key (RFC 8463)"

# publish the records exactly as printed
publish() {	# publish RECORD
	local name strings
	name=${1%%. IN TXT*}
	strings=$(grep -o '"[^"]*"' <<<"$1" | tr -d '"' | tr -d '\n')
	dns_zone_add "$name" 300 TXT "$strings"
}
publish "$out"
publish "$outed"
dns_start || bail_out "no DNS"

printf '%s\n' "rsa example.com:sel2048:$K/sel2048.key" "ed example.com:ed25519:$K/ed25519.key" \
	>"$T/keytable"
printf '%s\n' "*@example.com rsa" "*@example.com ed" >"$T/signingtable"
printf '%s\n' "Socket local:$T/dkim.sock" "Mode s" "KeyTable $T/keytable" \
	"SigningTable refile:$T/signingtable" "MultipleSignatures yes" >"$T/dkim.conf"
dkim_milter_start "$T/dkim.conf" || bail_out "milter did not start"
dkim_sink_start || bail_out "no sink"
dkim_postfix_start "$T/dkim.sock" || bail_out "no postfix"
printf '%s\n' "From: a@example.com" "To: b@example.org" "Subject: keygen" "" "body" >"$T/m.eml"
timeout 30 swaks --server 127.0.0.1 --port "$PF_PORT" --from a@example.com --to b@example.org \
	--data @"$T/m.eml" </dev/null >"$T/swaks.log" 2>&1
dkim_wait_sink 1
ok $? "message delivered"
py=$(dkim_verify_py "$(dkim_sink_msg 1)")
like "$py" "example.com sel2048 rsa-sha256 pass" "dkimpy: RSA signature with the generated key passes"
like "$py" "example.com ed25519 ed25519-sha256 pass" "dkimpy: Ed25519 signature with the generated key passes"
dkim_milter_stop
! grep -E 'AddressSanitizer|LeakSanitizer|runtime error' "$T/dkim.log"
ok $? "no sanitizer report"
done_testing
