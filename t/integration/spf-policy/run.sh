#!/bin/bash
# mailaka-spf over the policy protocol, unix socket and TCP, against a real
# DNS server (unbound, t/lib/dns.sh) serving SPF records: every SPF result
# (pass, fail, softfail, neutral, none, permerror: syntax / too many lookups
# / void lookups, temperror: SERVFAIL and a server not answering), include
# chains, macros, exp=, mx, IPv6, IPv4-mapped IPv6, HELO checks; each result
# is cross-checked with pyspf (python3-spf).  Protocol: many requests per
# connection answered in order, Exim-style half-close, bad input.
. "$top_srcdir/t/lib.sh"
. "$top_srcdir/t/lib/dns.sh"
dns_require
mk_require /usr/bin/python3
/usr/bin/python3 -c 'import spf, dns.resolver' 2>/dev/null || skip_all "python3-spf/dnspython missing"

COMMON=$top_srcdir/t/integration/spf-common
DAEMON=$top_builddir/policy-spf/mailaka-spf
[ -x "$DAEMON" ] || bail_out "no $DAEMON"

Z=example.test
dns_zone_add pass.$Z 300 TXT "v=spf1 ip4:192.0.2.0/24 -all"
dns_zone_add softfail.$Z 300 TXT "v=spf1 ~all"
dns_zone_add neutral.$Z 300 TXT "v=spf1 ?all"
dns_zone_add none.$Z 300 A 192.0.2.99
dns_zone_add none.$Z 300 TXT "not spf"
dns_zone_add syntax.$Z 300 TXT "v=spf1 ip4:192.0.2.1/33 -all"
lk="v=spf1"
for i in 1 2 3 4 5 6 7 8 9 10 11; do
	dns_zone_add h$i.$Z 300 A 203.0.113.$i
	lk="$lk a:h$i.$Z"
done
dns_zone_add lookups.$Z 300 TXT "$lk -all"
dns_zone_add void.$Z 300 TXT "v=spf1 a:v1.$Z a:v2.$Z a:v3.$Z -all"
dns_servfail broken.test
dns_zone_add inc.$Z 300 TXT "v=spf1 include:inc2.$Z -all"
dns_zone_add inc2.$Z 300 TXT "v=spf1 include:pass.$Z ~all"
dns_zone_add mac.$Z 300 TXT "v=spf1 exists:%{i}._ip.%{d} exists:%{l}.users.%{d2} -all"
dns_zone_add 192.0.2.7._ip.mac.$Z 300 A 127.0.0.2
dns_zone_add alice.users.$Z 300 A 127.0.0.2
dns_zone_add exp.$Z 300 TXT "v=spf1 ip4:192.0.2.0/24 -all exp=why.%{d}"
dns_zone_add why.exp.$Z 300 TXT "%{i} may not send mail for %{d}"
dns_zone_add mx.$Z 300 TXT "v=spf1 mx -all"
dns_zone_add mx.$Z 300 MX 10 mail.mx.$Z.
dns_zone_add mail.mx.$Z 300 A 198.51.100.25
dns_zone_add v6.$Z 300 TXT "v=spf1 ip6:2001:db8::/32 -all"
dns_zone_add hfail.$Z 300 TXT "v=spf1 -all"
dns_zone_add slow.$Z 300 TXT "v=spf1 -all"
dns_zone_add slow2.$Z 300 TXT "v=spf1 -all"
dns_start 127.0.0.1 || bail_out "DNS server did not start"

SOCK=$T/spf.sock
PORT=$(mk_free_port)
cat >"$T/spf.conf" <<CONF
# policyd-spf.conf keys
debugLevel = 1
HELO_reject = Fail
Mail_From_reject = Fail
PermError_reject = False
TempError_Defer = False
skip_addresses = 127.0.0.0/8, ::1
Resolver = $DNS_RESOLVER
Lookup_Time = 2
Authserv_Id = mx.test
LogLevel = debug
Socket = unix:$SOCK
CONF
sed "s|^Socket = .*|Socket = inet:$PORT@127.0.0.1|" "$T/spf.conf" >"$T/spf-tcp.conf"

"$DAEMON" -c "$T/spf.conf" -f 2>"$T/spf.log" &
SPID=$!
mk_track_pid $SPID
"$DAEMON" -c "$T/spf-tcp.conf" -f 2>"$T/spf-tcp.log" &
mk_track_pid $!
mk_wait_unix "$SOCK" || { cat "$T/spf.log"; bail_out "daemon (unix) did not start"; }
mk_wait_port 127.0.0.1 "$PORT" || { cat "$T/spf-tcp.log"; bail_out "daemon (tcp) did not start"; }
ok 0 "daemons listen on unix:$SOCK and inet:$PORT@127.0.0.1"

