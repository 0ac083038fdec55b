#!/usr/bin/env bash
# mailaka-forward SIGTERM drain: the listeners close at once (new
# connections refused), every pipelined request already sent is answered
# and flushed before the connection is closed, the daemon exits 0; a client
# that never reads its replies holds the exit for at most the drain bound
# (5 s), then the daemon exits 0 anyway and logs the timeout.
. "$top_srcdir/t/lib.sh"
. "$top_srcdir/t/integration/forward-common/lib.sh"

mk_require python3
[ -x "$FWD_BIN" ] || bail_out "missing $FWD_BIN"
CLIENT=$top_srcdir/t/integration/forward-drain/drain_client.py
N=20000		# ~560 KB of requests, ~500 KB of replies: more than the socket buffers

D=$T/fwd
mkdir -p "$D/aliases"
fwd_secret "$D/secrets" "topsecret"
printf '*@other.test: *@gmail.test\n' >"$D/full-aliases"
cat >"$D/forward.conf" <<EOF2
Socket unix:$D/fwd.sock
SRSDomain fwd.example
SRSSecrets $D/secrets
LocalDomains example.test
AliasesDir $D/aliases
AliasesFile $D/full-aliases
LogLevel notice
EOF2

# 1. pipelined requests, SIGTERM before any reply is read
fwd_start "$D/forward.conf" "$T/fwd1.log" || bail_out "no daemon"
pid=$FWD_PID
python3 -c 'import socket,sys; s=socket.socket(socket.AF_UNIX); s.connect(sys.argv[1]); import time; time.sleep(30)' \
	"$D/fwd.sock" &
IDLE=$!
mk_track_pid "$IDLE"
out=$(timeout 30 python3 "$CLIENT" "$D/fwd.sock" "$pid" "$N" read 2>&1)
is "$out" "replies=$N inorder=$N eof=yes" "SIGTERM: all $N pipelined replies arrive, in order, then EOF"
out=$(python3 "$FWD_COMMON/smclient.py" "unix:$D/fwd.sock" "alias late@other.test" 2>&1)
ok $([ $? -ne 0 ] && echo 0 || echo 1) "SIGTERM: a new connection is refused while draining"
t0=$SECONDS
wait "$pid"; rc=$?
is "$rc" 0 "SIGTERM: exit status 0"
ok $((SECONDS - t0 <= 6 ? 0 : 1)) "SIGTERM: the idle connection did not hold the exit"
grep -q 'event=stopping signal=Terminated' "$T/fwd1.log"
ok $? "log: stopping on SIGTERM"
grep -q 'event=drained' "$T/fwd1.log"
ok $? "log: drained (no connection left)"
! grep -q 'drain-timeout' "$T/fwd1.log"
ok $? "log: no drain timeout"
kill "$IDLE" 2>/dev/null; wait "$IDLE" 2>/dev/null

# 2. a client that never reads: the drain is bounded
FWD_PID=""
fwd_start "$D/forward.conf" "$T/fwd2.log" || bail_out "no daemon"
pid=$FWD_PID
t0=$SECONDS
out=$(timeout 30 python3 "$CLIENT" "$D/fwd.sock" "$pid" "$N" noread 2>&1)
wait "$pid"; rc=$?
el=$((SECONDS - t0))
is "$out" "closed=yes" "stuck client: the server closes it"
is "$rc" 0 "stuck client: exit status 0"
ok $((el >= 5 && el <= 12 ? 0 : 1)) "stuck client: exit after the 5 s bound (took ${el}s incl. 1.5 s setup)"
grep -q 'event=drain-timeout connections=1' "$T/fwd2.log"
ok $? "log: drain-timeout with the stuck connection counted"
FWD_PID=""
done_testing
