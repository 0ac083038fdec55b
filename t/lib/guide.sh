# t/lib/guide.sh: the guide's deployment on loopback (shared GUIDE.md), used
# by ./demo and t/integration/guide-*: mailaka plugged into a stock Postfix
# for example.test, a second Postfix standing in for Gmail, a third for an
# outside sender, and the DNS fixture serving all their records.
# Source after t/lib.sh, t/lib/dns.sh and t/lib/postfix.sh; set $MK_BUILDDIR.
#
#   guide_require          TAP skip when a peer is missing
#   guide_zone [GOOD]      write the DNS records (GOOD=1: all correct)
#   guide_start            keys, certificates, SASL user, daemons, Postfixes
#   guide_send TO [FROM] [SUBJECT]  mailaka send through the submission port
#   guide_box_wait N       wait until the Gmail box holds N messages
#   guide_box_msg N        path of the N-th message delivered to the box
#   guide_verdicts FILE    independent verdicts on a delivered message:
#                          "tls=… dkim-rsa=… dkim-ed25519=… spf=… dmarc=…"
#
# Hosts:  127.0.0.2 mail.example.test  Postfix + mailaka-dkim (sign+verify),
#                   mailaka-dmarc, mailaka-spf (policy), mailaka-forward
#                   (catch-all "*: i", "i: box@gmail.test", SRS); ports
#                   $GUIDE_SMTP (25) and $GUIDE_SUB (587: STARTTLS + AUTH)
#         127.0.0.3 mx.gmail.test     Postfix, virtual mailbox box@gmail.test
#         127.0.0.4 mx.outside.test   Postfix, mailboxes for outside.test
# User:   me@example.test / $GUIDE_PASSWORD (Cyrus sasldb)

GUIDE_DOMAIN=example.test
GUIDE_HOST=mail.example.test
GUIDE_USER=me@example.test
GUIDE_PASSWORD=${GUIDE_PASSWORD:-demo-$(head -c 9 /dev/urandom | base64 | tr '+/' '-_')}
GUIDE_PY=/usr/bin/python3	# Debian's, with python3-dkim/-spf/-dnspython
GUIDE_VERIFY=$top_srcdir/t/lib/verify
G=$T/guide

guide_require() {
	pf_require
	mk_require openssl saslpasswd2 perl "$GUIDE_PY"
	"$GUIDE_PY" -c 'import dkim, nacl, spf, dns.resolver' 2>/dev/null ||
		skip_all "python3-dkim, python3-nacl, python3-spf or python3-dnspython missing"
	local b
	for b in milter-dkim/mailaka-dkim milter-dmarc/mailaka-dmarc \
	    policy-spf/mailaka-spf forwarder/mailaka-forward cli/mailaka; do
		[ -x "$MK_BUILDDIR/$b" ] || bail_out "missing $MK_BUILDDIR/$b"
	done
	for b in 127.0.0.2 127.0.0.3 127.0.0.4; do
		mk_have_addr $b || skip_all "cannot bind $b"
	done
}

# Keys first (their public parts go into the zone).
_guide_keys() {
	mkdir -p "$G/conf/dkim/$GUIDE_DOMAIN" "$G/run" "$G/mail"
	chmod 755 "$G" "$G/run"
	chmod 700 "$G/conf"
	"$MK_BUILDDIR/cli/mailaka" -C "$G/conf" dkim-keygen "$GUIDE_DOMAIN" rsa --type rsa --bits 2048 \
		--dir "$G/conf/dkim/$GUIDE_DOMAIN" >"$G/keygen.out" 2>&1 &&
	"$MK_BUILDDIR/cli/mailaka" -C "$G/conf" dkim-keygen "$GUIDE_DOMAIN" ed --type ed25519 \
		--dir "$G/conf/dkim/$GUIDE_DOMAIN" >>"$G/keygen.out" 2>&1 ||
		{ sed 's/^/#   /' "$G/keygen.out"; return 1; }
}