req() {	# req IP SENDER HELO [extra lines]
	printf 'request=smtpd_access_policy\nprotocol_state=RCPT\nprotocol_name=ESMTP\n'
	printf 'client_address=%s\nclient_name=unknown\nhelo_name=%s\nsender=%s\n' "$1" "$3" "$2"
	printf 'recipient=bob@dest.test\ninstance=%s\n' "$RANDOM.$RANDOM"
	[ $# -gt 3 ] && printf '%s\n' "$4"
	return 0
}
ask() {	# ask SOCKETSPEC IP SENDER HELO -> action
	req "$2" "$3" "$4" | python3 "$COMMON/client.py" "$1"
}
# The SPF result an action carries.
result_of() {
	case $1 in
	"PREPEND Received-SPF: "*) set -- ${1#PREPEND Received-SPF: }; echo "$1" ;;
	"PREPEND Authentication-Results: "*) echo "$1" | sed -n 's/.*; spf=\([a-z]*\) .*/\1/p' ;;
	"550 5.7.23 "*) echo fail ;;
	"550 5.7.24 "*) echo permerror ;;
	"DEFER_IF_PERMIT 4.7.24 "*) echo temperror ;;
	*) echo "?$1" ;;
	esac
}
pyspf() {	# pyspf IP SENDER HELO [helo]
	/usr/bin/python3 "$COMMON/pyspf_check.py" "$DNS_ADDR" "$DNS_PORT" "$@" 2>/dev/null
}

# name ip sender helo want
cases=(
	"pass unix 192.0.2.5 alice@pass.$Z mail.pass.$Z pass"
	"fail tcp 198.51.100.1 alice@pass.$Z mail.pass.$Z fail"
	"softfail unix 198.51.100.1 bob@softfail.$Z h.softfail.$Z softfail"
	"neutral tcp 198.51.100.1 bob@neutral.$Z h.neutral.$Z neutral"
	"none unix 198.51.100.1 bob@none.$Z h.none.$Z none"
	"no-domain tcp 198.51.100.1 bob@nxdomain.$Z h.none.$Z none"
	"permerror-syntax unix 192.0.2.1 bob@syntax.$Z h.none.$Z permerror"
	"permerror-lookups tcp 203.0.113.11 bob@lookups.$Z h.none.$Z permerror"
	"under-limit unix 203.0.113.3 bob@lookups.$Z h.none.$Z pass"
	"permerror-void tcp 192.0.2.1 bob@void.$Z h.none.$Z permerror"
	"temperror-servfail unix 192.0.2.1 bob@broken.test h.none.$Z temperror"
	"include-chain tcp 192.0.2.9 carol@inc.$Z h.none.$Z pass"
	"include-chain-miss unix 198.51.100.9 carol@inc.$Z h.none.$Z fail"
	"macro-i tcp 192.0.2.7 x@mac.$Z h.none.$Z pass"
	"macro-l unix 198.51.100.7 alice@mac.$Z h.none.$Z pass"
	"macro-miss tcp 198.51.100.7 bob@mac.$Z h.none.$Z fail"
	"mx unix 198.51.100.25 d@mx.$Z h.none.$Z pass"
	"mx-miss tcp 198.51.100.26 d@mx.$Z h.none.$Z fail"
	"ipv6 unix 2001:db8::25 e@v6.$Z h.none.$Z pass"
	"ipv6-fail tcp 2001:db9::25 e@v6.$Z h.none.$Z fail"
	"ipv4-mapped unix ::ffff:192.0.2.5 alice@pass.$Z h.none.$Z pass"
	"null-sender tcp 192.0.2.5 '' pass.$Z pass"
)
for c in "${cases[@]}"; do
	eval "set -- $c"
	name=$1 via=$2 ip=$3 sender=$4 helo=$5 want=$6
	if [ "$via" = unix ]; then spec=unix:$SOCK; else spec=inet:127.0.0.1:$PORT; fi
	act=$(ask "$spec" "$ip" "$sender" "$helo")
	got=$(result_of "$act")
	is "$got" "$want" "$name over $via: $sender from $ip is $want" || diag "action: $act"
	ps_sender=$sender
	[ -z "$ps_sender" ] && ps_sender=postmaster@$helo
	py=$(pyspf "$ip" "$ps_sender" "$helo")
	is "$got" "$py" "$name: pyspf agrees ($py)"
done

