# t/integration/milter-common/lib.sh: the test milter (t/milter-testd) for
# the milter-* tests.  Source after t/lib.sh.
#
#   TESTD                        path of t/milter-testd
#   testd_start NAME ENGINE SOCKET [OPTS...]
#                                start it (umask 0: Postfix's smtpd must reach a
#                                unix socket), callbacks logged to $T/NAME.cb,
#                                its log to $T/NAME.log; wait until it serves;
#                                exports TESTD_PID_<NAME>.  1 if it did not start.
#   testd_stop NAME              SIGTERM, wait for the exit; its status
#   testd_engines                "own", plus "libmilter" when that engine starts
#   testd_clean NAME             0 if its log holds no sanitizer report

TESTD=${TESTD:-$top_builddir/t/milter-testd}

_testd_up() {	# _testd_up SOCKET
	case $1 in
	unix:*|local:*) mk_wait_unix "${1#*:}" 10 ;;
	inet:*) local p=${1#inet:}; mk_wait_port "${p#*@}" "${p%@*}" 10 ;;
	inet6:*) local p=${1#inet6:} h; h=${p#*@}; h=${h#[}; mk_wait_port "${h%]}" "${p%@*}" 10 ;;
	esac
}

testd_start() {	# testd_start NAME ENGINE SOCKET [OPTS...]
	local name=$1 engine=$2 sock=$3 pid
	shift 3
	(umask 0; exec "$TESTD" -e "$engine" -s "$sock" -l "$T/$name.cb" "$@") \
		>"$T/$name.log" 2>&1 &
	pid=$!
	mk_track_pid "$pid"
	eval "TESTD_PID_${name//[^a-zA-Z0-9_]/_}=$pid"
	mk_wait_for 10 grep -q '^CB ready' "$T/$name.cb" || return 1
	kill -0 "$pid" 2>/dev/null || return 1
	_testd_up "$sock"
}

testd_stop() {	# testd_stop NAME: exit status of the milter
	local pid
	pid=$(eval "printf '%s' \"\$TESTD_PID_${1//[^a-zA-Z0-9_]/_}\"")
	kill -TERM "$pid" 2>/dev/null
	wait "$pid"
}

testd_clean() {
	! grep -Eq 'AddressSanitizer|LeakSanitizer|runtime error' "$T/$1.log"
}

# Engines to run the tests against: own always; libmilter once
# lib/milter_libmilter.c serves (it can be a stub returning an error).
testd_engines() {
	local out
	echo own
	out=$( (exec "$TESTD" -e libmilter -s "unix:$T/probe.sock" -l /dev/null & p=$!
		if mk_wait_for 5 test -S "$T/probe.sock"; then echo up; fi
		kill -TERM "$p" 2>/dev/null; wait "$p" 2>/dev/null) 2>/dev/null)
	rm -f "$T/probe.sock"
	[ "$out" = up ] && echo libmilter
	return 0
}
