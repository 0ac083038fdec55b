# t/lib/sendmail.sh: throwaway Sendmail instances (a real Sendmail as a
# milter host) for integration tests.  Source after t/lib.sh (and
# t/lib/postfix.sh for the smtp-sink helpers).
#
# Sendmail is not installed (Debian's sendmail-bin Conflicts with postfix):
# scripts/deps.sh extracts the sendmail-bin, sendmail-base and sendmail-cf
# .debs into $SM_PREFIX (default /opt/mailaka-peers/sendmail).  Each
# instance gets a sendmail.cf built with m4 from the extracted cf macros;
# every path it uses (queue, pid, status, aliases, hosts, service.switch,
# local-host-names, dead.letter) is under $T/sm-NAME.  It runs in the
# foreground (-bD) as root, in a private UTS + mount namespace when
# unshare(1) is allowed: the host name is NAME.example.net (Sendmail sleeps
# 60 s at start on an unqualified host name it cannot resolve), and
# $T/sm-NAME/dev is bind-mounted over /dev so that its syslog(3) messages
# reach a small listener on $T/sm-NAME/dev/log that writes $T/sm-NAME/maillog.
# Where unshare is not allowed (or SM_NO_NAMESPACE=1), an LD_PRELOAD shim
# (t/lib/sendmail-shim.c, built with cc into $T) does both jobs instead:
# gethostname() answers NAME.example.net and syslog() appends to the same
# maillog; Sendmail then runs from a copy without its setgid bit (the loader
# ignores LD_PRELOAD for set-id programs).  SMTP AUTH needs the namespace.
#
#   sm_require                      TAP skip unless the extracted sendmail, m4,
#                                   root (and a usable start) are here
#   sm_new NAME ADDR [PORT]         instance in $T/sm-NAME listening on ADDR:PORT
#                                   (default a free port); exports SM_DIR_<NAME>,
#                                   SM_PORT_<NAME>, SM_ADDR_<NAME>; relays for
#                                   everybody (FEATURE(promiscuous_relay): a test
#                                   MTA on loopback), no DNS (hosts file only)
#   sm_milter NAME SPEC [FILTER]    INPUT_MAIL_FILTER(FILTER, SPEC), e.g.
#                                   'S=unix:/path, F=T, T=S:30s;R:30s;E:5m';
#                                   in the order of the calls
#   sm_relay NAME HOST:PORT         all mail to [HOST]:PORT (SMART_HOST over the
#                                   relay mailer), outgoing connections bound to ADDR
#   sm_auth NAME USER PASSWORD      SMTP AUTH (PLAIN, LOGIN; no TLS) against a
#                                   sasldb in $T/sm-NAME; USER may be user@realm.
#                                   Cyrus SASL reads Sendmail.conf from
#                                   /usr/lib/sasl2: a private copy is bind-mounted
#                                   there (needs the namespace: returns 1 without)
#   sm_define NAME 'm4 line'...     extra .mc lines (define(`confX', `y')dnl ...)
#   sm_start NAME                   build the .cf, start (-bD, background
#                                   delivery, queue runner every 10 s), wait for
#                                   the port; stopped (TERM, by PID) at exit
#   sm_stop NAME                    stop it now
#   sm_log NAME                     path of the instance's syslog output
#   sm_sent NAME                    deliveries logged so far (stat=Sent)
#   sm_wait_sent NAME N [SECONDS]   wait until N deliveries are logged (default 30 s)
#   sm_cf NAME                      path of the generated sendmail.cf

SM_PREFIX=${MK_SENDMAIL_PREFIX:-/opt/mailaka-peers/sendmail}
SM_BIN=$SM_PREFIX/usr/libexec/sendmail/sendmail
SM_CFDIR=$SM_PREFIX/usr/share/sendmail/cf
SM_PY=/usr/bin/python3
SM_NS=""	# "yes": start in a private UTS + mount namespace; "no": the shim
SM_SHIM=""	# the built shim (SM_NS=no)

