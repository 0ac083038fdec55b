# t/integration/dkim-common/lib.sh: helpers shared by the dkim-* integration
# tests (sourced after t/lib.sh and t/lib/dns.sh).  Not a test itself.
#
#   dkim_require                 skip unless postfix, smtp-sink, swaks are here
#   dkim_milter_start CONF       start mailaka-dkim -f -c CONF (Socket in CONF
#                                must be unix:PATH), wait for the socket
#   dkim_sink_start              smtp-sink on 127.0.0.11:$SINK_PORT dumping to $T/sink
#   dkim_postfix_start SOCKET    a Postfix instance on 127.0.0.1:$PF_PORT relaying
#                                to the sink, smtpd_milters = unix:SOCKET
#   dkim_wait_sink N             wait until N messages are in the sink
#   dkim_sink_msg N              path of the N-th message (1-based, by time),
#                                its envelope lines stripped, CRLF line ends
#   dkim_verify_py FILE          dkimpy's lines for FILE
#   dkim_verify_pl FILE          Mail::DKIM's lines for FILE
#   dkim_pubkey_txt KEYFILE      the DNS TXT value for a private key file

# Debian's python3 (python3-dkim, python3-nacl), not one earlier in PATH (pyenv)
DKIM_PY=/usr/bin/python3
DKIM_BIN=$top_builddir/milter-dkim/mailaka-dkim
DKIM_COMMON=$top_srcdir/t/integration/dkim-common

dkim_require() {
	mk_require postconf smtp-sink swaks python3 perl openssl
	[ -x "$DKIM_BIN" ] || bail_out "missing $DKIM_BIN"
	"$DKIM_PY" -c "import dkim, nacl" 2>/dev/null || skip_all "python3-dkim missing"
	perl -MMail::DKIM -e1 2>/dev/null || skip_all "libmail-dkim-perl missing"
	[ "$(id -u)" = 0 ] || skip_all "a Postfix instance needs root"
}

dkim_milter_start() {	# dkim_milter_start CONF [LOG]
	local conf=$1 log=${2:-$T/dkim.log} sock
	sock=$(sed -n 's/^Socket[[:space:]]*\(unix\|local\)://p' "$conf")
	rm -f "$sock"
	# full malloc stacks, so that the one libopendkim leak can be suppressed by name
	ASAN_OPTIONS="${ASAN_OPTIONS:+$ASAN_OPTIONS:}fast_unwind_on_malloc=0" \
	LSAN_OPTIONS="${LSAN_OPTIONS:+$LSAN_OPTIONS:}suppressions=$DKIM_COMMON/lsan.supp:print_suppressions=0" \
	"$DKIM_BIN" -f -c "$conf" >>"$log" 2>&1 &
	DKIM_PID=$!
	mk_track_pid "$DKIM_PID"
	mk_wait_unix "$sock" 10 || { sed 's/^/#   /' "$log"; return 1; }
	chmod 666 "$sock"
}

dkim_milter_stop() {
	[ -n "${DKIM_PID:-}" ] || return 0
	kill -TERM "$DKIM_PID" 2>/dev/null
	wait "$DKIM_PID" 2>/dev/null
	DKIM_PID=""
}

dkim_sink_start() {
	SINK_PORT=$(mk_free_port 127.0.0.11)
	mkdir -p "$T/sink"
	chown postfix "$T/sink"
	smtp-sink -u postfix -d "$T/sink/%H%M%S." 127.0.0.11:"$SINK_PORT" 64 \
		>"$T/sink.log" 2>&1 &
	SINK_PID=$!
	mk_track_pid "$SINK_PID"
	mk_wait_port 127.0.0.11 "$SINK_PORT" 10
}