# guide_zone: every record of the three domains, through `mailaka dns` for
# example.test (what a user would publish), plus PTRs and the peers' zones.
guide_zone() {
	[ -f "$G/conf/dkim/$GUIDE_DOMAIN/rsa.key" ] || _guide_keys || return 1
	"$MK_BUILDDIR/cli/mailaka" -C "$G/conf" dns "$GUIDE_DOMAIN" --ipv4 127.0.0.2 \
		--mx "$GUIDE_HOST" --rua "dmarc@$GUIDE_DOMAIN" --policy "${GUIDE_DMARC_POLICY:-quarantine}" \
		>"$G/zone.txt" 2>"$G/zone.err" || { sed 's/^/#   /' "$G/zone.err"; return 1; }
	_guide_zone_load "$G/zone.txt"
	dns_zone_add 2.0.0.127.in-addr.arpa 300 PTR "$GUIDE_HOST."
	dns_zone_add gmail.test 300 MX 10 mx.gmail.test.
	dns_zone_add mx.gmail.test 300 A 127.0.0.3
	dns_zone_add gmail.test 300 TXT "v=spf1 ip4:127.0.0.3 -all"
	dns_zone_add 3.0.0.127.in-addr.arpa 300 PTR mx.gmail.test.
	dns_zone_add outside.test 300 MX 10 mx.outside.test.
	dns_zone_add mx.outside.test 300 A 127.0.0.4
	dns_zone_add outside.test 300 TXT "v=spf1 ip4:127.0.0.4 -all"
	dns_zone_add _dmarc.outside.test 300 TXT "v=DMARC1; p=none"
	dns_zone_add 4.0.0.127.in-addr.arpa 300 PTR mx.outside.test.
}

# Load zone-file lines as `mailaka dns` prints them (comments skipped;
# TXT strings in quotes, possibly in parentheses).
_guide_zone_load() {
	"$GUIDE_PY" - "$1" >"$G/zone.rr" <<'PY' || return 1
import re, sys
for line in open(sys.argv[1]):
    line = line.split(';', 1)[0].strip() if not '"' in line else line.strip()
    if not line or line.startswith(';') or line.startswith('$'):
        continue
    m = re.match(r'(\S+)\s+(?:(\d+)\s+)?IN\s+(\S+)\s+(.*)$', line)
    if not m:
        continue
    name, ttl, typ, rdata = m.group(1), m.group(2) or '300', m.group(3), m.group(4)
    if typ == 'TXT':
        parts = re.findall(r'"((?:[^"\\]|\\.)*)"', rdata)
        print('\t'.join([name.rstrip('.'), ttl, typ] + parts))
    else:
        print('\t'.join([name.rstrip('.'), ttl, typ, rdata.strip()]))
PY
	local IFS=$'\t' f
	while read -r -a f; do
		dns_zone_add "${f[@]}"
	done <"$G/zone.rr"
}

_guide_cert() {	# CA + server certificate for HOST -> $G/tls/HOST.{pem,key}
	local h=$1 d=$G/tls
	mkdir -p "$d"
	if [ ! -f "$d/ca.pem" ]; then
		openssl req -x509 -newkey ed25519 -nodes -keyout "$d/ca.key" -out "$d/ca.pem" \
			-days 30 -subj "/CN=mailaka demo CA" 2>/dev/null || return 1
	fi
	openssl req -newkey ed25519 -nodes -keyout "$d/$h.key" -out "$d/$h.csr" \
		-subj "/CN=$h" 2>/dev/null &&
	openssl x509 -req -in "$d/$h.csr" -CA "$d/ca.pem" -CAkey "$d/ca.key" -CAcreateserial \
		-days 30 -extfile <(printf 'subjectAltName=DNS:%s\n' "$h") -out "$d/$h.pem" 2>/dev/null &&
	chmod 644 "$d/$h.pem" "$d/$h.key"
}

_guide_daemon() {	# _guide_daemon NAME BINARY CONF SOCKET
	"$MK_BUILDDIR/$2" -f -c "$3" >>"$G/$1.log" 2>&1 &
	mk_track_pid $!
	eval "GUIDE_PID_$1=$!"
	mk_wait_unix "$4" 15 || { echo "# $1 did not start:"; sed 's/^/#   /' "$G/$1.log"; return 1; }
	chmod 666 "$4"
}

