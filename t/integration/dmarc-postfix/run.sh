#!/usr/bin/env bash
# The whole inbound chain through a real Postfix: mailaka-spf on
# check_policy_service (Received-SPF, receiver shown), mailaka-dkim (verify)
# then mailaka-dmarc on smtpd_milters, DNS from the fixture.  A client on
# 127.0.0.5 talks to Postfix on 127.0.0.2, which relays dest.test to an
# smtp-sink on 127.0.0.3.
#   - a spoofed From of a p=reject domain (MAIL FROM of another domain
#     whose SPF passes, no signature) is rejected at end of DATA (550 5.7.1);
#   - an aligned message signed by dkimpy is delivered with dmarc=pass,
#     after mailaka-dkim's dkim=pass;
#   - an unsigned message whose MAIL FROM is in the From domain passes on
#     SPF alone (Received-SPF from mailaka-spf, trusted by receiver=);
#   - python3-authheaders, an independent DMARC implementation, agrees
#     with the delivered verdict of the signed message;
#   - CopyFailuresTo: a spoofed From of a p=quarantine domain (held messages
#     off) is delivered with the copy address as one more recipient.
. "$top_srcdir/t/lib.sh"
. "$top_srcdir/t/lib/dns.sh"
. "$top_srcdir/t/lib/postfix.sh"
. "$top_srcdir/t/integration/dkim-common/lib.sh"

DMARC=$top_builddir/milter-dmarc/mailaka-dmarc
SPF=$top_builddir/policy-spf/mailaka-spf
dns_require
pf_require
dkim_require
mk_require swaks "$DMARC" "$SPF"
for a in 127.0.0.2 127.0.0.3 127.0.0.5; do
	mk_have_addr $a || skip_all "cannot bind $a"
done

dkim_keys bank:rsa
dns_zone_add sel._domainkey.bank.test 300 TXT "$(dkim_pubkey_txt "$K/bank.key")"
dns_zone_add _dmarc.bank.test 300 TXT "v=DMARC1; p=reject"
dns_zone_add _dmarc.shop.test 300 TXT "v=DMARC1; p=quarantine"
dns_zone_add bank.test 300 TXT "v=spf1 ip4:127.0.0.5 -all"
dns_zone_add evil.test 300 TXT "v=spf1 ip4:127.0.0.5 -all"
dns_start || bail_out "no DNS"

# mailaka-spf
cat >"$T/spf.conf" <<CONF
Socket = unix:$T/spf.sock
SocketOwner = postfix
Resolver = $DNS_RESOLVER
skip_addresses = 192.0.2.250
Authserv_Id = mx.spf.test
Hide_Receiver = No
CONF
"$SPF" -c "$T/spf.conf" -f 2>"$T/spf.log" &
mk_track_pid $!
mk_wait_unix "$T/spf.sock" || bail_out "mailaka-spf did not start"

# mailaka-dkim (verify)
printf '%s\n' "Socket local:$T/dkim.sock" "Mode v" "InternalHosts 192.0.2.1" \
	"AuthservID mx.dkim.test" "Nameservers $DNS_RESOLVER" >"$T/dkim.conf"
dkim_milter_start "$T/dkim.conf" || bail_out "mailaka-dkim did not start"

# mailaka-dmarc
cat >"$T/dmarc.conf" <<CONF
Socket unix:$T/dmarc.sock
MilterEngine ${MK_MILTER_ENGINE:-own}
AuthservID mx.example.test
TrustedAuthservIDs mx.dkim.test, mx.spf.test
RejectFailures yes
IgnoreHosts 192.0.2.250
Resolver $DNS_RESOLVER
HistoryFile $T/dmarc.db
CopyFailuresTo copies@dest.test
HoldQuarantinedMessages false
CONF
"$DMARC" -f -c "$T/dmarc.conf" >"$T/dmarc.log" 2>&1 &
mk_track_pid $!
MILTER_PIDS=$!
mk_wait_unix "$T/dmarc.sock" || bail_out "mailaka-dmarc did not start"
chmod 666 "$T/dmarc.sock"

sink_start dest 127.0.0.3 || bail_out "no sink"
pf_new mx 127.0.0.2
pf_set mx "mynetworks = 127.0.0.2/32" "relay_domains = dest.test" \
	"transport_maps = inline:{dest.test=smtp:[127.0.0.3]:$SINK_PORT_dest}" \
	"smtpd_relay_restrictions = permit_mynetworks, reject_unauth_destination" \
	"smtpd_recipient_restrictions = check_policy_service unix:$T/spf.sock" \
	"smtpd_milters = unix:$T/dkim.sock, unix:$T/dmarc.sock" \
	"smtp_line_length_limit = 0"
pf_start mx || bail_out "postfix did not start"
ok 0 "chain up: Postfix + mailaka-spf + mailaka-dkim + mailaka-dmarc"

body() {	# body FROM SUBJECT
	printf '%s\n' "From: $1" "To: bob@dest.test" "Subject: $2" \
		"Date: Sat, 28 Nov 2026 01:00:00 +0000" "Message-ID: <$RANDOM.$2@x>" "" "Hello." ""
}
send() {	# send NAME MAILFROM FILE
	timeout 60 swaks --server 127.0.0.2 --port "$PF_PORT_mx" --local-interface 127.0.0.5 \
		--helo client.evil.test --from "$2" --to bob@dest.test --data @"$3" \
		</dev/null >"$T/swaks.$1.log" 2>&1
}

