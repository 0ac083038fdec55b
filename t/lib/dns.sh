# t/lib/dns.sh: DNS fixture for integration tests -- a real DNS server
# (Debian's unbound, serving local data only) on a loopback address and a
# free port, with the zones the test declares.  Source it after t/lib.sh:
#
#   . "$top_srcdir/t/lib.sh"
#   . "$top_srcdir/t/lib/dns.sh"
#   dns_require                                  # SKIP (77-style TAP skip) if unbound is missing
#   dns_zone_add example.test 300 TXT "v=spf1 " "ip4:127.0.0.1 -all"
#   dns_zone_add example.test 300 MX 10 mx1.example.test.
#   dns_zone_add example.test 300 A 127.0.0.10
#   dns_servfail broken.test                     # every name under it gets SERVFAIL
#   dns_start [ADDR]                             # default 127.0.0.1
#   ... "$DNS_RESOLVER" is "ADDR@PORT" for a daemon's Resolver setting ...
#   dns_zone_add late.example.test 60 A 127.0.0.11; dns_reload
#   dns_pause; ...queries time out...; dns_resume
#   dns_stop                                     # optional: the PID is tracked
#
# Records:
#   dns_zone_add NAME TTL TYPE RDATA...
#     TXT (and SPF): each RDATA argument is one character-string, given
#       unquoted; the fixture quotes and escapes it (\, ", ', bytes outside
#       0x20-0x7e) and splits an argument longer than 255 bytes into
#       255-byte strings, so a whole DKIM key may be given as one argument.
#       Several arguments = several strings in one RR (concatenated by
#       RFC 7208 3.3 / RFC 6376 3.6.2.2 readers).  Call it twice for two RRs.
#     Other types: the RDATA arguments are joined with spaces, in zone-file
#       syntax ("10 mx.example.test." for MX, "127.0.0.1" for A).
#   dns_rr 'NAME TTL IN TYPE RDATA'   a raw RR line as unbound reads it
#       (must not contain a single quote).
# Semantics: everything is under one `local-zone: "." static` (unbound's
# own special-use zones test., invalid., 127.in-addr.arpa... are turned off,
# so they behave like any other name): a name with records of other types
# only answers NODATA (rcode 0, no answer), any other name NXDOMAIN, both
# with the SOA of "." whose TTL and minimum are 0 (negative TTL 0).  An
# empty non-terminal (parent of a defined name) answers NODATA.  Nothing is
# ever recursed to the Internet.  Daemons cache positive answers for their
# TTL: give records a short TTL if a test changes them and reloads.
#   dns_servfail ZONE   ZONE and every name below it answer SERVFAIL (real
#       rcode 2 from the server: a stub zone whose name server cannot be
#       resolved).  Records added under ZONE are not served.
#
# Control (the server runs in the foreground, `unbound -d`, tracked by PID):
#   dns_start [ADDR]    write the config, start, wait until it answers (poll,
#                       at most 10 s); exports DNS_ADDR DNS_PORT DNS_RESOLVER
#                       DNS_PID.  Fails (returns 1 after printing the log) if
#                       the server does not come up.
#   dns_reload          re-read the records (SIGHUP) and wait until the new
#                       data is served.
#   dns_restart         stop and start again on the same address and port.
#   dns_stop            SIGTERM and wait for exit.
#   dns_pause           SIGSTOP: queries get no answer (client timeouts).
#   dns_resume          SIGCONT.
#   dns_alive           0 if the server answers a probe now.
# Files: $DNS_DIR (under $T) holds unbound.conf, records.conf, unbound.log.

DNS_UNBOUND=${DNS_UNBOUND:-/usr/sbin/unbound}
DNS_DIR=$T/dns
DNS_RECORDS=$DNS_DIR/records.conf
DNS_ADDR=""
DNS_PORT=""
DNS_RESOLVER=""
DNS_PID=""
DNS_GEN=0
mkdir -p "$DNS_DIR"
: >"$DNS_RECORDS"
: >"$DNS_DIR/servfail.conf"

# Skip the test (TAP skip) when the server binary is missing.
dns_require() { mk_require "$DNS_UNBOUND" python3; }