sm_require() {
	[ "$(id -u)" = 0 ] || skip_all "a Sendmail instance needs root"
	if [ ! -x "$SM_BIN" ] || [ ! -f "$SM_CFDIR/m4/cf.m4" ]; then
		skip_all "sendmail not extracted in $SM_PREFIX (run scripts/deps.sh as root)"
	fi
	mk_require m4 "$SM_PY"
	# (not a trial run: Sendmail may sleep 60 s on the host name)
	! ldd "$SM_BIN" 2>&1 | grep -q 'not found' ||
		skip_all "$SM_BIN does not run (missing libraries? see scripts/deps.sh)"
	if [ -z "${SM_NO_NAMESPACE:-}" ] &&
		unshare --uts --mount sh -c 'hostname sm.example.net && mount --bind /dev/null /dev/null' \
		>/dev/null 2>&1; then
		SM_NS=yes
		return 0
	fi
	SM_NS=no
	SM_SHIM=$T/sendmail-shim.so
	"${CC:-cc}" -shared -fPIC -o "$SM_SHIM" "$top_srcdir/t/lib/sendmail-shim.c" >"$T/sendmail-shim.log" 2>&1 ||
		skip_all "no namespace (unshare) and the LD_PRELOAD shim does not build: $(head -1 "$T/sendmail-shim.log")"
}

_sm_var() { eval "printf '%s' \"\${$1_$2}\""; }

sm_new() {	# sm_new NAME ADDR [PORT]
	local name=$1 addr=$2 port=${3:-} d=$T/sm-$1
	[ -n "$port" ] || port=$(mk_free_port "$addr")
	mkdir -p "$d/queue" "$d/dev"
	chmod 755 "$d"
	chmod 700 "$d/queue"
	: >"$d/aliases"
	: >"$d/milters.m4"
	: >"$d/relay.m4"
	: >"$d/extra.m4"
	printf '%s\n' "$name.example.net" >"$d/local-host-names"
	printf '%s\n' "127.0.0.1 localhost" "$addr $name.example.net $name" >"$d/hosts"
	printf '%s\n' "hosts files" "aliases files" >"$d/service.switch"
	eval "SM_DIR_$name=\$d; SM_PORT_$name=\$port; SM_ADDR_$name=\$addr"
	_sm_build "$name"
}

sm_milter() {	# sm_milter NAME SPEC [FILTER]
	local d=$T/sm-$1 f=${3:-}
	[ -n "$f" ] || f=milter$(( $(wc -l <"$d/milters.m4") + 1 ))
	printf "INPUT_MAIL_FILTER(\`%s', \`%s')dnl\n" "$f" "$2" >>"$d/milters.m4"
	_sm_build "$1"
}

