#!/usr/bin/env bash
# mailaka send against server faults a real Postfix does not produce (so a
# scripted peer, one per case): a silent server (timeout), an endless reply
# line (bounded read), a reply whose code changes between lines, data
# injected after the 220 to STARTTLS (CVE-2011-0411 class), a server that
# closes mid-dialogue, and a 5xx at end of DATA.  Each must end with a
# clear error and exit 1, without hanging.
. "$top_srcdir/t/lib.sh"
mk_require python3
MAILAKA=$top_builddir/cli/mailaka

cat >"$T/peer.py" <<'PY'
import socket, sys, time
mode, port_file = sys.argv[1], sys.argv[2]
s = socket.socket()
s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
s.bind(('127.0.0.1', 0))
s.listen(1)
open(port_file + '.tmp', 'w').write(str(s.getsockname()[1]))
import os; os.rename(port_file + '.tmp', port_file)
c, _ = s.accept()
f = c.makefile('rb')
def send(b): c.sendall(b)
def cmd(): return f.readline()
if mode == 'silent':
    time.sleep(10); sys.exit(0)
if mode == 'longline':
    send(b'220 ' + b'x' * 5000); time.sleep(10); sys.exit(0)
send(b'220 fake ESMTP\r\n')
cmd()
if mode == 'codechange':
    send(b'250-fake\r\n251 STARTTLS\r\n'); time.sleep(1); sys.exit(0)
send(b'250-fake\r\n250-STARTTLS\r\n250 AUTH PLAIN\r\n')
if mode == 'inject':
    cmd(); send(b'220 go ahead\r\n250 injected\r\n'); time.sleep(2); sys.exit(0)
if mode == 'close':
    cmd(); c.close(); sys.exit(0)
if mode == 'plain5xx':   # --tls none, no AUTH: MAIL, RCPT, DATA, then 554
    for reply in (b'250 ok\r\n', b'250 ok\r\n', b'354 go\r\n'):
        cmd(); send(reply)
    while f.readline() not in (b'.\r\n', b''):
        pass
    send(b'554 5.7.1 rejected: spam\r\n'); cmd(); send(b'221 bye\r\n'); time.sleep(1)
PY

peer() {	# peer MODE -> starts it, sets PORT
	rm -f "$T/port"
	python3 "$T/peer.py" "$1" "$T/port" &
	mk_track_pid $!
	mk_wait_for 10 test -s "$T/port" || bail_out "peer $1 did not start"
	PORT=$(cat "$T/port")
}
send() {	# send EXTRA-ARGS... -> RC, ERR, ELAPSED (s)
	local t0=$SECONDS
	MAILAKA_PASSWORD=pw "$MAILAKA" send --server "127.0.0.1:$PORT" --to b@example.test \
		--from a@example.test --timeout 2 "$@" >"$T/out" 2>"$T/err"
	RC=$?
	ERR=$(cat "$T/err")
	ELAPSED=$((SECONDS - t0))
}

peer silent
send --user a@example.test
is "$RC" 1 "silent server: exit 1"
like "$ERR" 'timeout after 2000 ms' "silent server: timeout named"
ok $([ "$ELAPSED" -le 5 ]; echo $?) "silent server: gave up within the timeout (${ELAPSED}s)"

peer longline
send --user a@example.test
is "$RC" 1 "endless reply line: exit 1"
like "$ERR" 'reply line longer than 1000 bytes' "endless reply line: bounded read"

peer codechange
send --user a@example.test
is "$RC" 1 "code change inside a reply: exit 1"
like "$ERR" 'bad reply from the server \(reply code changes between lines\)' "code change named"

peer inject
send --user a@example.test --insecure
is "$RC" 1 "data injected after STARTTLS: exit 1"
like "$ERR" 'server sent data before the TLS handshake' "STARTTLS injection refused"

peer close
send --user a@example.test --insecure
is "$RC" 1 "server closes during STARTTLS: exit 1"
like "$ERR" 'connection closed by the server' "close named"

peer plain5xx
send --tls none
is "$RC" 1 "554 at end of DATA: exit 1"
like "$ERR" 'message refused at end of DATA: 554 5.7.1 rejected: spam' "the 554 reply is shown"
is "$(cat "$T/out")" "" "no summary line when the message was refused"
# IPv6 literal in brackets; nothing listens there
PORT=$(mk_free_port ::1 2>/dev/null)
if [ -n "$PORT" ]; then
	MAILAKA_PASSWORD=pw "$MAILAKA" send --server "[::1]:$PORT" --user a@example.test --to b@example.test \
		--timeout 2 >/dev/null 2>"$T/err"
	is "$?" 1 "[::1]:PORT with nothing listening: exit 1"
	like "$(cat "$T/err")" 'connect: Connection refused' "[::1]:PORT: connect error named"
else
	ok 0 "# SKIP no IPv6 loopback"
fi
"$MAILAKA" send --server "::1:25" --to b@example.test --from a@example.test --tls none >/dev/null 2>&1
is "$?" 2 "a bare IPv6 address without brackets is a usage error"
done_testing