# Escape one TXT character-string for a zone-file "..." inside a
# single-quoted unbound config string.
_dns_txt_quote() {
	python3 - "$1" <<'PY'
import sys
s = sys.argv[1].encode('utf-8', 'surrogateescape')
out = []
for i in range(0, max(len(s), 1), 255):
    part = s[i:i + 255]
    esc = ''
    for b in part:
        c = chr(b)
        if c in '"\\':
            esc += '\\' + c
        elif b < 0x20 or b > 0x7e or c == "'":
            esc += '\\%03d' % b
        else:
            esc += c
    out.append('"' + esc + '"')
print(' '.join(out))
PY
}

dns_rr() {	# dns_rr 'NAME TTL IN TYPE RDATA'
	case $1 in *"'"*) echo "dns_rr: single quote in: $1" >&2; return 1 ;; esac
	printf "local-data: '%s'\n" "$1" >>"$DNS_RECORDS"
}

dns_zone_add() {	# dns_zone_add NAME TTL TYPE RDATA...
	local name=$1 ttl=$2 type=$3 rdata="" a
	shift 3
	case $name in *.) ;; *) name=$name. ;; esac
	case ${type^^} in
	TXT|SPF)
		for a in "$@"; do
			rdata="$rdata${rdata:+ }$(_dns_txt_quote "$a")" || return 1
		done
		[ $# -gt 0 ] || rdata='""'
		;;
	*)
		rdata="$*"
		;;
	esac
	dns_rr "$name $ttl IN ${type^^} $rdata"
}

dns_servfail() {	# dns_servfail ZONE
	local zone=$1
	case $zone in *.) ;; *) zone=$zone. ;; esac
	# A stub zone whose only name server has a name that does not resolve
	# (invalid. is answered NXDOMAIN by the server itself): the iterator
	# has nobody to ask and answers SERVFAIL at once (~20 ms, measured).
	printf 'server:\n\tlocal-zone: "%s" transparent\n' "$zone" >>"$DNS_DIR/servfail.conf"
	printf 'stub-zone:\n\tname: "%s"\n\tstub-host: "ns.servfail.invalid."\n' \
		"$zone" >>"$DNS_DIR/servfail.conf"
}

_dns_write_conf() {
	local ip6=no
	case $DNS_ADDR in *:*) ip6=yes ;; esac
	DNS_GEN=$((DNS_GEN + 1))
	printf "local-data: 'generation.fixture.mailaka. 0 IN TXT \"%s\"'\n" "$DNS_GEN" \
		>"$DNS_DIR/generation.conf"
	cat >"$DNS_DIR/unbound.conf" <<EOF
server:
	interface: $DNS_ADDR
	port: $DNS_PORT
	interface-automatic: no
	do-ip4: yes
	do-ip6: $ip6
	do-udp: yes
	do-tcp: yes
	username: ""
	chroot: ""
	directory: "$DNS_DIR"
	pidfile: "$DNS_DIR/unbound.pid"
	use-syslog: no
	logfile: "$DNS_DIR/unbound.log"
	log-servfail: yes
	verbosity: 1
	num-threads: 1
	so-reuseport: no
	access-control: 0.0.0.0/0 allow
	access-control: ::/0 allow
	do-not-query-localhost: no
	module-config: "iterator"
	auto-trust-anchor-file: ""
	cache-max-ttl: 0
	cache-max-negative-ttl: 0
	infra-host-ttl: 1
	local-zone: "." static
	local-data: ". 0 IN SOA ns.fixture.mailaka. hostmaster.fixture.mailaka. 1 3600 600 86400 0"
	local-data: ". 0 IN NS ns.fixture.mailaka."
	unblock-lan-zones: yes
	insecure-lan-zones: yes
	local-zone: "test." nodefault
	local-zone: "invalid." nodefault
	local-zone: "onion." nodefault
	local-zone: "home.arpa." nodefault
	local-zone: "127.in-addr.arpa." nodefault
	local-zone: "1.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.ip6.arpa." nodefault
	include: "$DNS_DIR/generation.conf"
	include: "$DNS_RECORDS"
	include: "$DNS_DIR/servfail.conf"
remote-control:
	control-enable: no
EOF
}