sm_relay() {	# sm_relay NAME HOST:PORT
	local d=$T/sm-$1 host=${2%:*} port=${2##*:}
	{
		printf "define(\`SMART_HOST', \`relay:[%s]')dnl\n" "$host"
		printf "define(\`RELAY_MAILER_ARGS', \`TCP \$h %s')dnl\n" "$port"
		printf "CLIENT_OPTIONS(\`Family=inet, Addr=%s')dnl\n" "$(_sm_var SM_ADDR "$1")"
	} >"$d/relay.m4"
	_sm_build "$1"
}

sm_auth() {	# sm_auth NAME USER PASSWORD
	local name=$1 d=$T/sm-$1
	[ "$SM_NS" = yes ] && command -v saslpasswd2 >/dev/null 2>&1 || return 1
	mkdir -p "$d/sasl2"
	printf '%s\n' "pwcheck_method: auxprop" "auxprop_plugin: sasldb" \
		"sasldb_path: $d/sasldb2" "mech_list: PLAIN LOGIN" >"$d/sasl2/Sendmail.conf"
	printf '%s' "$3" | saslpasswd2 -f "$d/sasldb2" -p -c "$2" || return 1
	chmod 600 "$d/sasldb2"
	printf '%s\n' "define(\`confAUTH_MECHANISMS', \`PLAIN LOGIN')dnl" \
		"TRUST_AUTH_MECH(\`PLAIN LOGIN')dnl" "define(\`confAUTH_OPTIONS', \`A')dnl" \
		>>"$d/extra.m4"
	_sm_build "$name"
}

sm_define() {	# sm_define NAME 'line'...
	local name=$1
	shift
	printf '%s\n' "$@" >>"$T/sm-$name/extra.m4"
	_sm_build "$name"
}

sm_cf() { printf '%s\n' "$T/sm-$1/sendmail.cf"; }
sm_log() { printf '%s\n' "$T/sm-$1/maillog"; }
sm_sent() { grep -c ' stat=Sent' "$T/sm-$1/maillog" 2>/dev/null; }
_sm_has_sent() { [ "$(sm_sent "$1")" -ge "$2" ]; }
sm_wait_sent() { mk_wait_for "${3:-30}" _sm_has_sent "$1" "$2"; }

# Write $d/sendmail.mc and build $d/sendmail.cf from it.
_sm_build() {	# _sm_build NAME
	local name=$1 d=$T/sm-$1 addr port
	addr=$(_sm_var SM_ADDR "$name")
	port=$(_sm_var SM_PORT "$name")
	{
		cat <<EOF
divert(-1)
# mailaka test instance $name: everything under $d
divert(0)dnl
VERSIONID(\`mailaka test $name')dnl
OSTYPE(\`linux')dnl
define(\`confDOMAIN_NAME', \`$name.example.net')dnl
define(\`QUEUE_DIR', \`$d/queue')dnl
define(\`confPID_FILE', \`$d/sendmail.pid')dnl
define(\`STATUS_FILE', \`$d/statistics')dnl
define(\`ALIAS_FILE', \`$d/aliases')dnl
define(\`confCW_FILE', \`$d/local-host-names')dnl
define(\`confHOST_STATUS_DIRECTORY', \`')dnl
define(\`confSERVICE_SWITCH_FILE', \`$d/service.switch')dnl
define(\`confHOSTS_FILE', \`$d/hosts')dnl
define(\`confHELP_FILE', \`$SM_PREFIX/etc/mail/helpfile')dnl
define(\`confDEAD_LETTER_DROP', \`$d/dead.letter')dnl
define(\`confDONT_PROBE_INTERFACES', \`true')dnl
define(\`confDONT_BLAME_SENDMAIL', \`GroupWritableDirPathSafe, TrustStickyBit')dnl
define(\`confBIND_OPTS', \`-DNSRCH -DEFNAMES')dnl
define(\`confDELIVERY_MODE', \`background')dnl
define(\`confTO_CONNECT', \`10s')dnl
define(\`confTO_ICONNECT', \`10s')dnl
define(\`confMIN_QUEUE_AGE', \`0')dnl
define(\`confQUEUE_LA', \`100')dnl
define(\`confREFUSE_LA', \`100')dnl
define(\`confPRIVACY_FLAGS', \`authwarnings,noexpn,novrfy')dnl
define(\`confMILTER_MACROS_CONNECT', \`j, _, {daemon_name}, {if_name}, {if_addr}, {client_addr}, {client_name}')dnl
define(\`confMILTER_MACROS_HELO', \`{tls_version}, {cipher}, {cipher_bits}, {cert_subject}, {cert_issuer}')dnl
define(\`confMILTER_MACROS_ENVFROM', \`i, {auth_type}, {auth_authen}, {auth_ssf}, {auth_author}, {mail_mailer}, {mail_host}, {mail_addr}')dnl
define(\`confMILTER_MACROS_ENVRCPT', \`i, {rcpt_mailer}, {rcpt_host}, {rcpt_addr}')dnl
define(\`confMILTER_MACROS_EOH', \`i')dnl
define(\`confMILTER_MACROS_EOM', \`i, {msg_id}')dnl
FEATURE(\`no_default_msa')dnl
FEATURE(\`nocanonify')dnl
FEATURE(\`accept_unresolvable_domains')dnl
FEATURE(\`accept_unqualified_senders')dnl
FEATURE(\`promiscuous_relay')dnl
DAEMON_OPTIONS(\`Port=$port, Addr=$addr, Name=MTA')dnl
EOF
		cat "$d/relay.m4" "$d/extra.m4" "$d/milters.m4"
		printf '%s\n' "MAILER(\`local')dnl" "MAILER(\`smtp')dnl"
	} >"$d/sendmail.mc"
	# promiscuous_relay prints a warning: keep m4's stderr in a file
	m4 -D_CF_DIR_="$SM_CFDIR/" "$SM_CFDIR/m4/cf.m4" "$d/sendmail.mc" \
		>"$d/sendmail.cf" 2>"$d/m4.log" || { sed 's/^/#   /' "$d/m4.log"; return 1; }
	chmod 644 "$d/sendmail.cf"
}

# A syslog(3) receiver: datagrams on $d/dev/log, one line each in $d/maillog.
_sm_syslogd() {	# _sm_syslogd DIR
	"$SM_PY" - "$1/dev/log" "$1/maillog" <<'PY' &
import os, re, socket, sys
path, out = sys.argv[1], sys.argv[2]
s = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
try:
    os.unlink(path)
except FileNotFoundError:
    pass
s.bind(path)
os.chmod(path, 0o666)
f = open(out, 'ab', buffering=0)
while True:
    d = s.recv(65536)
    f.write(re.sub(rb'^<\d+>', b'', d.rstrip(b'\0\n')) + b'\n')
PY
	mk_track_pid $!
	mk_wait_for 10 test -S "$1/dev/log"
}

sm_start() {	# sm_start NAME
	local name=$1 d=$T/sm-$1 addr port n binds=""
	addr=$(_sm_var SM_ADDR "$name")
	port=$(_sm_var SM_PORT "$name")
	_sm_build "$name" || return 1
	: >>"$d/maillog"
	# -bD: daemon in the foreground (the PID we track is Sendmail's);
	# -q10s: a queue runner for what background delivery left queued
	set -- "$SM_BIN" -C "$d/sendmail.cf" -bD -q10s
	if [ "$SM_NS" = yes ]; then
		_sm_syslogd "$d" || return 1
		for n in null zero random urandom full tty; do
			[ -e "/dev/$n" ] || continue
			: >"$d/dev/$n"
			binds="$binds mount --bind /dev/$n '$d/dev/$n' &&"
		done
		[ -d "$d/sasl2" ] && [ -d /usr/lib/sasl2 ] &&
			binds="$binds mount --bind '$d/sasl2' /usr/lib/sasl2 &&"
		unshare --uts --mount sh -c "hostname '$name.example.net' &&$binds
			mount --bind '$d/dev' /dev && exec \"\$@\"" sh "$@" \
			>"$d/sendmail.out" 2>&1 </dev/null &
	else
		# a copy without the setgid bit, so that the loader honours LD_PRELOAD
		cp "$SM_BIN" "$d/sendmail"
		chmod 755 "$d/sendmail"
		shift
		SM_SHIM_HOSTNAME=$name.example.net SM_SHIM_LOG=$d/maillog LD_PRELOAD=$SM_SHIM \
			"$d/sendmail" "$@" >"$d/sendmail.out" 2>&1 </dev/null &
	fi
	eval "SM_PID_$name=\$!"
	mk_track_pid "$!"
	mk_wait_for 20 _sm_up "$!" "$addr" "$port" && mk_port_open "$addr" "$port" && return 0
	sed 's/^/#   /' "$d/sendmail.out" "$d/maillog"
	return 1
}

# Done waiting: the port answers, or the daemon has exited (config error).
_sm_up() { mk_port_open "$2" "$3" || ! kill -0 "$1" 2>/dev/null; }

sm_stop() {	# sm_stop NAME
	local pid
	pid=$(_sm_var SM_PID "$1")
	[ -n "$pid" ] || return 0
	kill -TERM "$pid" 2>/dev/null
	wait "$pid" 2>/dev/null
	eval "SM_PID_$1="
	return 0
}
