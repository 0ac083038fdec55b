#!/usr/bin/env bash
# mailaka-forward at the protocol level: Postfix's socketmap (netstring)
# and tcp_table protocols on unix and inet sockets; the alias, forward and
# reverse maps (catch-all, chains, drop characters and suffixes, several
# targets, loops -> TEMP, pipes not honoured); SRS round trips, SRS1, bad
# hash / expired / garbage with distinct reasons (tcp_table carries the
# reason; socketmap logs it); pipelined requests; many concurrent
# connections; malformed netstrings close the connection with a logged
# reason; reload on file change and on SIGHUP (key rotation), a broken
# reload keeps the old state; config and secrets-file errors at start.
. "$top_srcdir/t/lib.sh"
. "$top_srcdir/t/integration/forward-common/lib.sh"

mk_require python3
[ -x "$FWD_BIN" ] || bail_out "missing $FWD_BIN"

D=$T/fwd
mkdir -p "$D/aliases/example.test" "$D/aliases/empty.test"
fwd_secret "$D/secrets" "topsecret"
cat >"$D/aliases/example.test/aliases" <<'EOF'
# the guide's setup: everything to a Gmail-like box
*: i
i: box@gmail.test
postmaster: admin@remote.test
sales: a@remote.test, b@remote.test
first.last: fl@remote.test
chain: sales
loop1: loop2
loop2: loop1
tubo: | /usr/bin/true
EOF
cat >"$D/full-aliases" <<'EOF'
bob@other.test: robert@remote.test
*@other.test: *@gmail.test
EOF
printf 'listed.test\n# comment\n' >"$D/domains"
TP=$(mk_free_port 127.0.0.1)
RP=$(mk_free_port 127.0.0.1)
AP=""
python3 -c 'import socket; socket.socket(socket.AF_INET6).bind(("::1", 0))' 2>/dev/null && AP=$(mk_free_port ::1)
cat >"$D/forward.conf" <<EOF
# mailaka-forward test config
Socket unix:$D/fwd.sock
TCPForwardSocket inet:$TP@127.0.0.1
TCPReverseSocket inet:$RP@127.0.0.1
SRSDomain fwd.example
SRSSecrets $D/secrets
LocalDomains example.test, $D/domains
AliasesDir $D/aliases
AliasesFile $D/full-aliases
LogLevel debug
EOF
[ -n "$AP" ] && echo "TCPAliasSocket inet6:$AP@[::1]" >>"$D/forward.conf"
S=unix:$D/fwd.sock

fwd_start "$D/forward.conf"
ok $? "mailaka-forward starts (unix + two tcp_table sockets)" || bail_out "no daemon"
MAIN_PID=$FWD_PID

# --- alias map ---
out=$(sm "$S" "alias anything@example.test" "alias Some.One+tag@EXAMPLE.test" \
	"alias i@example.test" "alias postmaster@example.test" "alias sales@example.test" \
	"alias First.Last+news@example.test" "alias chain@example.test" \
	"alias bob@other.test" "alias zed@other.test" "alias x@remote.test" \
	"alias @example.test" "alias example" "alias tubo@example.test" "alias loop1@example.test" \
	"alias nobody@listed.test")
is "$out" "OK box@gmail.test
OK box@gmail.test
OK box@gmail.test
OK admin@remote.test
OK a@remote.test,b@remote.test
OK fl@remote.test
OK a@remote.test,b@remote.test
OK robert@remote.test
OK zed@gmail.test
NOTFOUND 
NOTFOUND 
NOTFOUND 
NOTFOUND 
TEMP alias expansion failed: alias loop
NOTFOUND " "alias map: catch-all, exact before catch-all, several targets, drop/suffix, chain, full-address file, loops TEMP, non-local NOTFOUND"
grep -q 'map=alias addr=anything@example.test result=OK value=box@gmail.test reason=catch-all' "$T/forward.log"
ok $? "alias decision logged with the catch-all reason"

