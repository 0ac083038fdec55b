#!/usr/bin/env bash
# mailaka dns: the records it prints are exact, their TXT strings are at
# most 255 bytes, the DKIM p= values equal the public keys openssl computes
# (RSA SubjectPublicKeyInfo, Ed25519 raw 32 bytes) and the ones
# opendkim-genkey writes; loaded into a real DNS server (the fixture) and
# read back with dig, they make "mailaka check" pass.
. "$top_srcdir/t/lib.sh"
. "$top_srcdir/t/lib/dns.sh"
dns_require
mk_require openssl base64 dig
MAILAKA=$top_builddir/cli/mailaka
CONF=$T/conf
K=$CONF/dkim/example.test
mkdir -p "$K"
openssl genpkey -algorithm rsa -pkeyopt rsa_keygen_bits:2048 -out "$K/rsa.key" 2>/dev/null
openssl genpkey -algorithm ed25519 -out "$K/ed.key" 2>/dev/null
chmod 600 "$K"/*.key
P_RSA=$(openssl pkey -in "$K/rsa.key" -pubout -outform DER 2>/dev/null | base64 -w0)
P_ED=$(openssl pkey -in "$K/ed.key" -pubout -outform DER 2>/dev/null | tail -c 32 | base64 -w0)

out=$("$MAILAKA" -C "$CONF" dns example.test --ipv4 127.0.0.2 --ipv6 ::1 --rua dmarc@example.test \
	--ruf ruf@example.test --mta-sts 20261128 --tls-rpt tls@example.test 2>"$T/err")
is "$?" 0 "dns: exit 0" || sed 's/^/#   /' "$T/err"
has() { printf '%s\n' "$out" | grep -qxF -- "$1"; ok $? "dns prints: $1"; }
has 'example.test. IN MX 10 mail.example.test.'
has 'mail.example.test. IN A 127.0.0.2'
has 'mail.example.test. IN AAAA ::1'
has 'example.test. IN TXT ( "v=spf1 mx ip4:127.0.0.2 ip6:::1 ~all" )'
has '_dmarc.example.test. IN TXT ( "v=DMARC1; p=quarantine; fo=1; rua=mailto:dmarc@example.test; ruf=mailto:ruf@example.test" )'
has '_mta-sts.example.test. IN TXT ( "v=STSv1; id=20261128" )'
has '_smtp._tls.example.test. IN TXT ( "v=TLSRPTv1; rua=mailto:tls@example.test" )'
has ';   2.0.0.127.in-addr.arpa. IN PTR mail.example.test.'
has "ed._domainkey.example.test. IN TXT ( \"v=DKIM1; k=ed25519; p=$P_ED\" )"

# TXT strings: each at most 255 bytes; the RSA record needs two
python3 - "$P_RSA" >"$T/split" 2>&1 <<PY
import re, sys
out = '''$out'''
rsa = [l for l in out.splitlines() if l.startswith('rsa._domainkey.example.test. IN TXT')]
assert len(rsa) == 1, rsa
strings = re.findall(r'"((?:[^"\\\\]|\\\\.)*)"', rsa[0])
assert len(strings) == 2, strings
assert all(len(s) <= 255 for s in strings) and len(strings[0]) == 255
assert ''.join(strings) == 'v=DKIM1; k=rsa; p=' + sys.argv[1], 'p differs from openssl'
for l in out.splitlines():
    for s in re.findall(r'"((?:[^"\\\\]|\\\\.)*)"', l):
        assert len(s) <= 255, l
print('ok')
PY
ok $? "RSA record: two strings (255 + rest), p= is openssl's SubjectPublicKeyInfo" || sed 's/^/#   /' "$T/split"

# load what it printed into the DNS server (PTR comments too), read back with dig
while IFS= read -r l; do
	case $l in
	';   '*' IN PTR '*) l=${l#;   } ;;
	';'*|'') continue ;;
	esac
	name=${l%% IN *}
	rest=${l#* IN }
	rest=${rest//( /}
	rest=${rest// )/}
	dns_rr "$name 60 IN $rest"
done <<<"$out"
dns_start || bail_out "DNS fixture did not start"
d() { dig +short +tries=1 +time=2 -p "$DNS_PORT" @"$DNS_ADDR" "$@"; }
is "$(d MX example.test)" "10 mail.example.test." "dig reads the MX back"
got=$(d TXT rsa._domainkey.example.test | python3 -c 'import re,sys; print("".join(re.findall(r"\"([^\"]*)\"", sys.stdin.read())))')
is "$got" "v=DKIM1; k=rsa; p=$P_RSA" "dig reads the RSA DKIM record back whole"
is "$(d -x 127.0.0.2)" "mail.example.test." "dig reads the PTR back"
out2=$("$MAILAKA" -C "$CONF" check example.test --resolver "$DNS_RESOLVER" --ports "" 2>&1)
is "$?" 0 "mailaka check passes on what mailaka dns printed" || printf '%s\n' "$out2" | sed 's/^/#   /'
like "$out2" 'OK   spf 127.0.0.2: pass' "...SPF authorizes the IPv4 address"
like "$out2" 'OK   spf ::1: pass' "...and the IPv6 address"

# keys made by opendkim-genkey: its .txt (zone-file format) and its private key
if command -v opendkim-genkey >/dev/null; then
	O=$CONF/dkim/other.test
	mkdir -p "$O" "$T/og"
	opendkim-genkey -D "$T/og" -d other.test -s og
	want=$(python3 -c 'import re,sys; t=open(sys.argv[1]).read().split(";  -----")[0]; print("".join(re.findall(r"\"([^\"]*)\"", t)))' "$T/og/og.txt")
	cp "$T/og/og.txt" "$O/og.txt"
	out=$("$MAILAKA" -C "$CONF" dns other.test 2>&1)
	got=$(printf '%s\n' "$out" | grep '^og._domainkey' | python3 -c 'import re,sys; print("".join(re.findall(r"\"([^\"]*)\"", sys.stdin.read())))')
	is "$got" "$want" "a .txt without a private key is printed as opendkim-genkey wrote it"
	cp "$T/og/og.private" "$O/og.key"
	out=$("$MAILAKA" -C "$CONF" dns other.test 2>&1)
	p=$(printf '%s' "$want" | sed -n 's/.*p=//p')
	printf '%s\n' "$out" | python3 -c 'import re,sys; l=[x for x in sys.stdin.read().splitlines() if x.startswith("og._domainkey")][0]; print("".join(re.findall(r"\"([^\"]*)\"", l)))' >"$T/og.got"
	is "$(cat "$T/og.got")" "v=DKIM1; k=rsa; p=$p" "the p= computed from opendkim-genkey's private key equals its published p="
else
	ok 0 "# SKIP opendkim-genkey missing"
fi

# no key: a hint, exit 0; bad input: exit 2
out=$("$MAILAKA" -C "$CONF" dns none.test 2>&1)
is "$?" 0 "no DKIM key: exit 0"
like "$out" "no DKIM key under $CONF/dkim/none.test/: make one with" "no DKIM key: hint to dkim-keygen"
like "$out" 'none.test. IN TXT \( "v=spf1 a mx ~all" \)' "no addresses given: SPF uses a and mx"
"$MAILAKA" dns 'bad domain' >/dev/null 2>&1
is "$?" 2 "bad domain: exit 2"
"$MAILAKA" dns example.test --ipv4 ::1 >/dev/null 2>&1
is "$?" 2 "IPv6 address given as --ipv4: exit 2"
done_testing