# 1. spoofed From of a p=reject domain
body "CEO <ceo@bank.test>" spoof >"$T/spoof.eml"
send spoof x@evil.test "$T/spoof.eml"
like "$(grep '<\*\*' "$T/swaks.spoof.log")" "550 5\.7\.1 .*DMARC policy of bank\.test" \
	"spoofed From of a p=reject domain: 550 5.7.1 at end of DATA"
is "$(sink_count dest)" 0 "spoofed message not delivered"

# 2. aligned, signed by dkimpy
body "Alice <alice@bank.test>" signed | "$DKIM_PY" "$DKIM_COMMON/dkimpy_sign.py" \
	"$K/bank.key" sel bank.test rsa-sha256 >"$T/signed.eml"
send signed bounce@evil.test "$T/signed.eml"
ok $? "signed message accepted" || sed 's/^/#   /' "$T/swaks.signed.log" | tail -5
sink_wait dest 1 20
m=$(sink_msg dest 1)
ars=$(python3 -c '
import sys, email
m = email.message_from_binary_file(open(sys.argv[1], "rb"))
for v in m.get_all("Authentication-Results") or []:
    print(" ".join(v.split()))
' "$m")
like "$ars" "^mx\.dkim\.test; dkim=pass header\.d=bank\.test" "mailaka-dkim: dkim=pass"
like "$ars" "mx\.example\.test; dmarc=pass \(p=reject dis=none\) header\.from=bank\.test" \
	"mailaka-dmarc: dmarc=pass (aligned DKIM)"
# python3-authheaders evaluates the delivered message itself
"$DKIM_PY" - "$m" "$DNS_ADDR" "$DNS_PORT" >"$T/authheaders.out" 2>&1 <<'PY'
import sys, dns.resolver
import authheaders
path, addr, port = sys.argv[1], sys.argv[2], int(sys.argv[3])
r = dns.resolver.Resolver(configure=False)
r.nameservers = [addr]
r.port = port
def dnsfunc(name, timeout=5):
    name = name.decode() if isinstance(name, bytes) else name
    try:
        ans = r.resolve(name.rstrip('.'), 'TXT')
    except Exception:
        return '' if name.startswith('_dmarc.') else b''
    txt = b''.join(b''.join(rd.strings) for rd in ans)
    # authheaders wants str for _dmarc lookups, dkimpy bytes for keys
    return txt.decode() if name.startswith('_dmarc.') else txt
msg = open(path, 'rb').read()
res = authheaders.authenticate_message(msg, 'check.test', ip='127.0.0.5',
    mail_from='bounce@evil.test', helo='client.evil.test', dnsfunc=dnsfunc)
print(res)
PY
like "$(cat "$T/authheaders.out")" "dmarc=pass" "python3-authheaders agrees: dmarc=pass" ||
	sed 's/^/#   /' "$T/authheaders.out" | tail -5

# 3. unsigned, SPF aligned (MAIL FROM in bank.test)
body "Alice <alice@bank.test>" spfonly >"$T/spfonly.eml"
send spfonly alice@bank.test "$T/spfonly.eml"
ok $? "SPF-aligned message accepted" || sed 's/^/#   /' "$T/swaks.spfonly.log" | tail -5
sink_wait dest 2 20
m=$(sink_msg dest 2)
like "$(grep -i '^Received-SPF' "$m")" "pass .*receiver=mx\.spf\.test" "mailaka-spf added Received-SPF"
like "$(grep -A1 '^Authentication-Results: mx.example.test' "$m" | tr -d '\r\n\t')" \
	"dmarc=pass \(p=reject dis=none\) header\.from=bank\.test" "dmarc=pass on SPF alone"

# 4. CopyFailuresTo: spoofed p=quarantine From, delivered (not held) to the
# recipient and to the copy address; aligned mail above got no copy
body "Shop <orders@shop.test>" quarantine >"$T/quarantine.eml"
send quarantine x@evil.test "$T/quarantine.eml"
ok $? "spoofed p=quarantine message accepted" || sed 's/^/#   /' "$T/swaks.quarantine.log" | tail -5
sink_wait dest 3 20
f=$(grep -l "Subject: quarantine" "$T"/sink-dest/* | head -1)
like "$(grep -i '^X-Rcpt-Args' "$f" | tr '\r\n' '  ')" "copies@dest\.test.*bob@dest\.test|bob@dest\.test.*copies@dest\.test" \
	"CopyFailuresTo: the failing message also went to copies@dest.test"
is "$(grep -l 'copies@dest.test' "$T"/sink-dest/* | wc -l)" 1 "only the failing message was copied"

is "$(sqlite3 "$T/dmarc.db" 'SELECT COUNT(*) FROM messages')" 4 "four messages in the history store"
# stop the milters (SIGTERM: libmilter returns, everything is freed) and
# check that the sanitizers (ASan, UBSan, LeakSanitizer) said nothing
stop_and_check_sanitizers() {	# stop_and_check_sanitizers LOG...
	local p
	for p in $MILTER_PIDS; do kill -TERM "$p" 2>/dev/null; done
	for p in $MILTER_PIDS; do wait "$p" 2>/dev/null; done
	if grep -E 'ERROR: (Address|Leak)Sanitizer|runtime error' "$@" >"$T/sanitizers.txt"; then
		ok 1 "milters stopped, sanitizers quiet"
		sed 's/^/#   /' "$T/sanitizers.txt" | head -20
	else
		ok 0 "milters stopped, sanitizers quiet"
	fi
}
stop_and_check_sanitizers "$T/dmarc.log"
done_testing
