#!/usr/bin/env bash
# mailaka check against the DNS fixture (real unbound on loopback):
# a good zone passes; a broken zone gets each broken record named (wrong
# SPF, missing DKIM key record, DKIM key that does not match the private
# key, bad DMARC policy, PTR that is not forward-confirmed); an empty zone
# fails everything; certificates (expired, wrong name, untrusted) and SMTP
# ports (smtp-sink listening / closed port).  DKIM public keys published
# here are computed by openssl, not by mailaka.
. "$top_srcdir/t/lib.sh"
. "$top_srcdir/t/lib/dns.sh"
dns_require
mk_require openssl base64
MAILAKA=$top_builddir/cli/mailaka
CONF=$T/conf

# --- keys on disk, their public parts computed by openssl ------------------
newkey() {	# newkey DOMAIN SELECTOR rsa|ed25519
	local d=$CONF/dkim/$1
	mkdir -p "$d"
	if [ "$3" = rsa ]; then
		openssl genpkey -algorithm rsa -pkeyopt rsa_keygen_bits:2048 -out "$d/$2.key" 2>/dev/null
	else
		openssl genpkey -algorithm ed25519 -out "$d/$2.key" 2>/dev/null
	fi
	chmod 600 "$d/$2.key"
}
pubkey() {	# pubkey DOMAIN SELECTOR -> base64 p= value
	local f=$CONF/dkim/$1/$2.key
	if openssl pkey -in "$f" -noout -text 2>/dev/null | grep -q ED25519; then
		openssl pkey -in "$f" -pubout -outform DER 2>/dev/null | tail -c 32 | base64 -w0
	else
		openssl pkey -in "$f" -pubout -outform DER 2>/dev/null | base64 -w0
	fi
}
newkey example.test rsa rsa
newkey example.test ed ed25519
newkey broken.test rsa rsa
newkey broken.test ed ed25519
newkey broken.test old rsa
newkey broken.test other rsa

# --- certificates: test CA, good leaf, expired leaf, leaf for another name --
C=$T/certs
mkdir -p "$C" "$CONF/certs/mail.example.test"
(
	cd "$C" || exit 1
	openssl req -x509 -newkey rsa:2048 -nodes -keyout ca.key -out ca.pem -subj /CN=mailaka-test-ca -days 30
	openssl req -newkey rsa:2048 -nodes -keyout srv.key -out srv.csr -subj /CN=mail.example.test
	printf 'subjectAltName=DNS:mail.example.test\n' >san.ext
	printf 'subjectAltName=DNS:www.example.test\n' >other.ext
	openssl x509 -req -in srv.csr -CA ca.pem -CAkey ca.key -CAcreateserial -days 30 -extfile san.ext -out srv.pem
	openssl x509 -req -in srv.csr -CA ca.pem -CAkey ca.key -CAcreateserial -days -1 -extfile san.ext -out expired.pem
	openssl x509 -req -in srv.csr -CA ca.pem -CAkey ca.key -CAcreateserial -days 30 -extfile other.ext -out other.pem
) >"$T/openssl.log" 2>&1 || bail_out "openssl failed: $(cat "$T/openssl.log")"
cat "$C/srv.pem" "$C/ca.pem" >"$CONF/certs/mail.example.test/fullchain.pem"

