#!/usr/bin/env bash
# etc/acme/mailaka-acme-reload: installs a renewed certificate only when it
# is valid, names the host and matches its key; otherwise the live files
# stay untouched and the hook fails with a reason.
. "$top_srcdir/t/lib.sh"
mk_require openssl
HOOK=$top_srcdir/etc/acme/mailaka-acme-reload
H=mail.example.test
D=$T/conf/certs/$H
mkdir -p "$D"
export MAILAKA_CONFDIR=$T/conf

mkcert() {	# mkcert NAME CN DAYS [KEYFROM]
	local key=$T/$1.key
	if [ -n "${4:-}" ]; then key=$T/$4.key; else openssl genpkey -algorithm ed25519 -out "$key" 2>/dev/null; fi
	openssl req -x509 -new -key "$key" -subj "/CN=$2" -addext "subjectAltName=DNS:$2" \
		-days "$3" -out "$T/$1.crt" 2>/dev/null
}
stage() { cp "$T/$1.crt" "$D/fullchain.pem.new"; cp "$T/${2:-$1}.key" "$D/privkey.pem.new"; }

mkcert good "$H" 30
stage good
out=$("$HOOK" "$H" 2>&1)
ok $? "good certificate installed: $out"
cmp -s "$T/good.crt" "$D/fullchain.pem" && cmp -s "$T/good.key" "$D/privkey.pem"
ok $? "live files are the new ones"
is "$(stat -c %a "$D/privkey.pem")" 600 "private key mode 0600"
[ ! -e "$D/privkey.pem.new" ] && [ ! -e "$D/fullchain.pem.new" ]
ok $? "staged files consumed"

check_refused() {	# check_refused WHAT ERE
	local out rc
	out=$("$HOOK" "$H" 2>&1); rc=$?
	[ $rc -ne 0 ]; ok $? "$1 refused (exit $rc)"
	like "$out" "$2" "$1: reason given"
	cmp -s "$T/good.crt" "$D/fullchain.pem"; ok $? "$1: live certificate untouched"
}
mkcert other other.example.test 30
stage other
check_refused "certificate for another host" "does not name $H"
mkcert mismatch "$H" 30
openssl genpkey -algorithm ed25519 -out "$T/wrongkey.key" 2>/dev/null
stage mismatch wrongkey
check_refused "key not matching the certificate" "does not match"
# an expired certificate: -days 0 ends it now; one second later it has lapsed
openssl genpkey -algorithm ed25519 -out "$T/expired.key" 2>/dev/null
openssl req -new -key "$T/expired.key" -subj "/CN=$H" -out "$T/expired.csr" 2>/dev/null
openssl x509 -req -in "$T/expired.csr" -signkey "$T/expired.key" -days 0 \
	-extfile <(printf 'subjectAltName=DNS:%s\n' "$H") -out "$T/expired.crt" 2>/dev/null
sleep 1
stage expired
check_refused "expired certificate" "expired"
rm -f "$D"/*.new
"$HOOK" "$H" >/dev/null 2>&1
[ $? -ne 0 ]; ok $? "nothing staged: refused"
done_testing
