#!/usr/bin/env bash
# mailaka send against a real Postfix on loopback: submission with STARTTLS
# and implicit TLS (certificate from a test CA made with openssl), Cyrus SASL
# (sasldb) as the AUTH backend, relaying to an smtp-sink standing in for the
# recipient's host.  Asserts the summary line, the delivered message, and
# the refusals: wrong password (535), no STARTTLS (no AUTH in clear),
# untrusted / expired / misnamed certificate.
. "$top_srcdir/t/lib.sh"
. "$top_srcdir/t/lib/postfix.sh"
pf_require
mk_require openssl saslpasswd2 python3
[ -e /usr/lib/x86_64-linux-gnu/sasl2/libsasldb.so ] || ls /usr/lib/*/sasl2/libsasldb.so >/dev/null 2>&1 ||
	skip_all "Cyrus SASL sasldb plugin (libsasl2-modules-db) missing"
MAILAKA=$top_builddir/cli/mailaka
PW='s3cret pass:word'	# spaces and a colon: encoded, never shown

# --- certificates: a test CA, a server certificate, an expired one --------
C=$T/certs
mkdir -p "$C"
(
	cd "$C" || exit 1
	openssl req -x509 -newkey rsa:2048 -nodes -keyout ca.key -out ca.pem -subj /CN=mailaka-test-ca -days 2
	openssl req -newkey rsa:2048 -nodes -keyout srv.key -out srv.csr -subj /CN=mail.example.test
	printf 'subjectAltName=DNS:mail.example.test\n' >san.ext
	openssl x509 -req -in srv.csr -CA ca.pem -CAkey ca.key -CAcreateserial -days 2 -extfile san.ext -out srv.pem
	openssl x509 -req -in srv.csr -CA ca.pem -CAkey ca.key -CAcreateserial -days -1 -extfile san.ext -out expired.pem
) >"$T/openssl.log" 2>&1 || bail_out "openssl failed: $(cat "$T/openssl.log")"

# --- the recipient's host and the submission server -----------------------
sink_start rcpt 127.0.0.3 || bail_out "smtp-sink did not start"
pf_new mx 127.0.0.2
# --- SASL: a sasldb with one user, read by smtpd through Cyrus.  Debian's
# Postfix looks for $config_directory/sasl/smtpd.conf (cyrus_sasl_config_path
# is set as well for builds that honour it).
S=$PF_DIR_mx/etc/sasl
mkdir -p "$S"
printf '%s' "$PW" | saslpasswd2 -p -c -f "$S/sasldb2" -u example.test alice ||
	bail_out "saslpasswd2 failed"
chown postfix "$S/sasldb2"
chmod 600 "$S/sasldb2"
cat >"$S/smtpd.conf" <<EOF
pwcheck_method: auxprop
auxprop_plugin: sasldb
mech_list: PLAIN LOGIN
sasldb_path: $S/sasldb2
EOF
pf_set mx "relayhost = [127.0.0.3]:$SINK_PORT_rcpt" \
	"myhostname = mail.example.test" \
	"smtpd_tls_cert_file = $C/srv.pem" "smtpd_tls_key_file = $C/srv.key" \
	"smtpd_tls_mandatory_protocols = >=TLSv1.2" \
	"smtpd_sasl_type = cyrus" "smtpd_sasl_path = smtpd" \
	"cyrus_sasl_config_path = $S"
SUB=$(mk_free_port 127.0.0.2)
SMTPS=$(mk_free_port 127.0.0.2)
EXP=$(mk_free_port 127.0.0.2)
sub_opts="-o smtpd_sasl_auth_enable=yes -o smtpd_tls_auth_only=yes \
 -o smtpd_client_restrictions=permit_sasl_authenticated,reject \
 -o smtpd_relay_restrictions=permit_sasl_authenticated,reject"
pf_service mx "127.0.0.2:$SUB inet n - n - - smtpd -o syslog_name=postfix/submission \
 -o smtpd_tls_security_level=encrypt $sub_opts"
pf_service mx "127.0.0.2:$SMTPS inet n - n - - smtpd -o syslog_name=postfix/smtps \
 -o smtpd_tls_wrappermode=yes -o smtpd_tls_security_level=encrypt $sub_opts"
pf_service mx "127.0.0.2:$EXP inet n - n - - smtpd -o syslog_name=postfix/expired \
 -o smtpd_tls_security_level=encrypt -o smtpd_tls_cert_file=$C/expired.pem $sub_opts"
pf_start mx || bail_out "postfix did not start"
mk_wait_port 127.0.0.2 "$SUB" 10 && mk_wait_port 127.0.0.2 "$SMTPS" 10 ||
	bail_out "submission ports not listening"
LOG=$(pf_log mx)

trust=(--cafile "$C/ca.pem" --tls-name mail.example.test)
printf 'first line\n.leading dot\n..two dots\n.\nlast line\n' >"$T/body.txt"

# 1. STARTTLS + AUTH PLAIN (the default), password from a file
printf '%s\n' "$PW" >"$T/pw"
out=$("$MAILAKA" send --server "127.0.0.2:$SUB" --user alice@example.test --password-file "$T/pw" \
	--to bob@gmail.test --subject "cli-send 1" --body-file "$T/body.txt" --ehlo client.example.test \
	"${trust[@]}" 2>"$T/err1")
rc=$?
ok $rc "STARTTLS + AUTH PLAIN: exit 0" || sed 's/^/#   /' "$T/err1"
like "$out" '^sent server=127\.0\.0\.2:[0-9]+ tls=TLSv1\.[23] cipher=[A-Z0-9_-]+ auth=PLAIN:235 from=alice@example\.test to=bob@gmail\.test queue_id=[0-9A-Za-z]+ reply="250 ' \
	"STARTTLS: summary line (TLS version, cipher, AUTH result, queue id)"
qid=$(printf '%s\n' "$out" | sed -n 's/.* queue_id=\([^ ]*\) .*/\1/p')
grep -q "postfix/submission/smtpd.*: $qid: client=.*sasl_method=PLAIN, sasl_username=alice@example.test" "$LOG"
ok $? "the queue id $qid is the one Postfix logged for the authenticated client"
sink_wait rcpt 1 30
ok $? "the message reached the recipient's host"
msg=$(sink_msg rcpt 1)
python3 - "$msg" >"$T/check1" 2>&1 <<'PY'
import email, email.policy, email.utils, sys
raw = open(sys.argv[1], 'rb').read()
m = email.message_from_bytes(raw, policy=email.policy.default)
for k, v in (('From', 'alice@example.test'), ('To', 'bob@gmail.test')):
    assert [a.addr_spec for a in m[k].addresses] == [v], (k, m[k])