# exp= explanation in the 550 reply, macros expanded
act=$(ask unix:$SOCK 198.51.100.3 a@exp.$Z h.none.$Z)
is "$act" "550 5.7.23 198.51.100.3 may not send mail for exp.$Z" "exp= text in the reject"
# the header carries the identity label
act=$(ask unix:$SOCK 192.0.2.5 alice@pass.$Z mail.pass.$Z)
like "$act" "^PREPEND Received-SPF: pass \\(mailaka-spf: .*client-ip=192.0.2.5; envelope-from=\"alice@pass.$Z\"; helo=\"mail.pass.$Z\"; identity=mailfrom\$" "Received-SPF format, identity=mailfrom"
# HELO fail is rejected before MAIL FROM is looked at (HELO_reject = Fail)
act=$(ask unix:$SOCK 192.0.2.5 alice@pass.$Z hfail.$Z)
is "$act" "550 5.7.23 SPF fail - not authorized" "HELO fail rejected"
like "$(grep 'identity=helo' "$T/spf.log" | tail -1)" "result=fail action=reject" "HELO decision logged with identity=helo"
# loopback is skipped; authenticated clients too
is "$(ask unix:$SOCK 127.0.0.1 alice@pass.$Z h)" \
	"PREPEND X-Comment: SPF check N/A for local connections - client-ip=127.0.0.1; helo=h; envelope-from=alice@pass.$Z; receiver=<UNKNOWN> " \
	"skip_addresses: loopback gets policyd-spf's trace header"
act=$(req 198.51.100.1 alice@pass.$Z h.none.$Z "sasl_username=alice" | python3 "$COMMON/client.py" unix:$SOCK)
is "$act" "DUNNO" "authenticated client gets DUNNO"

# many requests on one connection, answered in order
{
	req 192.0.2.5 a@pass.$Z h.none.$Z; echo --
	req 198.51.100.1 a@pass.$Z h.none.$Z; echo --
	req 198.51.100.1 b@softfail.$Z h.none.$Z; echo --
	req 192.0.2.1 c@broken.test h.none.$Z; echo --
	req 198.51.100.1 b@neutral.$Z h.none.$Z
} | python3 "$COMMON/client.py" unix:$SOCK >"$T/multi.out"
got=$(while read -r l; do result_of "$l"; done <"$T/multi.out" | tr '\n' ' ')
is "$got" "pass fail softfail temperror neutral " "5 pipelined requests answered in order"

# Exim ${readsocket}: request without the empty line, half-close, read to EOF
got=$(req 192.0.2.5 a@pass.$Z h.none.$Z | python3 "$COMMON/client.py" inet:127.0.0.1:$PORT --exim | tr '\n' '|')
like "$got" "^PREPEND Received-SPF: pass .*\\|CLOSED\\|\$" "Exim-style half-close: answered, then closed"

# bad input
out=$(printf 'request=smtpd_access_policy\nsender=a@b.test\n\n' | python3 "$COMMON/client.py" unix:$SOCK --raw)
is "$out" "$(printf 'action=DEFER_IF_PERMIT Service temporarily unavailable\n\n')" "missing client_address: DEFER_IF_PERMIT"
out=$(printf 'request=other\nclient_address=192.0.2.1\n\n' | python3 "$COMMON/client.py" unix:$SOCK --raw)
like "$out" "^action=DEFER_IF_PERMIT Service temporarily unavailable" "wrong request type: DEFER_IF_PERMIT"
out=$(printf 'request=smtpd_access_policy\nclient_address=not-an-ip\n\n' | python3 "$COMMON/client.py" unix:$SOCK --raw)
like "$out" "^action=DEFER_IF_PERMIT" "non-IP client_address: DEFER_IF_PERMIT"
out=$(python3 -c 'import sys; sys.stdout.write("request=smtpd_access_policy\nsender=" + "a"*5000 + "\n\n")' | python3 "$COMMON/client.py" unix:$SOCK --raw)
like "$out" "^action=DEFER_IF_PERMIT" "over-long line: DEFER_IF_PERMIT"
out=$(python3 -c 'import sys; sys.stdout.write("".join("x%d=1\n" % i for i in range(10000)) + "\n")' | python3 "$COMMON/client.py" inet:127.0.0.1:$PORT --raw)
like "$out" "^action=DEFER_IF_PERMIT Service temporarily unavailable" "10000 attributes: DEFER_IF_PERMIT, connection closed"
out=$(head -c 100000 /dev/urandom | tr -d '\n=' | python3 "$COMMON/client.py" unix:$SOCK --raw)
like "$out" "^action=DEFER_IF_PERMIT" "100 kB of garbage: one DEFER_IF_PERMIT, then closed"
# a client that disconnects mid-request
python3 - "$SOCK" <<'PY'
import socket, sys
s = socket.socket(socket.AF_UNIX); s.connect(sys.argv[1])
s.sendall(b"request=smtpd_access_policy\nclient_address=192.0.2.1\nsender=a@slow.example.test\n")
s.close()
PY
act=$(ask unix:$SOCK 192.0.2.5 alice@pass.$Z h.none.$Z)
is "$(result_of "$act")" "pass" "daemon still answers after a client vanished mid-request"
grep -q 'error="request too long" action=defer' "$T/spf.log"
ok $? "bad input is logged"