_guide_daemons() {
	local k=$G/conf/dkim/$GUIDE_DOMAIN
	printf '%s\n' "rsa._domainkey.$GUIDE_DOMAIN $GUIDE_DOMAIN:rsa:$k/rsa.key" \
		"ed._domainkey.$GUIDE_DOMAIN $GUIDE_DOMAIN:ed:$k/ed.key" >"$G/conf/keytable"
	printf '%s\n' "*@$GUIDE_DOMAIN rsa._domainkey.$GUIDE_DOMAIN" \
		"*@$GUIDE_DOMAIN ed._domainkey.$GUIDE_DOMAIN" >"$G/conf/signingtable"
	cat >"$G/conf/dkim.conf" <<EOF
Socket local:$G/run/dkim.sock
MilterEngine ${MK_MILTER_ENGINE:-own}
Mode sv
KeyTable file:$G/conf/keytable
SigningTable refile:$G/conf/signingtable
MultipleSignatures yes
InternalHosts 127.0.0.1
AuthservID $GUIDE_HOST
Resolver $DNS_RESOLVER
EOF
	cat >"$G/conf/spf.conf" <<EOF
Socket unix:$G/run/spf.sock
skip_addresses 127.0.0.1/32
Header_Type SPF
Resolver $DNS_RESOLVER
EOF
	cat >"$G/conf/dmarc.conf" <<EOF
Socket local:$G/run/dmarc.sock
MilterEngine ${MK_MILTER_ENGINE:-own}
AuthservID $GUIDE_HOST
TrustedAuthservIDs $GUIDE_HOST
RejectFailures yes
IgnoreAuthenticatedClients yes
IgnoreHosts 127.0.0.1
HistoryFile $G/dmarc-history.db
Resolver $DNS_RESOLVER
EOF
	mkdir -p "$G/conf/domains/$GUIDE_DOMAIN"
	printf '%s\n' "# the guide's catch-all: everything to i, i to the Gmail box" \
		"*: i" "i: box@gmail.test" >"$G/conf/domains/$GUIDE_DOMAIN/aliases"
	head -c 24 /dev/urandom | base64 >"$G/conf/srs.secret"
	chmod 600 "$G/conf/srs.secret"
	cat >"$G/conf/forward.conf" <<EOF
Socket unix:$G/run/forward.sock
MilterEngine ${MK_MILTER_ENGINE:-own}
SRSDomain $GUIDE_DOMAIN
SRSSecrets $G/conf/srs.secret
LocalDomains $GUIDE_DOMAIN
AliasesDir $G/conf/domains
EOF
	_guide_daemon dkim milter-dkim/mailaka-dkim "$G/conf/dkim.conf" "$G/run/dkim.sock" &&
	_guide_daemon dmarc milter-dmarc/mailaka-dmarc "$G/conf/dmarc.conf" "$G/run/dmarc.sock" &&
	_guide_daemon spf policy-spf/mailaka-spf "$G/conf/spf.conf" "$G/run/spf.sock" &&
	_guide_daemon forward forwarder/mailaka-forward "$G/conf/forward.conf" "$G/run/forward.sock"
}

_guide_transport() {	# _guide_transport OWN_DOMAIN: the MX routing DNS would give
	# (the Postfixes run without DNS), less the host's own domain
	local d out=""
	for d in "$GUIDE_DOMAIN=smtp:[127.0.0.2]:$PF_PORT_mx" "gmail.test=smtp:[127.0.0.3]:$PF_PORT_gmail" \
	    "outside.test=smtp:[127.0.0.4]:$PF_PORT_outside"; do
		[ "${d%%=*}" = "$1" ] || out="$out${out:+, }$d"
	done
	printf 'inline:{ %s }' "$out"
}