# Query the server: print the first TXT string of the answer, or rcode=N.
_dns_probe() {	# _dns_probe ADDR PORT NAME
	python3 - "$@" <<'PY'
import random, socket, struct, sys
addr, port, name = sys.argv[1], int(sys.argv[2]), sys.argv[3]
qid = random.randrange(65536)
q = struct.pack('>HHHHHH', qid, 0x0100, 1, 0, 0, 0)
for label in name.strip('.').split('.'):
    q += bytes([len(label)]) + label.encode()
q += b'\0' + struct.pack('>HH', 16, 1)
s = socket.socket(socket.AF_INET6 if ':' in addr else socket.AF_INET, socket.SOCK_DGRAM)
s.settimeout(0.3)
s.sendto(q, (addr, port))
while True:
    r = s.recv(65535)
    if len(r) >= 12 and struct.unpack('>H', r[:2])[0] == qid:
        break
rcode = r[3] & 15
an = struct.unpack('>H', r[6:8])[0]
if rcode or not an:
    print('rcode=%d' % rcode)
    sys.exit(0)
i = 12
while r[i]:
    i += 1 + r[i]
i += 5
while r[i] and r[i] < 0xc0:
    i += 1 + r[i]
i += 2 if r[i] >= 0xc0 else 1
i += 10
print(r[i + 1:i + 1 + r[i]].decode())
PY
}

dns_alive() {
	[ -n "$DNS_PORT" ] && [ -n "$(_dns_probe "$DNS_ADDR" "$DNS_PORT" generation.fixture.mailaka 2>/dev/null)" ]
}

_dns_serving_gen() {
	[ "$(_dns_probe "$DNS_ADDR" "$DNS_PORT" generation.fixture.mailaka 2>/dev/null)" = "$DNS_GEN" ]
}

# Wait until the server serves the current generation, at most SECONDS;
# give up at once if it has exited (bad config, port taken).
_dns_wait_gen() {	# _dns_wait_gen SECONDS
	local deadline=$(( $(date +%s%N) / 1000000 + $1 * 1000 ))
	until _dns_serving_gen; do
		kill -0 "$DNS_PID" 2>/dev/null || return 1
		[ $(( $(date +%s%N) / 1000000 )) -ge "$deadline" ] && return 1
		sleep 0.05
	done
	return 0
}

_dns_launch() {
	_dns_write_conf
	: >"$DNS_DIR/unbound.log"
	"$DNS_UNBOUND" -d -c "$DNS_DIR/unbound.conf" >>"$DNS_DIR/unbound.stderr" 2>&1 &
	DNS_PID=$!
	mk_track_pid "$DNS_PID"
	export DNS_PID
	if _dns_wait_gen 10; then
		return 0
	fi
	echo "# dns: unbound did not answer on $DNS_ADDR@$DNS_PORT" >&2
	sed 's/^/#   /' "$DNS_DIR/unbound.stderr" "$DNS_DIR/unbound.log" >&2
	kill -TERM "$DNS_PID" 2>/dev/null
	wait "$DNS_PID" 2>/dev/null
	_dns_untrack "$DNS_PID"
	DNS_PID=""
	return 1
}

dns_start() {	# dns_start [ADDR]
	local try
	DNS_ADDR=${1:-127.0.0.1}
	for try in 1 2 3; do
		DNS_PORT=$(mk_free_port "$DNS_ADDR") || return 1
		DNS_RESOLVER=$DNS_ADDR@$DNS_PORT
		export DNS_ADDR DNS_PORT DNS_RESOLVER
		_dns_launch && return 0
		# A port race with another test: try another port.
	done
	return 1
}

# Forget a PID that has exited, so cleanup never signals a reused PID.
_dns_untrack() {
	local p keep=""
	for p in $MK_PIDS; do
		[ "$p" = "$1" ] || keep="$keep $p"
	done
	MK_PIDS=$keep
}

dns_stop() {
	[ -n "$DNS_PID" ] || return 0
	kill -CONT "$DNS_PID" 2>/dev/null
	kill -TERM "$DNS_PID" 2>/dev/null
	wait "$DNS_PID" 2>/dev/null
	_dns_untrack "$DNS_PID"
	DNS_PID=""
	return 0
}

dns_restart() {
	dns_stop
	_dns_launch
}

dns_reload() {
	[ -n "$DNS_PID" ] || { echo "dns_reload: not running" >&2; return 1; }
	_dns_write_conf
	kill -HUP "$DNS_PID"
	_dns_wait_gen 10
}

dns_pause() { [ -n "$DNS_PID" ] && kill -STOP "$DNS_PID"; }
dns_resume() { [ -n "$DNS_PID" ] && kill -CONT "$DNS_PID"; }
