# t/lib.sh: shared helpers for integration tests (TAP producers).
# Source it from t/integration/<name>/run.sh:
#   . "$top_srcdir/t/lib.sh"
# It gives: a temp dir ($T) removed at exit, a registry of started PIDs
# killed at exit (only those, by PID), a free-port finder, readiness polls
# with a deadline (no fixed sleeps), and TAP helpers.

set -u

: "${top_srcdir:=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)}"
: "${top_builddir:=$top_srcdir}"
export top_srcdir top_builddir

T=$(mktemp -d "${TMPDIR:-/tmp}/mailaka-t.XXXXXX")
chmod 755 "$T"
MK_PIDS=""
MK_CLEANUPS=""
tap_n=0
tap_failed=0

# Register a PID to be killed (TERM, then KILL) at exit.
mk_track_pid() { MK_PIDS="$MK_PIDS $1"; }
# Register a command to run at exit (before PIDs are killed), e.g. postfix stop.
mk_at_exit() { MK_CLEANUPS="$MK_CLEANUPS
$1"; }

mk_cleanup() {
	local p
	if [ -n "$MK_CLEANUPS" ]; then
		while IFS= read -r c; do
			[ -n "$c" ] && eval "$c" >/dev/null 2>&1
		done <<<"$MK_CLEANUPS"
	fi
	for p in $MK_PIDS; do
		kill -CONT "$p" 2>/dev/null
		kill -TERM "$p" 2>/dev/null
	done
	for p in $MK_PIDS; do
		for _ in $(seq 1 50); do
			kill -0 "$p" 2>/dev/null || break
			sleep 0.1
		done
		kill -KILL "$p" 2>/dev/null
	done
	if [ -z "${MK_KEEP_TMP:-}" ]; then
		rm -rf "$T"
	else
		echo "# kept $T" >&2
	fi
}
trap mk_cleanup EXIT
trap 'exit 130' INT TERM

# TAP
ok() {	# ok COND_EXIT_STATUS NAME...
	local rc=$1; shift
	tap_n=$((tap_n + 1))
	if [ "$rc" -eq 0 ]; then
		echo "ok $tap_n - $*"
	else
		tap_failed=$((tap_failed + 1))
		echo "not ok $tap_n - $*"
	fi
	return "$rc"
}
is() {	# is GOT WANT NAME...
	local got=$1 want=$2; shift 2
	if [ "$got" = "$want" ]; then
		ok 0 "$@"
	else
		ok 1 "$@"
		printf '#   got "%s", want "%s"\n' "$got" "$want"
		return 1
	fi
}
like() {	# like GOT ERE NAME...
	local got=$1 re=$2; shift 2
	if printf '%s' "$got" | grep -Eq -- "$re"; then
		ok 0 "$@"
	else
		ok 1 "$@"
		printf '#   got "%s", want match of /%s/\n' "$got" "$re"
		return 1
	fi
}
diag() { echo "# $*"; }
skip_all() { echo "1..0 # SKIP $*"; exit 0; }
bail_out() { echo "Bail out! $*"; exit 1; }
done_testing() {
	echo "1..$tap_n"
	[ "$tap_failed" -eq 0 ]
	exit $?
}

# Skip the whole test (TAP SKIP, never counted as a pass) if a program is missing.
mk_require() {
	local p
	for p in "$@"; do
		command -v "$p" >/dev/null 2>&1 || [ -x "$p" ] || skip_all "missing $p"
	done
}

# A TCP port free on HOST (default 127.0.0.1), chosen by the kernel.
mk_free_port() {
	python3 - "${1:-127.0.0.1}" "${2:-tcp}" <<'PY'
import socket, sys
host, proto = sys.argv[1], sys.argv[2]
fam = socket.AF_INET6 if ':' in host else socket.AF_INET
for _ in range(50):
    t = socket.socket(fam, socket.SOCK_STREAM)
    t.bind((host, 0))
    port = t.getsockname()[1]
    u = socket.socket(fam, socket.SOCK_DGRAM)
    try:
        u.bind((host, port))
    except OSError:
        t.close(); u.close(); continue
    t.close(); u.close()
    print(port)
    break
PY
}

# Wait until COMMAND succeeds, polling every 0.05 s, at most SECONDS.
mk_wait_for() {	# mk_wait_for SECONDS COMMAND...
	local secs=$1; shift
	local deadline=$(( $(date +%s%N) / 1000000 + secs * 1000 ))
	while ! "$@" >/dev/null 2>&1; do
		[ $(( $(date +%s%N) / 1000000 )) -ge "$deadline" ] && return 1
		sleep 0.05
	done
	return 0
}

# Wait until a TCP port accepts connections.
mk_port_open() { (exec 3<>"/dev/tcp/$1/$2") 2>/dev/null; }
mk_wait_port() {	# mk_wait_port HOST PORT [SECONDS]
	mk_wait_for "${3:-10}" mk_port_open "$1" "$2"
}

# Wait until a unix socket exists and accepts connections.
mk_wait_unix() {	# mk_wait_unix PATH [SECONDS]
	mk_wait_for "${2:-10}" python3 -c 'import socket,sys; s=socket.socket(socket.AF_UNIX); s.connect(sys.argv[1])' "$1"
}

# Make sure loopback alias ADDR exists (127.0.0.x is all on lo on Linux;
# this only checks that we can bind it).
mk_have_addr() {
	python3 -c 'import socket,sys; s=socket.socket(); s.bind((sys.argv[1],0))' "$1" 2>/dev/null
}
