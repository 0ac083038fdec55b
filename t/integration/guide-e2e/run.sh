#!/usr/bin/env bash
# The guide end to end (issue 7, scenarios 1-3) on one stack (t/lib/guide.sh):
# 127.0.0.2 Postfix + mailaka for example.test, 127.0.0.3 the Gmail box,
# 127.0.0.4 an outside sender, the DNS fixture serving all their records.
#  1. mailaka send through the submission port with AUTH -> the Gmail box
#     over TLS; DKIM RSA + Ed25519, SPF and DMARC pass (independent verifiers)
#  2. the outside host mails anything@example.test -> catch-all -> the Gmail
#     box with an SRS sender passing SPF there, the original DKIM signature
#     intact; a bounce to the SRS address reaches the original sender
#  3. a spoofed From: i@example.test from the outside host: rejected at end
#     of DATA with p=reject, put on hold with p=quarantine
. "$top_srcdir/t/lib.sh"
. "$top_srcdir/t/lib/dns.sh"
. "$top_srcdir/t/lib/postfix.sh"
. "$top_srcdir/t/lib/guide.sh"
MK_BUILDDIR=$top_builddir
dns_require
guide_require
mk_require swaks

# --- the stack: example.test's DMARC record says p=reject, TTL 1 s so the
# policy can be switched to quarantine later in the run ---
GUIDE_DMARC_POLICY=reject
guide_zone || bail_out "guide_zone failed"
grep -q "'_dmarc.example.test. [0-9]* IN TXT \"v=DMARC1; p=reject" "$DNS_RECORDS" ||
	bail_out "no p=reject _dmarc.example.test record in the zone"
sed -i "s/'_dmarc\.example\.test\. [0-9]* IN TXT/'_dmarc.example.test. 1 IN TXT/" "$DNS_RECORDS"
# the outside sender signs its mail (dkimpy) with a key published for outside.test
openssl genpkey -algorithm RSA -pkeyopt rsa_keygen_bits:2048 -out "$T/outside.key" 2>/dev/null ||
	bail_out "openssl genpkey"
pub=$(openssl pkey -in "$T/outside.key" -pubout -outform DER 2>/dev/null | base64 -w0)
dns_zone_add out._domainkey.outside.test 300 TXT "v=DKIM1; k=rsa; p=$pub"
dns_start 127.0.0.1 || bail_out "DNS server did not start"
guide_start || bail_out "the guide stack did not start (logs in $G)"

# swaks_from IP FROM TO FILE: submit FILE to mail.example.test:25 from host IP
swaks_from() {
	timeout 60 swaks --server 127.0.0.2 --port "$GUIDE_SMTP" --local-interface "$1" \
		--helo "$(case $1 in 127.0.0.3) echo mx.gmail.test ;; *) echo mx.outside.test ;; esac)" \
		--from "$2" --to "$3" --data @"$4" </dev/null 2>&1
}
field() { printf '%s\n' "$1" | head -1 | tr ' ' '\n' | sed -n "s/^$2=//p"; }

# ---------------------------------------------------------------- 1 ----
sum=$(guide_send box@gmail.test "$GUIDE_USER" "guide e2e 1" 2>&1)
ok $? "1: mailaka send through submission (127.0.0.2:$GUIDE_SUB) exits 0" || diag "$sum"
like "$sum" "tls=TLSv1\.[23] .*auth=PLAIN:235 .*queue_id=[0-9A-F]+" "1: summary shows TLS, AUTH 235, queue id"
guide_box_wait 1 gmail 60
ok $? "1: message arrives in the Gmail box" || tail -20 "$(pf_log mx)" | sed 's/^/#   /'
m1=$(guide_box_msg 1 gmail)
v1=$(guide_verdicts "$m1" 127.0.0.2 2>&1)
diag "verdicts: $(printf '%s\n' "$v1" | head -1)"
like "$(field "$v1" tls)" '^TLSv1\.[23]$' "1: last hop over TLS (Received by mx.gmail.test)"
is "$(field "$v1" dkim-rsa)" pass "1: DKIM RSA signature passes (dkimpy and Mail::DKIM agree)"
is "$(field "$v1" dkim-ed25519)" pass "1: DKIM Ed25519 signature passes (dkimpy)"
is "$(field "$v1" spf)" pass "1: SPF pass for client 127.0.0.2 (pyspf)"
is "$(field "$v1" dmarc)" pass "1: DMARC pass"
like "$v1" "dkim rsa-sha256 d=example\.test s=rsa: dkimpy=pass Mail::DKIM=pass" "1: RSA verified by both"
like "$v1" "dkim ed25519-sha256 d=example\.test s=ed: dkimpy=pass" "1: Ed25519 signature d=example.test s=ed"

# ---------------------------------------------------------------- 2 ----
cat >"$T/fwd.eml" <<EOM
From: Alice <alice@outside.test>
To: anything@example.test
Subject: guide e2e 2: to the catch-all
Date: $(date -R)
Message-ID: <e2e-2.$$@outside.test>

Hello, catch-all. This message is signed by outside.test.
EOM
"$GUIDE_PY" "$top_srcdir/t/integration/dkim-common/dkimpy_sign.py" "$T/outside.key" out outside.test \
	rsa-sha256 <"$T/fwd.eml" >"$T/fwd.signed" || bail_out "dkimpy_sign failed"