# --- zones -------------------------------------------------------------------
# good: example.test, mail host 127.0.0.2 and ::1
dns_zone_add example.test 60 MX 10 mail.example.test.
dns_zone_add mail.example.test 60 A 127.0.0.2
dns_zone_add mail.example.test 60 AAAA ::1
dns_zone_add example.test 60 TXT "v=spf1 mx -all"
dns_zone_add example.test 60 TXT "google-site-verification=abc"
dns_zone_add rsa._domainkey.example.test 60 TXT "v=DKIM1; k=rsa; p=$(pubkey example.test rsa)"
dns_zone_add ed._domainkey.example.test 60 TXT "v=DKIM1; k=ed25519; p=$(pubkey example.test ed)"
dns_zone_add _dmarc.example.test 60 TXT "v=DMARC1; p=quarantine; fo=1; rua=mailto:dmarc@example.test"
dns_zone_add 2.0.0.127.in-addr.arpa 60 PTR mail.example.test.
dns_zone_add "$(python3 -c 'import ipaddress; print(ipaddress.ip_address("::1").reverse_pointer)')" 60 PTR mail.example.test.
# broken: broken.test, mail host 127.0.0.3
dns_zone_add broken.test 60 MX 10 mail.broken.test.
dns_zone_add mail.broken.test 60 A 127.0.0.3
dns_zone_add broken.test 60 TXT "v=spf1 ip4:192.0.2.1 -all"
dns_zone_add rsa._domainkey.broken.test 60 TXT "v=DKIM1; k=rsa; p=$(pubkey broken.test rsa)"
dns_zone_add old._domainkey.broken.test 60 TXT "v=DKIM1; k=rsa; p=$(pubkey broken.test other)"
rm -f "$CONF/dkim/broken.test/other.key"	# only its public part is published, under "old"
dns_zone_add _dmarc.broken.test 60 TXT "v=DMARC1; p=bogus; rua=mailto:dmarc@broken.test"
dns_zone_add 3.0.0.127.in-addr.arpa 60 PTR other.broken.test.
dns_zone_add other.broken.test 60 A 127.0.0.9
# two SPF records, a DMARC record that is no DMARC record
dns_zone_add twospf.test 60 MX 10 mail.twospf.test.
dns_zone_add mail.twospf.test 60 A 127.0.0.4
dns_zone_add twospf.test 60 TXT "v=spf1 a -all"
dns_zone_add twospf.test 60 TXT "v=spf1 mx -all"
dns_zone_add _dmarc.twospf.test 60 TXT "v=DMARC2; p=reject"
# an SPF record that passes everybody
dns_zone_add open.test 60 TXT "v=spf1 mx +all"
dns_start || bail_out "DNS fixture did not start"
R=(--resolver "$DNS_RESOLVER")

# 1. the good zone passes
out=$("$MAILAKA" -C "$CONF" check example.test "${R[@]}" --cafile "$C/ca.pem" --ports "" 2>&1)
rc=$?
is "$rc" 0 "good zone: exit 0" || printf '%s\n' "$out" | sed 's/^/#   /'
like "$out" '^PASSED: 1[0-9] ok, 0 warning\(s\), 0 failed$' "good zone: summary line"
for l in 'OK   mx: example.test MX 10 mail.example.test' 'OK   a: mail.example.test has 1 IPv4' \
	'OK   aaaa: mail.example.test has 1 IPv6' 'OK   spf: "v=spf1 mx -all"' 'OK   spf 127.0.0.2: pass' \
	'OK   spf ::1: pass' "OK   dkim ed: ed._domainkey.example.test matches $CONF/dkim/example.test/ed.key (k=ed25519)" \
	"OK   dkim rsa: rsa._domainkey.example.test matches $CONF/dkim/example.test/rsa.key (k=rsa)" \
	'OK   dmarc: p=quarantine adkim=r aspf=r rua=mailto:dmarc@example.test' \
	'OK   ptr 127.0.0.2: 127.0.0.2 -> mail.example.test -> 127.0.0.2 (forward-confirmed)' \
	'OK   ptr ::1: ::1 -> mail.example.test -> ::1 (forward-confirmed)' \
	'OK   cert: valid until' 'OK   cert name: the certificate is valid for mail.example.test' \
	'OK   cert chain: chains to a trusted root'; do
	printf '%s\n' "$out" | grep -qF -- "$l"
	ok $? "good zone: $l"
done

# 2. the broken zone: each broken record named, with its fix
out=$("$MAILAKA" -C "$CONF" check broken.test "${R[@]}" --ports "" 2>&1)
is "$?" 1 "broken zone: exit 1"
like "$out" '^FAILED: ' "broken zone: summary says FAILED"
fails=$(printf '%s\n' "$out" | sed -n 's/^FAIL \([^:]*\):.*/\1/p' | sort | tr '\n' ',')
is "$fails" "dkim ed,dkim old,dmarc,ptr 127.0.0.3,spf 127.0.0.3," "broken zone: exactly the broken records fail"
like "$out" 'FAIL spf 127.0.0.3: fail for the mail host.s address' "wrong SPF: result fail named"
like "$out" 'fix: publish broken.test. IN TXT \( "v=spf1 mx ip4:127.0.0.3 ~all" \)' "wrong SPF: the fix authorizes the host"
like "$out" 'FAIL dkim ed: no usable DKIM key record at ed._domainkey.broken.test \(nxdomain' "missing DKIM key record named"
like "$out" "fix: publish ed._domainkey.broken.test. IN TXT \\( \"v=DKIM1; k=ed25519; p=$(pubkey broken.test ed | sed 's/[+/]/\\&/g')\" \\)" \
	"missing DKIM key: the fix is the record of the key on disk"
like "$out" "FAIL dkim old: the key published at old._domainkey.broken.test \\(k=rsa\\) does not match $CONF/dkim/broken.test/old.key" \
	"mismatching DKIM key named"