# temperror: the DNS server does not answer (paused), TempError_Defer off -> header
dns_pause
act=$(ask unix:$SOCK 192.0.2.1 bob@slow2.$Z h.none.$Z)
dns_resume
is "$(result_of "$act")" "temperror" "DNS server not answering: temperror"

# one log line per decision, with the fields
line=$(grep "sender=alice@pass.$Z identity=mailfrom result=pass" "$T/spf.log" | head -1)
like "$line" "client=192.0.2.5 helo=[^ ]+ sender=alice@pass.$Z identity=mailfrom result=pass action=prepend reason=.* ms=[0-9.]+" "decision log line"

# UserID: privileges dropped after binding; PidFile written
if id nobody >/dev/null 2>&1; then
	sed -e "s|^Socket = .*|Socket = unix:$T/priv.sock|" "$T/spf.conf" >"$T/priv.conf"
	printf 'UserID = nobody\nPidFile = %s/priv.pid\n' "$T" >>"$T/priv.conf"
	"$DAEMON" -c "$T/priv.conf" -f 2>"$T/priv.log" &
	PPID2=$!
	mk_track_pid $PPID2
	mk_wait_unix "$T/priv.sock"
	is "$(awk '/^Uid:/ {print $2}' /proc/$PPID2/status)" "$(id -u nobody)" "UserID: runs as nobody"
	is "$(cat "$T/priv.pid" 2>/dev/null)" "$PPID2" "PidFile written"
	is "$(result_of "$(ask unix:$T/priv.sock 192.0.2.5 alice@pass.$Z h.none.$Z)")" pass "unprivileged daemon answers"
fi

# inet6 socket on ::1
if python3 -c 'import socket; s=socket.socket(socket.AF_INET6); s.bind(("::1",0))' 2>/dev/null; then
	P6=$(mk_free_port ::1)
	sed -e "s|^Socket = .*|Socket = inet6:$P6@::1|" "$T/spf.conf" >"$T/v6.conf"
	"$DAEMON" -c "$T/v6.conf" -f 2>"$T/v6.log" &
	mk_track_pid $!
	mk_wait_for 10 python3 -c "import socket; socket.create_connection(('::1', $P6))"
	is "$(result_of "$(ask "inet:[::1]:$P6" 2001:db8::25 e@v6.$Z h.none.$Z)")" pass "inet6:PORT@::1 socket"
fi

# SIGHUP reloads: Header_Type = AR
echo "Header_Type = AR" >>"$T/spf.conf"
kill -HUP $SPID
mk_wait_for 5 grep -q 'event=reload status=ok' "$T/spf.log"
act=$(ask unix:$SOCK 192.0.2.5 alice@pass.$Z mail.pass.$Z)
is "$act" "PREPEND Authentication-Results: mx.test; spf=pass smtp.mailfrom=alice@pass.$Z" "after SIGHUP: Authentication-Results header"

# etc/spf.conf.sample loads and says exactly what -n prints
"$DAEMON" -c "$top_srcdir/etc/spf.conf.sample" -n 2>"$T/n.err" | grep -v '^#' >"$T/n.out"
grep -v -e '^#' -e '^$' "$top_srcdir/etc/spf.conf.sample" | diff - "$T/n.out" >"$T/n.diff"
ok $? "etc/spf.conf.sample matches mailaka-spf -n" || sed 's/^/#   /' "$T/n.diff"
# a bad value is an error naming file:line
printf 'Socket = unix:%s/x.sock\nHELO_reject = Sometimes\n' "$T" >"$T/bad.conf"
"$DAEMON" -c "$T/bad.conf" -f 2>"$T/bad.err"
rc=$?
ok $((rc == 0)) "bad HELO_reject: exit status $rc"
like "$(cat "$T/bad.err")" "bad.conf:2: .*HELO_reject" "the error names file:line"

# SIGTERM with a request in flight (DNS paused): the request is answered,
# then the daemon exits 0
dns_pause
ask unix:$SOCK 192.0.2.1 bob@inflight.$Z h.none.$Z >"$T/inflight.out" &
CPID=$!
mk_wait_for 5 grep -q "event=request client=192.0.2.1 sender=bob@inflight" "$T/spf.log"
ok $? "request in flight (DNS paused)"
kill -TERM $SPID
sleep 0.2
dns_resume
wait $CPID
like "$(cat "$T/inflight.out")" "^PREPEND Authentication-Results: mx.test; spf=(none|temperror) " "SIGTERM: the request in flight is answered"
wait $SPID
is "$?" 0 "SIGTERM: exit status 0"
[ ! -e "$SOCK" ]
ok $? "unix socket removed at exit"
grep -E 'ERROR: (Address|Leak)Sanitizer|runtime error' "$T/spf.log" "$T/spf-tcp.log" && ok 1 "sanitizers quiet" || ok 0 "sanitizers quiet"
done_testing