_guide_postfixes() {
	local s=$G/run tls=$G/tls uid gid
	pf_new mx 127.0.0.2
	pf_new gmail 127.0.0.3
	pf_new outside 127.0.0.4
	GUIDE_SMTP=$PF_PORT_mx
	GUIDE_SUB=$(mk_free_port 127.0.0.2)
	_guide_cert "$GUIDE_HOST" && _guide_cert mx.gmail.test && _guide_cert mx.outside.test || return 1
	uid=$(id -u postfix) gid=$(id -g postfix)
	# --- mail.example.test: the user's server with mailaka plugged in ---
	mkdir -p "$PF_DIR_mx/etc/sasl"
	printf '%s' "$GUIDE_PASSWORD" | saslpasswd2 -p -c -f "$PF_DIR_mx/etc/sasl/sasldb2" \
		-u "$GUIDE_DOMAIN" "${GUIDE_USER%@*}" || return 1
	chown postfix "$PF_DIR_mx/etc/sasl/sasldb2"
	chmod 600 "$PF_DIR_mx/etc/sasl/sasldb2"
	printf '%s\n' "pwcheck_method: auxprop" "auxprop_plugin: sasldb" "mech_list: PLAIN LOGIN" \
		"sasldb_path: $PF_DIR_mx/etc/sasl/sasldb2" >"$PF_DIR_mx/etc/sasl/smtpd.conf"
	pf_set mx "myhostname = $GUIDE_HOST" "mydomain = $GUIDE_DOMAIN" "myorigin = $GUIDE_DOMAIN" \
		"mynetworks = 127.0.0.2/32" \
		"virtual_alias_domains = $GUIDE_DOMAIN" \
		"virtual_alias_maps = socketmap:unix:$s/forward.sock:alias" \
		"sender_canonical_maps = socketmap:unix:$s/forward.sock:forward" \
		"sender_canonical_classes = envelope_sender" \
		"recipient_canonical_maps = socketmap:unix:$s/forward.sock:reverse" \
		"recipient_canonical_classes = envelope_recipient, header_recipient" \
		"smtpd_milters = unix:$s/dkim.sock, unix:$s/dmarc.sock" \
		"non_smtpd_milters = \$smtpd_milters" \
		"milter_mail_macros = i {auth_authen} {auth_type} {mail_addr}" \
		"smtpd_recipient_restrictions = permit_sasl_authenticated, permit_mynetworks, reject_unauth_destination, check_policy_service unix:$s/spf.sock" \
		"smtpd_tls_cert_file = $tls/$GUIDE_HOST.pem" "smtpd_tls_key_file = $tls/$GUIDE_HOST.key" \
		"smtpd_tls_security_level = may" "smtpd_tls_mandatory_protocols = >=TLSv1.2" \
		"smtp_tls_security_level = may" "smtp_tls_loglevel = 1" \
		"smtpd_sasl_type = cyrus" "smtpd_sasl_path = smtpd" \
		"transport_maps = $(_guide_transport "$GUIDE_DOMAIN")" || return 1
	pf_service mx "127.0.0.2:$GUIDE_SUB inet n - n - - smtpd -o syslog_name=postfix/submission -o smtpd_tls_security_level=encrypt -o smtpd_sasl_auth_enable=yes -o smtpd_tls_auth_only=yes -o smtpd_client_restrictions=permit_sasl_authenticated,reject -o smtpd_relay_restrictions=permit_sasl_authenticated,reject"
	# --- mx.gmail.test: the Gmail box (real delivery, one maildir) ---
	mkdir -p "$G/mail/gmail"
	chown -R postfix "$G/mail"
	pf_set gmail "myhostname = mx.gmail.test" "mydomain = gmail.test" "mynetworks = 127.0.0.3/32" \
		"virtual_mailbox_domains = gmail.test" "virtual_mailbox_base = $G/mail" \
		"virtual_mailbox_maps = static:gmail/" "virtual_uid_maps = static:$uid" \
		"virtual_gid_maps = static:$gid" "virtual_minimum_uid = 1" "virtual_mailbox_limit = 0" \
		"smtpd_tls_cert_file = $tls/mx.gmail.test.pem" "smtpd_tls_key_file = $tls/mx.gmail.test.key" \
		"smtpd_tls_security_level = may" "smtpd_tls_received_header = yes" \
		"smtp_tls_security_level = may" "transport_maps = $(_guide_transport gmail.test)" || return 1
	# --- mx.outside.test: an outside sender's server (also gets bounces) ---
	mkdir -p "$G/mail/outside"
	chown -R postfix "$G/mail"
	pf_set outside "myhostname = mx.outside.test" "mydomain = outside.test" "mynetworks = 127.0.0.0/8" \
		"virtual_mailbox_domains = outside.test" "virtual_mailbox_base = $G/mail" \
		"virtual_mailbox_maps = static:outside/" "virtual_uid_maps = static:$uid" \
		"virtual_gid_maps = static:$gid" "virtual_minimum_uid = 1" "virtual_mailbox_limit = 0" \
		"smtpd_tls_cert_file = $tls/mx.outside.test.pem" "smtpd_tls_key_file = $tls/mx.outside.test.key" \
		"smtpd_tls_security_level = may" "smtp_tls_security_level = may" \
		"transport_maps = $(_guide_transport outside.test)" || return 1
	pf_start gmail && pf_start outside && pf_start mx &&
		mk_wait_port 127.0.0.2 "$GUIDE_SUB" 15
}

guide_start() {
	_guide_daemons && _guide_postfixes
}

guide_send() {	# guide_send TO [FROM] [SUBJECT] -> mailaka send's summary line
	MAILAKA_PASSWORD=$GUIDE_PASSWORD "$MK_BUILDDIR/cli/mailaka" send \
		--server "127.0.0.2:$GUIDE_SUB" --tls-name "$GUIDE_HOST" \
		--user "$GUIDE_USER" --to "$1" --from "${2:-$GUIDE_USER}" \
		--subject "${3:-mailaka guide test}" --tls starttls --cafile "$G/tls/ca.pem"
}

guide_box_count() { find "$G/mail/${1:-gmail}/new" -type f 2>/dev/null | wc -l; }
_guide_box_has() { [ "$(guide_box_count "$1")" -ge "$2" ]; }
guide_box_wait() { mk_wait_for "${3:-30}" _guide_box_has "${2:-gmail}" "$1"; }
guide_box_msg() {	# guide_box_msg N [BOX]
	find "$G/mail/${2:-gmail}/new" -type f -printf '%T@ %p\n' | sort -n | sed -n "${1}p" | cut -d' ' -f2
}

guide_verdicts() {	# guide_verdicts FILE [CLIENT_IP]
	"$GUIDE_PY" "$GUIDE_VERIFY/verdicts.py" "$DNS_ADDR" "$DNS_PORT" "$1" "${2:-127.0.0.2}"
}