out=$(swaks_from 127.0.0.4 alice@outside.test anything@example.test "$T/fwd.signed")
ok $? "2: outside host (127.0.0.4) -> anything@example.test accepted" || printf '%s\n' "$out" | tail -8 | sed 's/^/#   /'
guide_box_wait 2 gmail 60
ok $? "2: forwarded message arrives in the Gmail box" || tail -20 "$(pf_log mx)" | sed 's/^/#   /'
m2=$(guide_box_msg 2 gmail)
rp=$(sed -n 's/^Return-Path: <\(.*\)>\r*$/\1/p' "$m2" | head -1)
like "$rp" '^SRS0[=+-][^@]+=outside\.test=alice@example\.test$' "2: envelope sender is an SRS0 address at example.test ($rp)"
grep -q '^Subject: guide e2e 2' "$m2"
ok $? "2: the Gmail box got the catch-all's message"
v2=$(guide_verdicts "$m2" 127.0.0.2 2>&1)
diag "verdicts: $(printf '%s\n' "$v2" | head -1)"
is "$(field "$v2" spf)" pass "2: SRS sender passes SPF at the Gmail host (pyspf, client 127.0.0.2)"
like "$v2" "dkim rsa-sha256 d=outside\.test s=out: dkimpy=pass Mail::DKIM=pass" \
	"2: the original DKIM signature (outside.test) still verifies"
is "$(field "$v2" dmarc)" pass "2: DMARC pass for From: outside.test (aligned DKIM)"
# the bounce: the Gmail host returns the message to the SRS address
cat >"$T/bounce.eml" <<EOM
From: Mail Delivery System <MAILER-DAEMON@mx.gmail.test>
To: $rp
Subject: Undelivered Mail Returned to Sender
Date: $(date -R)
Message-ID: <bounce.$$@mx.gmail.test>

The mail from alice@outside.test could not be delivered.
EOM
out=$(swaks_from 127.0.0.3 '<>' "$rp" "$T/bounce.eml")
ok $? "2: bounce (MAIL FROM:<>) to the SRS address accepted by mail.example.test" ||
	printf '%s\n' "$out" | tail -8 | sed 's/^/#   /'
guide_box_wait 1 outside 60
ok $? "2: the bounce reaches the original sender's mailbox on the outside host" ||
	tail -20 "$(pf_log mx)" | sed 's/^/#   /'
b=$(guide_box_msg 1 outside)
if [ -n "$b" ]; then
	like "$(grep -m1 -i '^Delivered-To:' "$b")" 'alice@outside\.test' "2: the bounce is delivered to alice@outside.test"
	grep -q '^Subject: Undelivered Mail Returned to Sender' "$b"
	ok $? "2: it is the bounce"
else
	ok 1 "2: the bounce is delivered to alice@outside.test"; ok 1 "2: it is the bounce"
fi
# a forged SRS address (bad hash) is not reversed to the original sender
h=AAAA; case $rp in SRS0?AAAA=*) h=BBBB ;; esac
forged=$(printf '%s' "$rp" | sed "s/^\(SRS0[=+-]\)[^=]*=/\1$h=/")
out=$(swaks_from 127.0.0.3 '<>' "$forged" "$T/bounce.eml")
like "$out" "<\*\* +550[ -]5\.1\.1 " "2: a bounce to a forged SRS address ($forged) is refused at RCPT (550 5.1.1)"
sleep 2
is "$(guide_box_count outside)" 1 "2: a bounce to a forged SRS address does not reach the outside sender"

# ---------------------------------------------------------------- 3 ----
spoof() {	# spoof N -> swaks transcript
	cat >"$T/spoof$1.eml" <<EOM
From: i@example.test
To: anything@example.test
Subject: guide e2e 3.$1: spoofed
Date: $(date -R)
Message-ID: <e2e-3-$1.$$@outside.test>

Not really from example.test.
EOM
	swaks_from 127.0.0.4 "bob@outside.test" anything@example.test "$T/spoof$1.eml"
}
out=$(spoof 1)
like "$out" "<\*\* +550[ -]5\.7\.1 " "3: p=reject: spoofed From: i@example.test rejected at end of DATA (550 5.7.1)"
like "$(grep -i 'milter-reject: END-OF-MESSAGE' "$(pf_log mx)")" "5\.7\.1" "3: Postfix logs the milter's reject at END-OF-MESSAGE"

# switch the zone to p=quarantine (the record's TTL is 1 s)
sed -i "s/'_dmarc\.example\.test\. 1 IN TXT \"v=DMARC1; p=reject/'_dmarc.example.test. 1 IN TXT \"v=DMARC1; p=quarantine/" "$DNS_RECORDS"
dns_reload || bail_out "dns_reload failed"
like "$(dig +short -p "$DNS_PORT" @"$DNS_ADDR" TXT _dmarc.example.test 2>&1)" 'p=quarantine' "3: the zone now says p=quarantine"
sleep 2
out=$(spoof 2)
like "$out" "<- +250 " "3: p=quarantine: spoofed message accepted (250)" || printf '%s\n' "$out" | tail -5 | sed 's/^/#   /'
held() { postqueue -c "$PF_DIR_mx/etc" -j 2>/dev/null | grep '"queue_name": *"hold"' | grep -Eq '"sender": *"(SRS0[^"]*=outside\.test=bob@example\.test|bob@outside\.test)"'; }
mk_wait_for 20 held
ok $? "3: p=quarantine: the spoofed message is on Postfix's hold queue" ||
	{ postqueue -c "$PF_DIR_mx/etc" -j | sed 's/^/#   /'; tail -10 "$(pf_log mx)" | sed 's/^/#   /'; }
like "$(grep -i 'milter-hold' "$(pf_log mx)")" "END-OF-MESSAGE" "3: Postfix logs milter-hold"
sleep 2
is "$(guide_box_count gmail)" 2 "3: neither spoofed message reached the Gmail box"
done_testing
