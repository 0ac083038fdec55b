#!/usr/bin/env bash
# mailaka-dkim start-up: etc/dkim.conf.sample loads (-n) once its key paths
# point at real keys; each bad configuration stops the daemon at start-up
# with exit status 1 and an error naming file:line (never a crash at the
# first message); unknown opendkim.conf keys only warn.
. "$top_srcdir/t/lib.sh"
. "$top_srcdir/t/integration/dkim-common/lib.sh"

mk_require openssl
[ -x "$DKIM_BIN" ] || bail_out "missing $DKIM_BIN"

K=$T/keys
mkdir -p "$K"
openssl genpkey -algorithm RSA -pkeyopt rsa_keygen_bits:2048 -out "$K/rsa.key" 2>/dev/null
openssl genpkey -algorithm ED25519 -out "$K/ed.key" 2>/dev/null
openssl genpkey -algorithm RSA -pkeyopt rsa_keygen_bits:2048 -out "$K/open.key" 2>/dev/null
chmod 600 "$K/rsa.key" "$K/ed.key"
chmod 644 "$K/open.key"
printf '%s\n' "rsa._domainkey.example.com example.com:rsa:$K/rsa.key" \
	"ed._domainkey.example.com example.com:ed:$K/ed.key" >"$T/keytable"
printf '%s\n' "*@example.com rsa._domainkey.example.com" \
	"*@example.com ed._domainkey.example.com" >"$T/signingtable"

sed -e "s|file:/etc/mailaka/dkim/keytable|file:$T/keytable|" \
	-e "s|refile:/etc/mailaka/dkim/signingtable|refile:$T/signingtable|" \
	"$top_srcdir/etc/dkim.conf.sample" >"$T/sample.conf"
out=$("$DKIM_BIN" -n -c "$T/sample.conf" 2>&1)
ok $? "etc/dkim.conf.sample loads with -n" || diag "$out"
like "$out" "# effective AuthservID mx.example.com; 2 signing key\(s\) loaded" "  both keys loaded"
is "$(grep -cx 'Mode sv' <<<"$out")" 1 "  effective settings printed"
is "$(grep -cx 'MilterEngine own' <<<"$out")" 1 "  MilterEngine printed, own (the sample's and the default)"

# start CONF-TEXT: run the daemon in the foreground on a config; $rc, $out
start() {
	printf '%s\n' "$@" >"$T/bad.conf"
	out=$(timeout 10 "$DKIM_BIN" -f -c "$T/bad.conf" 2>&1)
	rc=$?
}
sock="Socket local:$T/never.sock"

printf '%s\n' "k example.com:s:$K/open.key" >"$T/kt-open"
printf '%s\n' "*@example.com k" >"$T/st-open"
start "$sock" "Mode s" "KeyTable $T/kt-open" "SigningTable refile:$T/st-open"
is "$rc" 1 "world-readable key: exit 1 at start-up"
like "$out" "$T/kt-open:1: key file $K/open.key: mode 0644: readable by others" \
	"  error names the KeyTable file:line and the key file"

printf '%s\n' "# keys" "k example.com:s:$K/rsa.key" >"$T/kt-good"
printf '%s\n' "*@example.com k" "*@example.org missing" >"$T/st-bad"
start "$sock" "Mode s" "KeyTable $T/kt-good" "SigningTable refile:$T/st-bad"
is "$rc" 1 "SigningTable naming an unknown key: exit 1"
like "$out" "$T/st-bad:2: key \"missing\" is not in the KeyTable" "  error names file:line"

printf '%s\n' "k example.com:s:$K/nonexistent.key" >"$T/kt-missing"
start "$sock" "Mode s" "KeyTable $T/kt-missing" "SigningTable refile:$T/st-open"
is "$rc" 1 "missing key file: exit 1"
like "$out" "$T/kt-missing:1: key file $K/nonexistent.key: No such file" "  error names file:line"

start "$sock" "Mode v" "" "On-BadSignature maybe"
is "$rc" 1 "bad action value: exit 1"
like "$out" "$T/bad.conf:4: On-BadSignature: action must be" "  error names file:line"

start "$sock" "Mode v" "InternalHosts 10.0.0.0/8, 300.0.0.1"
is "$rc" 1 "bad InternalHosts entry: exit 1"
like "$out" "300\.0\.0\.1" "  error quotes the entry"

start "$sock" "Mode v" "MilterEngine sendmail"
is "$rc" 1 "bad MilterEngine: exit 1"
like "$out" "$T/bad.conf:3: MilterEngine: must be own or libmilter" "  error names file:line"

# unknown keys only warn; the daemon starts and listens
printf '%s\n' "Socket local:$T/ok.sock" "Mode v" "SomeFutureOpenDKIMKey yes" "AuthservID x" \
	"MilterEngine ${MK_MILTER_ENGINE:-own}" >"$T/warn.conf"
"$DKIM_BIN" -f -c "$T/warn.conf" >"$T/warn.log" 2>&1 &
pid=$!
mk_track_pid "$pid"
mk_wait_unix "$T/ok.sock" 10
ok $? "config with an unknown key: daemon starts"
like "$(cat "$T/warn.log")" "warn.conf:3: .*SomeFutureOpenDKIMKey" "  unknown key warned with file:line"
kill -TERM "$pid"
wait "$pid"
is "$?" 0 "SIGTERM: clean exit"
! grep -E 'AddressSanitizer|LeakSanitizer|runtime error' "$T/warn.log"
ok $? "no sanitizer report"
done_testing