assert m['Subject'] == 'cli-send 1', m['Subject']
assert email.utils.parsedate_to_datetime(m['Date']) is not None
assert m['Message-ID'].startswith('<') and m['Message-ID'].endswith('@example.test>'), m['Message-ID']
body = raw.split(b'\r\n\r\n', 1)[1]
# smtp-sink ends each dump with one empty line of its own
assert body == b'first line\r\n.leading dot\r\n..two dots\r\n.\r\nlast line\r\n\r\n', repr(body)
assert b'\n' not in raw.replace(b'\r\n', b''), 'bare LF'
print('ok')
PY
ok $? "delivered: Date, From, To, Subject, Message-ID; body CRLF, dots intact" || sed 's/^/#   /' "$T/check1"
grep -q "^Received: from client.example.test" "$msg" && grep -q "with ESMTPSA" "$msg"
ok $? "Postfix recorded the EHLO name and ESMTPSA (TLS + AUTH)"
! grep -qF "$PW" "$T/err1" <<<"$out" && ! grep -qF "$PW" "$LOG" && ! printf '%s' "$out" | grep -qF "$PW"
ok $? "the password appears neither in the output nor in the server log"

# 2. implicit TLS, AUTH LOGIN, password from the environment, verbose trace
out=$(MAILAKA_PASSWORD=$PW "$MAILAKA" send --server "127.0.0.2:$SMTPS" --tls implicit --auth login \
	--user alice@example.test --to bob@gmail.test --to carol@gmail.test --verbose "${trust[@]}" 2>"$T/err2")
rc=$?
ok $rc "implicit TLS + AUTH LOGIN: exit 0" || sed 's/^/#   /' "$T/err2"
like "$out" '^sent server=127\.0\.0\.2:[0-9]+ tls=TLSv1\.[23] .* auth=LOGIN:235 .* to=bob@gmail\.test,carol@gmail\.test queue_id=[0-9A-Za-z]+' \
	"implicit TLS: summary line"
grep -q '^C: <secret>' "$T/err2" && ! grep -qF "$PW" "$T/err2" &&
	! grep -q "$(printf '%s' "$PW" | base64)" "$T/err2"
ok $? "the trace hides the AUTH exchange (no password, no base64 of it)"
grep -q "^S: 220 .*ESMTP" "$T/err2" && ! grep -q '^C: STARTTLS' "$T/err2"
ok $? "implicit TLS: greeting read over TLS, no STARTTLS sent"
sink_wait rcpt 2 30
ok $? "the second message reached the recipient's host"
f=$(find "$T/sink-rcpt" -type f -newer "$T/pw" | xargs grep -l 'carol@gmail.test')
grep -q '^X-Rcpt-Args: <bob@gmail.test>' $f && grep -q '^X-Rcpt-Args: <carol@gmail.test>' $f
ok $? "one transaction with both recipients"

# 3. wrong password: non-zero exit, the server's 535 shown
"$MAILAKA" send --server "127.0.0.2:$SUB" --user alice@example.test --password wrong \
	--to bob@gmail.test "${trust[@]}" >"$T/out3" 2>"$T/err3"
