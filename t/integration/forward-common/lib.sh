# t/integration/forward-common/lib.sh: helpers shared by the forward-*
# integration tests (sourced after t/lib.sh).  Not a test itself.
#
#   FWD_BIN                       the daemon
#   fwd_secret FILE LINE...       write a secrets file (mode 600)
#   fwd_start CONF [LOG]          start mailaka-forward -f -c CONF, wait for its
#                                 Socket (unix: or inet:), sets FWD_PID; adds
#                                 MilterEngine ${MK_MILTER_ENGINE:-own}
#                                 to CONF unless it sets one
#   fwd_stop                      SIGTERM, wait, sets FWD_RC to its exit status
#   sm SOCKET 'map key'...        socketmap queries, one reply a line
#   tcpq HOST:PORT KEY...         tcp_table queries, one reply line each
#   raw SOCKET BYTES              raw bytes, replies then EOF/OPEN

FWD_BIN=$top_builddir/forwarder/mailaka-forward
FWD_COMMON=$top_srcdir/t/integration/forward-common

fwd_secret() {	# fwd_secret FILE LINE...
	local f=$1; shift
	(umask 077; printf '%s\n' "$@" >"$f")
	chmod 600 "$f"
}

fwd_start() {	# fwd_start CONF [LOG]
	local conf=$1 log=${2:-$T/forward.log} sock
	sock=$(sed -n 's/^Socket[[:space:]]*//p' "$conf")
	grep -qi '^MilterEngine' "$conf" || echo "MilterEngine ${MK_MILTER_ENGINE:-own}" >>"$conf"
	"$FWD_BIN" -f -c "$conf" >>"$log" 2>&1 &
	FWD_PID=$!
	mk_track_pid "$FWD_PID"
	case $sock in
	unix:*) mk_wait_unix "${sock#unix:}" 10 ;;
	inet:*) mk_wait_port "${sock#*@}" "$(echo "${sock#inet:}" | cut -d@ -f1)" 10 ;;
	esac || { sed 's/^/#   /' "$log"; return 1; }
}

fwd_stop() {
	FWD_RC=""
	[ -n "${FWD_PID:-}" ] || return 0
	kill -TERM "$FWD_PID" 2>/dev/null
	wait "$FWD_PID" 2>/dev/null
	FWD_RC=$?
	FWD_PID=""
}

sm() { python3 "$FWD_COMMON/smclient.py" "$@" 2>&1; }
tcpq() { python3 "$FWD_COMMON/smclient.py" -t "$@" 2>&1; }
raw() { python3 "$FWD_COMMON/smclient.py" -r "$@" 2>&1; }

# Skip (or bail out) unless the peers of a forward-through-Postfix test are
# here: the DNS fixture, Postfix, swaks, pyspf, the daemon, three hosts.
fwd_postfix_require() {
	local a
	dns_require
	pf_require
	mk_require swaks /usr/bin/python3
	[ -x "$FWD_BIN" ] || bail_out "missing $FWD_BIN"
	/usr/bin/python3 -c 'import spf, dns.resolver' 2>/dev/null || skip_all "python3-spf missing"
	for a in 127.0.0.2 127.0.0.3 127.0.0.4; do
		mk_have_addr $a || skip_all "cannot bind $a"
	done
}
