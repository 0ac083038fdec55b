#!/usr/bin/env bash
# The inbound chain through a real Sendmail (t/lib/sendmail.sh):
# mailaka-dkim (verify) then mailaka-dmarc (SPFSelfValidate: Sendmail has
# no SPF policy service) as INPUT_MAIL_FILTERs (unix: and inet: sockets),
# DNS from the fixture.  A
# client on 127.0.0.5 talks to Sendmail on 127.0.0.14, which relays to an
# smtp-sink on 127.0.0.15.
. "$top_srcdir/t/lib.sh"
. "$top_srcdir/t/lib/dns.sh"
. "$top_srcdir/t/integration/dkim-common/lib.sh"
. "$top_srcdir/t/lib/sendmail.sh"

DMARC=$top_builddir/milter-dmarc/mailaka-dmarc
dns_require
dkim_require
sm_require
mk_require swaks "$DMARC"
for a in 127.0.0.5 127.0.0.14 127.0.0.15; do
	mk_have_addr $a || skip_all "cannot bind $a"
done

dkim_keys bank:rsa
dns_zone_add sel._domainkey.bank.test 300 TXT "$(dkim_pubkey_txt "$K/bank.key")"
dns_zone_add _dmarc.bank.test 300 TXT "v=DMARC1; p=reject"
dns_zone_add bank.test 300 TXT "v=spf1 ip4:127.0.0.5 -all"
dns_zone_add evil.test 300 TXT "v=spf1 ip4:127.0.0.5 -all"
dns_start || bail_out "no DNS"

sink_start dest 127.0.0.15 || bail_out "no sink"
sm_new mx 127.0.0.14
sm_relay mx "127.0.0.15:$SINK_PORT_dest"
sm_milter mx "S=unix:$T/dkim.sock, F=T, T=S:30s;R:30s;E:5m" dkim
# mailaka-dmarc over TCP (inet:), mailaka-dkim over a unix socket
DMARC_PORT=$(mk_free_port 127.0.0.1)
sm_milter mx "S=inet:$DMARC_PORT@127.0.0.1, F=T, T=S:30s;R:30s;E:5m" dmarc
sm_start mx || bail_out "sendmail did not start"

body() {	# body FROM SUBJECT
	printf '%s\n' "From: $1" "To: bob@dest.test" "Subject: $2" \
		"Date: Sat, 28 Nov 2026 01:00:00 +0000" "Message-ID: <$RANDOM.$2@x>" "" "Hello." ""
}
send() {	# send LABEL MAILFROM FILE
	timeout 60 swaks --server 127.0.0.14 --port "$SM_PORT_mx" --local-interface 127.0.0.5 \
		--helo client.evil.test --from "$2" --to bob@dest.test --data @"$3" \
		</dev/null >"$T/swaks.$1.log" 2>&1
}
ars() {	# ars FILE: Authentication-Results fields, unfolded, one a line
	"$DKIM_PY" -c '
import sys, email
m = email.message_from_binary_file(open(sys.argv[1], "rb"))
for v in m.get_all("Authentication-Results") or []:
    print(" ".join(v.split()))
' "$1"
}
body "CEO <ceo@bank.test>" spoof >"$T/spoof.eml"
body "Alice <alice@bank.test>" signed | "$DKIM_PY" "$DKIM_COMMON/dkimpy_sign.py" \
	"$K/bank.key" sel bank.test rsa-sha256 >"$T/signed.eml"
body "Alice <alice@bank.test>" spfonly >"$T/spfonly.eml"

n=0
for e in ${MK_TEST_ENGINES:-libmilter own}; do
	printf '%s\n' "Socket local:$T/dkim.sock" "Mode v" "MilterEngine $e" \
		"InternalHosts 192.0.2.1" "AuthservID mx.dkim.test" \
		"Nameservers $DNS_RESOLVER" >"$T/dkim.conf"
	dkim_milter_start "$T/dkim.conf" "$T/dkim.$e.log" || bail_out "mailaka-dkim did not start"
	printf '%s\n' "Socket inet:$DMARC_PORT@127.0.0.1" "MilterEngine $e" \
		"AuthservID mx.example.test" "TrustedAuthservIDs mx.dkim.test" \
		"RejectFailures yes" "SPFSelfValidate yes" "IgnoreHosts 192.0.2.250" \
		"Resolver $DNS_RESOLVER" "HistoryFile $T/dmarc.$e.db" >"$T/dmarc.conf"
	"$DMARC" -f -c "$T/dmarc.conf" >"$T/dmarc.$e.log" 2>&1 &
	dmarc_pid=$!
	mk_track_pid $dmarc_pid
	mk_wait_port 127.0.0.1 "$DMARC_PORT" || bail_out "mailaka-dmarc did not start"
	ok 0 "[$e] chain up: Sendmail + mailaka-dkim + mailaka-dmarc"
	is "$(sed -n 's/.*milter engine \([a-z]*\).*/\1/p' "$T/dkim.$e.log" | tail -1)" "$e" \
		"[$e] mailaka-dkim runs engine $e"
	is "$(sed -n 's/.*listening on .*milter engine \([a-z]*\).*/\1/p' "$T/dmarc.$e.log" | tail -1)" "$e" \
		"[$e] mailaka-dmarc runs engine $e"

	# 1. spoofed From of a p=reject domain (MAIL FROM of another domain
	#    whose SPF passes, no signature)
	send "$e-spoof" x@evil.test "$T/spoof.eml"
	like "$(grep '<\*\*' "$T/swaks.$e-spoof.log")" "550 5\.7\.1 .*DMARC policy of bank\.test" \
		"[$e] spoofed From of a p=reject domain: 550 5.7.1 at end of DATA"
	is "$(sink_count dest)" $n "[$e] spoofed message not delivered"

	# 2. aligned, signed by dkimpy, MAIL FROM of another domain
	send "$e-signed" bounce@evil.test "$T/signed.eml"
	ok $? "[$e] signed message accepted" || sed 's/^/#   /' "$T/swaks.$e-signed.log" | tail -5
	n=$((n + 1))
	sink_wait dest $n 20
	a=$(ars "$(sink_msg dest $n)")
	like "$a" "^mx\.dkim\.test; dkim=pass header\.d=bank\.test" "[$e] mailaka-dkim: dkim=pass"
	like "$a" "mx\.example\.test; dmarc=pass \(p=reject dis=none\) header\.from=bank\.test" \
		"[$e] mailaka-dmarc: dmarc=pass (aligned DKIM)"

	# 3. unsigned, MAIL FROM in the From domain: SPF (self-validated) aligned
	send "$e-spfonly" alice@bank.test "$T/spfonly.eml"
	ok $? "[$e] SPF-aligned message accepted" || sed 's/^/#   /' "$T/swaks.$e-spfonly.log" | tail -5
	n=$((n + 1))
	sink_wait dest $n 20
	like "$(ars "$(sink_msg dest $n)")" "mx\.example\.test; dmarc=pass \(p=reject dis=none\) header\.from=bank\.test" \
		"[$e] dmarc=pass on SPF alone (SPFSelfValidate)"

	dkim_milter_stop
	kill -TERM $dmarc_pid 2>/dev/null
	wait $dmarc_pid 2>/dev/null
	! grep -E 'ERROR: (Address|Leak)Sanitizer|runtime error' "$T/dkim.$e.log" "$T/dmarc.$e.log"
	ok $? "[$e] milters stopped, sanitizers quiet"
done
sm_wait_sent mx $n 20
done_testing