rc=$?
is "$rc" 1 "wrong password: exit 1"
like "$(cat "$T/err3")" 'AUTH PLAIN failed: 535 ' "wrong password: the server's 535 reply is shown"
is "$(cat "$T/out3")" "" "wrong password: no summary line"

# 4. --tls starttls against a server that offers no STARTTLS: nothing in clear
"$MAILAKA" send --server "127.0.0.2:$PF_PORT_mx" --user alice@example.test --password-file "$T/pw" \
	--to bob@gmail.test --verbose "${trust[@]}" >/dev/null 2>"$T/err4"
rc=$?
is "$rc" 1 "no STARTTLS offered: exit 1"
like "$(cat "$T/err4")" 'does not offer STARTTLS: refusing to send AUTH or mail in clear' \
	"no STARTTLS: refusal named"
! grep -Eq '^C: (AUTH|MAIL|<secret>)' "$T/err4"
ok $? "no STARTTLS: neither AUTH nor MAIL was sent"

# 5. certificates: untrusted issuer, wrong name, expired; --insecure
"$MAILAKA" send --server "127.0.0.2:$SUB" --user alice@example.test --password-file "$T/pw" \
	--to bob@gmail.test --tls-name mail.example.test >/dev/null 2>"$T/err5"
is "$?" 1 "untrusted certificate (no --cafile): exit 1"
like "$(cat "$T/err5")" 'certificate verification failed for mail\.example\.test: .*(unable to get local issuer|self.signed)' \
	"untrusted certificate: reason shown"
"$MAILAKA" send --server "127.0.0.2:$SUB" --user alice@example.test --password-file "$T/pw" \
	--to bob@gmail.test --cafile "$C/ca.pem" >/dev/null 2>"$T/err6"
is "$?" 1 "certificate name mismatch (127.0.0.2 vs mail.example.test): exit 1"
like "$(cat "$T/err6")" 'certificate verification failed for 127\.0\.0\.2: .*mismatch' \
	"name mismatch: reason shown"
"$MAILAKA" send --server "127.0.0.2:$EXP" --user alice@example.test --password-file "$T/pw" \
	--to bob@gmail.test "${trust[@]}" >/dev/null 2>"$T/err7"
is "$?" 1 "expired certificate: exit 1"
like "$(cat "$T/err7")" 'certificate has expired' "expired certificate: reason shown"
n=$(sink_count rcpt)
out=$("$MAILAKA" send --server "127.0.0.2:$EXP" --user alice@example.test --password-file "$T/pw" \
	--to bob@gmail.test --insecure 2>"$T/err8")
ok $? "--insecure accepts the expired certificate" || sed 's/^/#   /' "$T/err8"
sink_wait rcpt $((n + 1)) 30
ok $? "the --insecure message arrived"

# 6. mailaka check's port probes against the same server: STARTTLS offered on
# submission, a greeting over implicit TLS, the plain port without STARTTLS
# (DNS is unreachable here: only the port lines are asserted)
nodns=$(mk_free_port 127.0.0.1)
out=$("$MAILAKA" check example.test --resolver "127.0.0.1@$nodns" --timeout 300 --host mail.example.test \
	--ipv4 127.0.0.2 --cert "$C/srv.pem" --cafile "$C/ca.pem" --ports "$SUB,$SMTPS/tls,$PF_PORT_mx" 2>&1)
like "$out" "OK   port 127.0.0.2:$SUB: open, 220 mail.example.test ESMTP" "check: submission port open, STARTTLS offered"
like "$out" "OK   port 127.0.0.2:$SMTPS: open \(TLS\), 220 mail.example.test ESMTP" "check: implicit TLS port greets over TLS"
like "$out" "WARN port 127.0.0.2:$PF_PORT_mx: open, 220 .*, but no STARTTLS offered" "check: port without STARTTLS noticed"
like "$out" "OK   cert name: the certificate is valid for mail.example.test" "check: the server's certificate name"

# 7. usage errors (exit 2) and address checks before connecting
"$MAILAKA" send --server "127.0.0.2:$SUB" --tls none --user alice@example.test --password x \
	--to bob@gmail.test >/dev/null 2>"$T/err9"
is "$?" 2 "--tls none with --user: refused (exit 2)"
"$MAILAKA" send --server "127.0.0.2:$SUB" --user alice --password x --to bob@gmail.test \
	>/dev/null 2>&1
is "$?" 2 "no --from and a user name that is no address: exit 2"
"$MAILAKA" send --server "127.0.0.2:$SUB" --user alice@example.test --password-file "$T/pw" \
	--to 'bob@gmail.test>' "${trust[@]}" >/dev/null 2>"$T/err10"
is "$?" 1 "bad recipient address refused before connecting"
"$MAILAKA" send --server "127.0.0.2:$SUB" --user alice@example.test --password-file "$T/pw" \
	--to bob@gmail.test --subject "$(printf 'a\r\nBcc: x@y.test')" "${trust[@]}" >/dev/null 2>"$T/err11"
is "$?" 1 "a subject with CR LF (header injection) is refused"
done_testing