# --- forward / reverse maps ---
f=$(sm "$S" "forward alice@orig.test")
like "$f" '^OK SRS0=[A-Za-z0-9+/]{4}=[A-Z2-7]{2}=orig\.test=alice@fwd\.example$' "forward: SRS0 for a foreign sender"
a=${f#OK }
r=$(sm "$S" "reverse $a")
is "$r" "OK alice@orig.test" "reverse: back to the original"
lc=$(echo "$a" | tr 'A-Z' 'a-z')
is "$(sm "$S" "reverse $lc")" "OK alice@orig.test" "reverse: case-insensitive (lower-cased by a relay)"
is "$(sm "$S" "forward bob@example.test" "forward carol@listed.test" "forward dan@fwd.example" \
	"forward $a" "forward nobody")" "NOTFOUND 
NOTFOUND 
NOTFOUND 
NOTFOUND 
NOTFOUND " "forward: local, listed, SRS domain, own SRS and bare names untouched"
s1=$(sm "$S" "forward SRS0=abcd=XX=orig.test=eve@first.test")
like "$s1" '^OK SRS1=[A-Za-z0-9+/]{4}=first\.test==abcd=XX=orig\.test=eve@fwd\.example$' "forward: SRS1 for another forwarder's SRS0"
is "$(sm "$S" "reverse ${s1#OK }")" "OK SRS0=abcd=XX=orig.test=eve@first.test" "reverse: SRS1 -> first forwarder's SRS0"
bad=$(echo "$a" | sed 's/^SRS0=\(.\)/SRS0=\1\1/; s/^SRS0=\(....\)./SRS0=\1/')
tampered=$(echo "$a" | sed 's/=alice@/=mallory@/')
is "$(sm "$S" "reverse $tampered" "reverse SRS0=zz@fwd.example" "reverse alice@fwd.example" \
	"reverse ${a%@*}@elsewhere.test")" "NOTFOUND 
NOTFOUND 
NOTFOUND 
NOTFOUND " "reverse: tampered, garbage, non-SRS, foreign domain -> NOTFOUND"
grep -q "map=reverse addr=$tampered result=NOTFOUND value=- reason=\"bad hash\"" "$T/forward.log"
ok $? "reverse: tampered address logged as bad hash"
grep -q 'map=reverse addr=SRS0=zz@fwd.example result=NOTFOUND value=- reason="malformed SRS address"' "$T/forward.log"
ok $? "reverse: garbage logged as malformed"

# tcp_table: the reason is in the reply text
t=$(tcpq 127.0.0.1:$RP "$a" "$tampered" "SRS0=zz@fwd.example" "alice@orig.test")
is "$t" "200 alice@orig.test
500 bad%20hash
500 malformed%20SRS%20address
500 not%20an%20SRS%20address" "tcp_table reverse: 200 / 500 with distinct reasons"
t=$(tcpq 127.0.0.1:$TP "alice@orig.test" "a b@orig.test")
like "$(echo "$t" | head -1)" "^200 $a\$" "tcp_table forward: same address as socketmap"
like "$(echo "$t" | tail -1)" '^200 SRS0=.*=orig\.test=a%20b@fwd\.example$' "tcp_table: %XX decoding and encoding"

if [ -n "$AP" ]; then
	is "$(tcpq "::1:$AP" "anything@example.test" "x@remote.test")" "200 box@gmail.test
500 not%20a%20local%20domain" "tcp_table alias map on inet6 [::1]"
else
	ok 0 "# SKIP no ::1"
fi

# expiry: a second instance whose clock is pinned 30 days ahead
sed -e "s|^Socket .*|Socket unix:$D/late.sock|" -e '/^TCP/d' "$D/forward.conf" >"$D/late.conf"
MAILAKA_NOW=$(( $(date +%s) + 30 * 86400 )) fwd_start "$D/late.conf" "$T/late.log"
LATE_PID=$FWD_PID
is "$(sm "unix:$D/late.sock" "reverse $a")" "NOTFOUND " "reverse after 30 days: NOTFOUND"
grep -q 'reason="expired timestamp"' "$T/late.log"
ok $? "  logged as expired timestamp"
grep -q 'MAILAKA_NOW is set' "$T/late.log"
ok $? "  the pinned clock is warned about"
kill -TERM "$LATE_PID"; wait "$LATE_PID"
ok $? "  second instance exits 0 on SIGTERM"
FWD_PID=$MAIN_PID

# --- protocol ---
is "$(sm "$S" "nosuchmap x@y.test")" "PERM unknown map name" "unknown map name -> PERM"
n=$(python3 - "$D/fwd.sock" <<'PY'
import socket, sys, threading
ok = [0]
lock = threading.Lock()
def worker(i):
    s = socket.socket(socket.AF_UNIX); s.settimeout(10); s.connect(sys.argv[1])
    f = s.makefile('rb')
    good = 0
    for j in range(20):
        p = ("alias u%d.%d@example.test" % (i, j)).encode()
        s.sendall(b"%d:%s," % (len(p), p))
        hdr = b""
        while not hdr.endswith(b":"):
            hdr += f.read(1)
        body = f.read(int(hdr[:-1]) + 1)
        good += body == b"OK box@gmail.test,"
    with lock:
        ok[0] += good
    s.close()
ts = [threading.Thread(target=worker, args=(i,)) for i in range(50)]
[t.start() for t in ts]; [t.join() for t in ts]
print(ok[0])
PY
)
is "$n" "1000" "50 concurrent connections x 20 requests all answered"

is "$(raw "$S" '3x:abc,')" "EOF" "malformed netstring closes the connection"
grep -q 'event=protocol-error proto=socketmap reason="netstring: bad length"' "$T/forward.log"
ok $? "  with a logged reason"
is "$(raw "$S" '999999:')" "EOF" "over-long netstring closes the connection"
grep -q 'reason="netstring: too large"' "$T/forward.log"
ok $? "  logged as too large"
is "$(raw "$S" '5:hello;')" "EOF" "netstring without comma closes"
is "$(raw "$S" '7:nospace,')" "EOF" "request without a key closes"
is "$(raw "$S" '5:alias,8:alias x,')" "EOF" "bad request after nothing answered closes"
is "$(raw "$S" '20:alias i@example.test,')" "17:OK box@gmail.test,
OPEN" "a good request keeps the connection open"
is "$(raw "$S" 'get x@example.test\n')" "400 no%20map%20on%20this%20socket
EOF" "tcp_table on the socketmap-only socket: 400 and close"
is "$(raw "inet:127.0.0.1:$TP" 'put a b\n')" "400 bad%20request
EOF" "tcp_table put: 400 and close"
long=$(head -c 5000 /dev/zero | tr '\0' a)
is "$(raw "inet:127.0.0.1:$TP" "get $long")" "400 request%20too%20long
EOF" "tcp_table over-long line: 400 and close"
is "$(sm "$S" "alias i@example.test")" "OK box@gmail.test" "still serving after the bad clients"

# --- reload on file change ---
echo "new: n@remote.test" >>"$D/aliases/example.test/aliases"
mk_wait_for 10 sh -c "python3 '$FWD_COMMON/smclient.py' '$S' 'alias new@example.test' | grep -qx 'OK n@remote.test'"
ok $? "aliases file edited: picked up without restart"
mkdir -p "$D/aliases/added.test"
echo "*: someone@remote.test" >"$D/aliases/added.test/aliases"
mk_wait_for 10 sh -c "python3 '$FWD_COMMON/smclient.py' '$S' 'alias x@added.test' | grep -qx 'OK someone@remote.test'"
ok $? "new domain directory picked up"
echo "broken line" >>"$D/aliases/example.test/aliases"
mk_wait_for 10 grep -q "event=reload-failed trigger=file-changed reason=\"$D/aliases/example.test/aliases:12: missing ':' in line\"" "$T/forward.log"
ok $? "broken aliases file: reload fails naming file:line"
is "$(sm "$S" "alias new@example.test")" "OK n@remote.test" "  old aliases still served"
sed -i '$d' "$D/aliases/example.test/aliases"

# --- key rotation via SIGHUP ---
fwd_secret "$D/secrets" "newsecret" "topsecret"
kill -HUP "$FWD_PID"
mk_wait_for 10 grep -q 'event=reloaded trigger=SIGHUP' "$T/forward.log"
ok $? "SIGHUP reloads"
f2=$(sm "$S" "forward alice@orig.test")
ok "$([ "$f2" != "$f" ] && echo 0 || echo 1)" "new first secret signs ($f2)"
is "$(sm "$S" "reverse $a")" "OK alice@orig.test" "address signed with the old secret still reverses"

fwd_stop
is "$FWD_RC" "0" "SIGTERM: exit status 0"
ok "$([ ! -e "$D/fwd.sock" ] && echo 0 || echo 1)" "socket removed at exit"

# --- options: UserID, PidFile, MaxConnections, IdleTimeout, ReloadInterval 0,
# SRSExcludeDomains, SRSMaxAge with a unit ---
chmod 755 "$D"
mkdir -p "$D/opt"
chmod 777 "$D/opt"
cat >"$D/opt.conf" <<EOF
Socket unix:$D/opt/opt.sock
SRSDomain fwd.example
SRSSecrets $D/secrets
LocalDomains example.test
AliasesDir $D/aliases
SRSExcludeDomains .corp.test, partner.test
SRSMaxAge 1w
UserID nobody
PidFile $D/opt/opt.pid
MaxConnections 2
IdleTimeout 1
ReloadInterval 0
EOF
chown nobody "$D/secrets"	# re-read after the privilege drop (reload)
MAILAKA_NOW=$(( $(date +%s) + 8 * 86400 )) fwd_start "$D/opt.conf" "$T/opt.log"
ok $? "instance with UserID nobody started (clock pinned 8 days ahead)"
OPT=unix:$D/opt/opt.sock
is "$(cat "$D/opt/opt.pid" 2>/dev/null)" "$FWD_PID" "PidFile holds the daemon's pid"
is "$(awk '/^Uid:/ { print $2 $3 $4 }' /proc/$FWD_PID/status)" "$(id -u nobody)$(id -u nobody)$(id -u nobody)" "privileges dropped to nobody (real, effective, saved)"
r=$(sm "$OPT" "forward a@corp.test" "forward a@x.corp.test" "forward a@partner.test" \
	"forward a@sub.partner.test" | sed 's/^OK SRS0=.*/OK SRS0/')
is "$r" "OK SRS0
NOTFOUND 
NOTFOUND 
OK SRS0" "SRSExcludeDomains: .corp.test = its subdomains, partner.test = exactly it"
is "$(sm "$OPT" "reverse $a")" "NOTFOUND " "SRSMaxAge 1w: an 8-day-old address is refused"
grep -q 'reason="expired timestamp"' "$T/opt.log"
ok $? "  as expired"
python3 - "$D/opt/opt.sock" <<'PY' >"$T/maxconn.out"
import socket, sys, time
a = socket.socket(socket.AF_UNIX); a.connect(sys.argv[1])
b = socket.socket(socket.AF_UNIX); b.connect(sys.argv[1])
time.sleep(0.2)
c = socket.socket(socket.AF_UNIX); c.connect(sys.argv[1]); c.settimeout(3)
print("third:", "closed" if c.recv(10) == b"" else "open")
a.settimeout(5); t = time.time()
r = a.recv(10)
print("idle:", "closed" if r == b"" else "data", "after", "<3s" if time.time() - t < 3 else ">=3s")
PY
is "$(cat "$T/maxconn.out")" "third: closed
idle: closed after <3s" "MaxConnections 2 refuses a third client; IdleTimeout 1 closes idle ones"
grep -q 'event=connection-refused reason="MaxConnections reached"' "$T/opt.log"
ok $? "  refusal logged"
echo "optnew: o@remote.test" >>"$D/aliases/example.test/aliases"
sleep 2
is "$(sm "$OPT" "alias optnew@example.test")" "OK box@gmail.test" "ReloadInterval 0: file changes are not picked up"
kill -HUP "$FWD_PID"
mk_wait_for 5 sh -c "python3 '$FWD_COMMON/smclient.py' '$OPT' 'alias optnew@example.test' | grep -qx 'OK o@remote.test'"
ok $? "  SIGHUP still reloads (as nobody)"
fwd_stop
is "$FWD_RC" "0" "  exits 0"
FWD_PID=$MAIN_PID

# --- the sample config documents every key and loads cleanly ---
sample=$top_srcdir/etc/forward.conf.sample
dump=$("$FWD_BIN" -n -c "$sample" 2>"$T/sample.err")
ok $? "etc/forward.conf.sample loads (-n)"
is "$(cat "$T/sample.err")" "" "  without warnings"
missing=""
for k in $(echo "$dump" | sed -e 's/^# //' -e 's/ .*//'); do
	grep -Eq "^#?$k( |\$)" "$sample" || missing="$missing $k"
done
is "$missing" "" "  every key of -n is documented in the sample"

# --- start-up errors ---
chmod 644 "$D/secrets"
out=$("$FWD_BIN" -f -c "$D/forward.conf" 2>&1)
rc=$?
ok "$([ $rc -ne 0 ] && echo 0 || echo 1)" "group/other-readable secrets refused (exit $rc)"
like "$out" "secrets: group or others may access it" "  message names the file"
chmod 600 "$D/secrets"
printf 'SRSDomain fwd.example\nSRSSecrets %s\nSRSHashLength 99\n' "$D/secrets" >"$D/bad.conf"
out=$("$FWD_BIN" -f -c "$D/bad.conf" 2>&1)
like "$out" "bad.conf:3: .*SRSHashLength" "bad value: error names file:line"
printf 'Socket unix:%s/x.sock\n' "$D" >"$D/nodomain.conf"
out=$("$FWD_BIN" -f -c "$D/nodomain.conf" 2>&1)
like "$out" "SRSDomain is required" "missing SRSDomain refused"
done_testing