like "$out" 'OK   dkim rsa: rsa._domainkey.broken.test matches' "the good DKIM key of the broken zone passes"
like "$out" 'FAIL dmarc: p= is not none/quarantine/reject' "bad DMARC policy named"
like "$out" 'FAIL ptr 127.0.0.3: PTR other.broken.test does not resolve back to 127.0.0.3' "mismatching PTR named"
like "$out" 'fix: ask the provider of 127.0.0.3 to set its PTR to mail.broken.test' "mismatching PTR: fix"
like "$out" 'OK   mx: broken.test MX 10 mail.broken.test' "broken zone: its MX is fine"

# 3. an unknown domain: everything missing
out=$("$MAILAKA" -C "$CONF" check nothing.test "${R[@]}" --ports "" 2>&1)
is "$?" 1 "empty zone: exit 1"
for l in 'FAIL mx: no MX record for nothing.test (nxdomain)' 'FAIL spf: no SPF record at nothing.test (nxdomain)' \
	"FAIL dkim: no DKIM key under $CONF/dkim/nothing.test/" 'FAIL dmarc: no DMARC record at _dmarc.nothing.test (nxdomain)' \
	'fix: publish _dmarc.nothing.test. IN TXT ( "v=DMARC1; p=quarantine; fo=1; rua=mailto:postmaster@nothing.test" )'; do
	printf '%s\n' "$out" | grep -qF -- "$l"
	ok $? "empty zone: $l"
done

# 4. two SPF records; a TXT at _dmarc that is not DMARC
out=$("$MAILAKA" -C "$CONF" check twospf.test "${R[@]}" --ports "" 2>&1)
like "$out" 'FAIL spf: 2 SPF records at twospf.test: receivers give permerror' "two SPF records named"
like "$out" 'FAIL dmarc: no DMARC record at _dmarc.twospf.test \(TXT records, none starts with v=DMARC1\)' \
	"v=DMARC2 is not a DMARC record"

out=$("$MAILAKA" -C "$CONF" check open.test "${R[@]}" --ports "" 2>&1)
like "$out" 'FAIL spf: the record passes any address \(203.0.113.254 gets pass' "+all: named as passing everybody"
like "$out" 'fix: end the record with ~all or -all' "+all: fix"

# 5. certificates: expired, another name, untrusted (no --cafile)
out=$("$MAILAKA" -C "$CONF" check example.test "${R[@]}" --cert "$C/expired.pem" --cafile "$C/ca.pem" --ports "" 2>&1)
is "$?" 1 "expired certificate: exit 1"
like "$out" 'FAIL cert: expired on ' "expired certificate named"
out=$("$MAILAKA" -C "$CONF" check example.test "${R[@]}" --cert "$C/other.pem" --cafile "$C/ca.pem" --ports "" 2>&1)
like "$out" "FAIL cert name: the certificate in $C/other.pem is not valid for mail.example.test" \
	"certificate for another name named"
out=$("$MAILAKA" -C "$CONF" check example.test "${R[@]}" --ports "" 2>&1)
is "$?" 1 "untrusted certificate chain: exit 1"
like "$out" 'FAIL cert chain: does not verify: (unable to get local issuer|self.signed)' "untrusted chain named"

# 6. ports: a real SMTP listener (smtp-sink) and a closed port
if [ "$(id -u)" = 0 ] && command -v smtp-sink >/dev/null; then
	. "$top_srcdir/t/lib/postfix.sh"
	sink_start mx 127.0.0.2 || bail_out "smtp-sink did not start"
	closed=$(mk_free_port 127.0.0.2)
	out=$("$MAILAKA" -C "$CONF" check example.test "${R[@]}" --cafile "$C/ca.pem" --ipv4 127.0.0.2 \
		--ports "$SINK_PORT_mx,$closed" 2>&1)
	is "$?" 1 "closed port: exit 1"
	like "$out" "WARN port 127.0.0.2:$SINK_PORT_mx: open, 220 .*, but no STARTTLS offered" \
		"listening port: greeting read, missing STARTTLS noticed"
	like "$out" "FAIL port 127.0.0.2:$closed: connect: Connection refused" "closed port named"
else
	ok 0 "# SKIP ports need root for smtp-sink"
fi

# 7. usage
"$MAILAKA" check >/dev/null 2>&1
is "$?" 2 "no domain: exit 2"
"$MAILAKA" check example.test --ipv4 300.1.1.1 >/dev/null 2>&1
is "$?" 2 "bad --ipv4: exit 2"
done_testing
