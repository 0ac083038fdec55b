# t/lib/postfix.sh: throwaway Postfix instances and smtp-sink hosts for
# integration tests and the demo (see shared PEERS.md). Source after t/lib.sh.
#
#   pf_require                       TAP skip unless postfix, smtp-sink, root
#   pf_new NAME ADDR                 instance in $T/pf-NAME: smtpd on ADDR:<free port>
#                                    (bound in master.cf, so ADDR needs no lo alias),
#                                    outgoing smtp bound to ADDR, no DNS, no local
#                                    delivery, chroot off; exports PF_DIR_<NAME>,
#                                    PF_PORT_<NAME>, PF_ADDR_<NAME>
#   pf_set NAME 'key = value'...     set main.cf parameters (postconf -e)
#   pf_service NAME 'master.cf line' add a master.cf service (e.g. submission)
#   pf_start NAME                    start, wait for the port, stop at exit
#   pf_log NAME                      path of the instance's maillog
#   pf_flush NAME                    postqueue -f
#
#   sink_start NAME ADDR             smtp-sink on ADDR:<free port>, one file per
#                                    message in $T/sink-NAME; exports SINK_PORT_<NAME>;
#                                    $SINK_FLAGS are added to its options (bench/
#                                    uses -c: running counters in $T/sink-NAME.log)
#   sink_count NAME                  messages received so far
#   sink_wait NAME N [SECONDS]       wait until N messages (default 30 s)
#   sink_file NAME N                 path of the N-th message as dumped (arrival
#                                    order), the sink's X-* envelope lines included
#   sink_msg NAME N                  path of the N-th message (arrival order) with
#                                    the sink's X-* envelope lines removed, CRLF ends
#   sink_env NAME N FIELD            an envelope line of message N: Mail, Rcpt,
#                                    Client-Addr, Helo (X-<FIELD>-Args / X-<FIELD>)

pf_require() {
	mk_require postconf postfix smtp-sink
	[ "$(id -u)" = 0 ] || skip_all "a Postfix instance needs root"
	[ -f /usr/share/postfix/master.cf.dist ] || skip_all "postfix master.cf.dist missing"
}

_pf_var() { eval "printf '%s' \"\${$1_$2}\""; }

pf_new() {	# pf_new NAME ADDR
	local name=$1 addr=$2 d=$T/pf-$1 port
	port=$(mk_free_port "$addr")
	mkdir -p "$d/etc" "$d/queue" "$d/data"
	chown postfix "$d/data"
	awk -v listen="$addr:$port" '
		/^smtp[ \t]+inet/ { print listen " inet n - n - - smtpd"; next }
		/^#/ || /^[ \t]*$/ { print; next }
		/^[a-z]/ && NF >= 8 { $5 = "n"; print; next }
		{ print }' /usr/share/postfix/master.cf.dist >"$d/etc/master.cf"
	cat >"$d/etc/main.cf" <<EOF
compatibility_level = 3.6
queue_directory = $d/queue
data_directory = $d/data
mail_owner = postfix
setgid_group = postdrop
myhostname = $name.example.test
inet_interfaces = 127.0.0.1
inet_protocols = ipv4
mydestination =
local_recipient_maps =
alias_maps =
alias_database =
mynetworks = 127.0.0.0/8
smtp_bind_address = $addr
smtp_dns_support_level = disabled
smtp_host_lookup = native
smtpd_peername_lookup = no
smtpd_relay_restrictions = permit_mynetworks, permit_sasl_authenticated, reject_unauth_destination
maillog_file = $d/maillog
maillog_file_prefixes = $d
smtp_tls_security_level = none
smtpd_tls_security_level = none
milter_protocol = 6
milter_default_action = tempfail
message_size_limit = 104857600
EOF
	eval "PF_DIR_$name=\$d; PF_PORT_$name=\$port; PF_ADDR_$name=\$addr"
}

pf_set() {	# pf_set NAME 'key = value'...
	local d=$T/pf-$1
	shift
	postconf -c "$d/etc" -e "$@"
}

pf_service() {	# pf_service NAME 'master.cf line'
	printf '%s\n' "$2" >>"$T/pf-$1/etc/master.cf"
}

pf_start() {	# pf_start NAME
	local d=$T/pf-$1
	postfix -c "$d/etc" check >"$d/check.log" 2>&1 || { sed 's/^/#   /' "$d/check.log"; return 1; }
	postfix -c "$d/etc" start >"$d/start.log" 2>&1 || { sed 's/^/#   /' "$d/start.log"; return 1; }
	mk_at_exit "postfix -c '$d/etc' stop"
	mk_wait_port "$(_pf_var PF_ADDR "$1")" "$(_pf_var PF_PORT "$1")" 15
}

pf_log() { printf '%s\n' "$T/pf-$1/maillog"; }
pf_flush() { postqueue -c "$T/pf-$1/etc" -f; }

sink_start() {	# sink_start NAME ADDR
	local name=$1 addr=$2 port
	port=$(mk_free_port "$addr")
	mkdir -p "$T/sink-$name"
	chown postfix "$T/sink-$name"
	smtp-sink ${SINK_FLAGS:-} -u postfix -d "$T/sink-$name/%H%M%S." "$addr:$port" 64 \
		>"$T/sink-$name.log" 2>&1 &
	mk_track_pid $!
	mk_wait_port "$addr" "$port" 10 || return 1
	eval "SINK_PORT_$name=\$port"
}

sink_count() { find "$T/sink-$1" -type f 2>/dev/null | wc -l; }
_sink_has() { [ "$(sink_count "$1")" -ge "$2" ]; }
sink_wait() { mk_wait_for "${3:-30}" _sink_has "$1" "$2"; }

_sink_file() {	# N-th file by modification time
	find "$T/sink-$1" -type f -printf '%T@ %p\n' | sort -n | sed -n "${2}p" | cut -d' ' -f2
}

sink_file() { _sink_file "$@"; }	# sink_file NAME N -> raw dump path

sink_msg() {	# sink_msg NAME N -> path of the message without envelope lines
	local f out=$T/sink-$1.msg.$2.eml
	f=$(_sink_file "$1" "$2")
	[ -n "$f" ] || { : >"$out"; echo "$out"; return 1; }
	python3 - "$f" "$out" <<'PY'
import sys
env = (b'X-Client-Addr:', b'X-Client-Proto:', b'X-Helo-Args:', b'X-Mail-Args:', b'X-Rcpt-Args:')
lines = open(sys.argv[1], 'rb').read().replace(b'\r\n', b'\n').split(b'\n')
while lines and lines[0].startswith(env):
    lines.pop(0)
open(sys.argv[2], 'wb').write(b'\r\n'.join(lines))
PY
	echo "$out"
}

sink_env() {	# sink_env NAME N FIELD   (Mail, Rcpt, Helo, Client-Addr, Client-Proto)
	local f
	f=$(_sink_file "$1" "$2")
	[ -n "$f" ] || return 1
	sed -n -e "s/^X-$3-Args: //p" -e "s/^X-$3: //p" "$f" | head -1
}
