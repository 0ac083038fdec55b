# t/integration/dkim-common/lib.sh: helpers shared by the dkim-* integration
# tests (sourced after t/lib.sh and t/lib/dns.sh; sources t/lib/postfix.sh).
# Not a test itself.
#
#   dkim_require                 skip unless postfix, smtp-sink, swaks are here
#   dkim_milter_start CONF       start mailaka-dkim -f -c CONF (Socket in CONF
#                                must be unix:PATH), wait for the socket; adds
#                                MilterEngine ${MK_MILTER_ENGINE:-own}
#                                to CONF unless it sets one
#   dkim_sink_start              smtp-sink on 127.0.0.11:$SINK_PORT dumping to $T/sink
#   dkim_postfix_start SOCKET    a Postfix instance on 127.0.0.1:$PF_PORT relaying
#                                to the sink, smtpd_milters = unix:SOCKET
#   dkim_wait_sink N             wait until N messages are in the sink
#   dkim_sink_msg N              path of the N-th message (1-based, by time),
#                                its envelope lines stripped, CRLF line ends
#   dkim_verify_py FILE          dkimpy's lines for FILE
#   dkim_verify_pl FILE          Mail::DKIM's lines for FILE
#   dkim_pubkey_txt KEYFILE      the DNS TXT value for a private key file
#   dkim_keys NAME:TYPE...       K=$T/keys (mode 700) with $K/NAME.key (mode 600)
#                                for each TYPE: rsa (2048 bits), rsa512, ed25519

# Debian's python3 (python3-dkim, python3-nacl), not one earlier in PATH (pyenv)
DKIM_PY=/usr/bin/python3
DKIM_BIN=$top_builddir/milter-dkim/mailaka-dkim
DKIM_COMMON=$top_srcdir/t/integration/dkim-common

. "$top_srcdir/t/lib/postfix.sh"

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
	grep -qi '^MilterEngine' "$conf" || echo "MilterEngine ${MK_MILTER_ENGINE:-own}" >>"$conf"
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

# The Postfix instance and the sink come from t/lib/postfix.sh (instance "mx",
# sink "dkim"); the names below are kept for the dkim-* tests.
dkim_sink_start() {
	sink_start dkim 127.0.0.11 || return 1
	SINK_PORT=$SINK_PORT_dkim
}

dkim_postfix_start() {	# dkim_postfix_start MILTER_SOCKET
	pf_new mx 127.0.0.1
	PF_PORT=$PF_PORT_mx
	PF_DIR=$PF_DIR_mx
	# smtp_line_length_limit = 0: do not fold long lines on the way out
	# (Postfix 3.7 breaks at 999 bytes, not at white space, which changes a
	# signed header)
	pf_set mx "myhostname = mx.example.net" "mydomain = example.net" \
		"myorigin = example.net" "relayhost = [127.0.0.11]:$SINK_PORT" \
		"smtpd_relay_restrictions = permit_mynetworks, reject" \
		"smtpd_milters = unix:$1" 'non_smtpd_milters = $smtpd_milters' \
		"smtp_line_length_limit = 0"
	pf_start mx
}

dkim_sink_count() { sink_count dkim; }
dkim_wait_sink() { sink_wait dkim "$1" "${2:-20}"; }

# Message N (1-based, by arrival time), envelope stripped, CRLF line ends.
dkim_sink_msg() { sink_msg dkim "$1"; }

dkim_verify_py() { "$DKIM_PY" "$DKIM_COMMON/dkimpy_verify.py" "$DNS_ADDR" "$DNS_PORT" "$1" 2>&1; }
dkim_verify_pl() { perl "$top_srcdir/t/lib/verify/maildkim.pl" "$DNS_ADDR" "$DNS_PORT" "$1" 2>&1; }

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

dkim_keys() {	# dkim_keys NAME:TYPE... -> $K/NAME.key
	local spec name
	K=$T/keys
	mkdir -p "$K"
	chmod 700 "$K"
	for spec in "$@"; do
		name=${spec%%:*}
		case ${spec#*:} in
		rsa) openssl genpkey -algorithm RSA -pkeyopt rsa_keygen_bits:2048 -out "$K/$name.key" ;;
		rsa512) openssl genpkey -algorithm RSA -pkeyopt rsa_keygen_bits:512 -out "$K/$name.key" ;;
		ed25519) openssl genpkey -algorithm ED25519 -out "$K/$name.key" ;;
		*) bail_out "dkim_keys: unknown key type in $spec" ;;
		esac 2>/dev/null || return 1
		chmod 600 "$K/$name.key"
	done
}