dkim_postfix_start() {	# dkim_postfix_start MILTER_SOCKET
	local sock=$1 d=$T/pf
	PF_PORT=$(mk_free_port 127.0.0.1)
	PF_DIR=$d
	mkdir -p "$d/etc" "$d/queue" "$d/data"
	chown postfix "$d/data"
	awk -v port="$PF_PORT" '
		/^smtp[ \t]+inet/ { print "127.0.0.1:" port " inet n - n - - smtpd"; next }
		/^#/ || /^[ \t]*$/ { print; next }
		/^[a-z]/ && NF >= 8 { $5 = "n"; print; next }
		{ print }' /usr/share/postfix/master.cf.dist >"$d/etc/master.cf"
	cat >"$d/etc/main.cf" <<EOF
compatibility_level = 3.6
queue_directory = $d/queue
data_directory = $d/data
mail_owner = postfix
setgid_group = postdrop
myhostname = mx.example.net
mydomain = example.net
myorigin = example.net
inet_interfaces = 127.0.0.1
inet_protocols = ipv4
mydestination =
local_recipient_maps =
alias_maps =
alias_database =
mynetworks = 127.0.0.0/8
relayhost = [127.0.0.11]:$SINK_PORT
smtp_dns_support_level = disabled
smtp_host_lookup = native
smtpd_peername_lookup = no
smtpd_relay_restrictions = permit_mynetworks, reject
maillog_file = $d/maillog
maillog_file_prefixes = $d
smtpd_milters = unix:$sock
non_smtpd_milters = \$smtpd_milters
milter_protocol = 6
milter_default_action = tempfail
message_size_limit = 104857600
smtp_tls_security_level = none
# do not fold long lines on the way out (Postfix 3.7 breaks at 999 bytes, not at
# white space, which changes a signed header)
smtp_line_length_limit = 0
smtpd_tls_security_level = none
EOF
	postfix -c "$d/etc" start >"$T/pf-start.log" 2>&1 || { sed 's/^/#   /' "$T/pf-start.log"; return 1; }
	mk_at_exit "postfix -c '$d/etc' stop"
	mk_wait_port 127.0.0.1 "$PF_PORT" 15
}

dkim_sink_count() { find "$T/sink" -type f 2>/dev/null | wc -l; }
_dkim_sink_has() { [ "$(dkim_sink_count)" -ge "$1" ]; }
dkim_wait_sink() { mk_wait_for "${2:-20}" _dkim_sink_has "$1"; }

# Message N (1-based, in dump-name order = arrival time), envelope stripped.
dkim_sink_msg() {
	local f out
	f=$(find "$T/sink" -type f -printf '%T@ %p\n' | sort -n | sed -n "${1}p" | cut -d' ' -f2)
	out=$T/msg.$1.eml
	[ -n "$f" ] || { : >"$out"; echo "$out"; return 1; }
	python3 - "$f" "$out" <<'PY'
import sys
lines = open(sys.argv[1], 'rb').read().replace(b'\r\n', b'\n').split(b'\n')
env = (b'X-Client-Addr:', b'X-Client-Proto:', b'X-Helo-Args:', b'X-Mail-Args:', b'X-Rcpt-Args:')
while lines and lines[0].startswith(env):
    lines.pop(0)
open(sys.argv[2], 'wb').write(b'\r\n'.join(lines))
PY
	echo "$out"
}

dkim_verify_py() { "$DKIM_PY" "$DKIM_COMMON/dkimpy_verify.py" "$DNS_ADDR" "$DNS_PORT" "$1" 2>&1; }
dkim_verify_pl() { perl "$DKIM_COMMON/maildkim_verify.pl" "$DNS_ADDR" "$DNS_PORT" "$1" 2>&1; }

dkim_pubkey_txt() {	# dkim_pubkey_txt KEYFILE
	python3 - "$1" <<'PY'
import base64, subprocess, sys
der = subprocess.run(['openssl', 'pkey', '-in', sys.argv[1], '-pubout', '-outform', 'DER'],
                     capture_output=True, check=True).stdout
text = subprocess.run(['openssl', 'pkey', '-in', sys.argv[1], '-noout', '-text'],
                      capture_output=True, text=True).stdout
if text.startswith('ED25519'):
    print('v=DKIM1; k=ed25519; p=' + base64.b64encode(der[-32:]).decode())
else:
    print('v=DKIM1; k=rsa; p=' + base64.b64encode(der).decode())
PY
}
