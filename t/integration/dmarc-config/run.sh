#!/bin/bash
# mailaka-dmarc configuration: etc/dmarc.conf.sample loads with -n and its
# dump parses back to the same dump; an opendmarc.conf with keys we do not
# implement loads (warnings, not errors); bad values are errors naming
# file:line; a missing PublicSuffixList in 7489 mode is a start-up error.
. "$top_srcdir/t/lib.sh"

milter=$top_builddir/milter-dmarc/mailaka-dmarc
mk_require "$milter"

sed "s|^Socket.*|Socket unix:$T/d.sock|" "$top_srcdir/etc/dmarc.conf.sample" >"$T/sample.conf"
"$milter" -n -c "$T/sample.conf" >"$T/dump1" 2>"$T/err1"
ok $? "etc/dmarc.conf.sample loads (-n)" || sed 's/^/# /' "$T/err1"
"$milter" -n -c "$T/dump1" >"$T/dump2" 2>"$T/err2"
ok $? "the -n dump loads"
is "$(diff "$T/dump1" "$T/dump2" && echo same)" same "the dump is stable"
like "$(cat "$T/dump1")" "^DMARCSpec 9989" "default DMARCSpec is 9989"

cat >"$T/opendmarc.conf" <<CONF
AuthservID mx.example.org
AutoRestart true
Background true
PidFile $T/od.pid
RejectFailures true
Socket inet:8893@localhost
Syslog true
TrustedAuthservIDs mx.example.org, mx2.example.org
UMask 0002
SPFIgnoreResults f
SoftwareHeader y
RecordAllMessages T
HoldQuarantinedMessages n
IgnoreHosts $T/ignore.hosts
NoSuchKeyAnywhere 1
CONF
printf '# internal\n10.0.0.0/8\n192.0.2.7\n' >"$T/ignore.hosts"
out=$("$milter" -n -c "$T/opendmarc.conf" 2>&1)
ok $? "an opendmarc.conf loads" || diag "$out"
like "$out" "opendmarc.conf:15: .*NoSuchKeyAnywhere" "unknown key: a warning naming file:line"
like "$out" "SoftwareHeader yes" "OpenDMARC's one-letter boolean y: yes"
like "$out" "RecordAllMessages yes" "OpenDMARC's one-letter boolean T: yes"
like "$out" "HoldQuarantinedMessages no" "OpenDMARC's one-letter boolean n: no"
like "$out" "SPFIgnoreResults no" "OpenDMARC's one-letter boolean f: no"

bad() {	# bad NAME LINE WANT-RE
	printf 'Socket unix:%s/x.sock\n%s\n' "$T" "$2" >"$T/bad.conf"
	out=$("$milter" -n -c "$T/bad.conf" 2>&1)
	[ $? -ne 0 ]
	ok $? "$1: refused"
	like "$out" "$3" "$1: error names file:line"
}
bad "bad boolean" "RejectFailures maybe" "bad.conf:2"
bad "bad boolean (two letters)" "SoftwareHeader ye" "bad.conf:2: SoftwareHeader: \"ye\" is not a boolean"
bad "bad FailureReportsBcc" "FailureReportsBcc nobody" "bad.conf:2: FailureReportsBcc: .*nobody"
bad "bad DomainWhitelist" "DomainWhitelist bad..example" "bad.conf:2: DomainWhitelist: .*bad..example"
bad "missing DomainWhitelistFile" "DomainWhitelistFile $T/none.txt" "bad.conf:2: DomainWhitelistFile .*none.txt"
bad "bad DMARCSpec" "DMARCSpec 7490" "bad.conf:2: .*9989"
bad "bad resolver" "Resolver [::1]:53" "bad.conf:2"
bad "bad IgnoreHosts" "IgnoreHosts 10.0.0.0/99" "bad.conf:2: .*10.0.0.0/99"
bad "bad MilterEngine" "MilterEngine sendmail" "bad.conf:2: MilterEngine: must be own or libmilter"
printf 'Socket unix:%s/x.sock\nDMARCSpec 7489\nPublicSuffixList %s/nope.dat\n' "$T" "$T" >"$T/psl.conf"
out=$("$milter" -n -c "$T/psl.conf" 2>&1)
[ $? -ne 0 ]
ok $? "7489 mode with a missing PSL: refused"
like "$out" "psl.conf:3: PublicSuffixList: .*nope.dat" "missing PSL: names file:line"

like "$(cat "$T/dump1")" "^MilterEngine own" "default MilterEngine is own"

# SIGTERM and SIGINT end the milter cleanly: logged, exit 0 -- never the
# default action in another thread.  SIGHUP: a stop too under engine
# libmilter (libmilter's signal thread), a reload under engine own.
engine=${MK_MILTER_ENGINE:-own}
for sig in TERM INT HUP; do
	printf 'Socket local:%s/sig.sock\nMilterEngine %s\n' "$T" "$engine" >"$T/sig.conf"
	rm -f "$T/sig.sock"
	"$milter" -f -c "$T/sig.conf" >"$T/sig.log" 2>&1 &
	pid=$!
	mk_track_pid "$pid"
	mk_wait_unix "$T/sig.sock" 10
	ok $? "SIG$sig case: milter listening ($engine)"
	if [ "$sig" = HUP ] && [ "$engine" = own ]; then
		kill -HUP "$pid"
		for _ in $(seq 50); do grep -q "configuration reloaded" "$T/sig.log" && break; sleep 0.1; done
		grep -q "configuration reloaded from $T/sig.conf" "$T/sig.log"
		ok $? "SIGHUP (engine own): configuration reloaded"
		kill -0 "$pid" 2>/dev/null
		ok $? "SIGHUP (engine own): still running"
		kill -TERM "$pid"
	else
		kill -"$sig" "$pid"
	fi
	wait "$pid"
	is "$?" 0 "SIG$sig: exit 0"
	grep -q "stopped" "$T/sig.log"
	ok $? "SIG$sig: shutdown logged"
	[ ! -e "$T/sig.sock" ]
	ok $? "SIG$sig: socket removed"
done
done_testing
