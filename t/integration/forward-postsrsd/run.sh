#!/usr/bin/env bash
# SRS interoperability with the real postsrsd daemon (Debian's 1.x), both
# speaking Postfix tcp_table with the same secrets file:
#   - our forward == postsrsd's forward, byte for byte (SRS0 and SRS1);
#   - postsrsd reverses ours, we reverse postsrsd's (both directions), also
#     through our socketmap socket;
#   - hash length 8 / minimum 4 and the '+' separator (postsrsd -n -N -a);
#   - key rotation across implementations (a secrets file whose first line
#     signs and every line verifies);
#   - a tampered postsrsd address is refused by both.
. "$top_srcdir/t/lib.sh"
. "$top_srcdir/t/integration/forward-common/lib.sh"

PSRS=$(command -v postsrsd || echo /usr/sbin/postsrsd)
mk_require python3 "$PSRS"
[ -x "$FWD_BIN" ] || bail_out "missing $FWD_BIN"

D=$T/srs
mkdir -p "$D"

# postsrsd_start NAME SECRETFILE EXTRA-ARGS...: sets NAME_F, NAME_R ports
postsrsd_start() {
	local name=$1 sec=$2 f r pid; shift 2
	f=$(mk_free_port 127.0.0.1)
	r=$(mk_free_port 127.0.0.1)
	"$PSRS" -s "$sec" -d fwd.example -f "$f" -r "$r" -l 127.0.0.1 -4 "$@" \
		>"$T/postsrsd-$name.log" 2>&1 &
	pid=$!
	mk_track_pid "$pid"
	mk_wait_port 127.0.0.1 "$f" 10 && mk_wait_port 127.0.0.1 "$r" 10 ||
		{ sed 's/^/#   /' "$T/postsrsd-$name.log"; return 1; }
	eval "${name}_F=$f ${name}_R=$r"
}

# ours_start NAME SECRETFILE EXTRA-CONFIG-LINES...: sets NAME_F, NAME_R, NAME_S
ours_start() {
	local name=$1 sec=$2 f r; shift 2
	f=$(mk_free_port 127.0.0.1)
	r=$(mk_free_port 127.0.0.1)
	{
		echo "Socket unix:$D/$name.sock"
		echo "TCPForwardSocket inet:$f@127.0.0.1"
		echo "TCPReverseSocket inet:$r@127.0.0.1"
		echo "SRSDomain fwd.example"
		echo "SRSSecrets $sec"
		printf '%s\n' "$@"
	} >"$D/$name.conf"
	fwd_start "$D/$name.conf" "$T/ours-$name.log" || return 1
	eval "${name}_F=$f ${name}_R=$r ${name}_S=unix:$D/$name.sock"
}

fwd_secret "$D/shared" "$(head -c 24 /dev/urandom | base64)"
postsrsd_start ps "$D/shared"
ok $? "postsrsd running (tcp_table on two ports)" || bail_out "postsrsd did not start"
ours_start us "$D/shared"
ok $? "mailaka-forward running with the same secrets file" || bail_out "no daemon"

# address -> what reversing its forward gives
addrs=(
	"alice@orig.test"
	"Bob.Smith+tag@Orig.Test"
	"weird_local-part.x@sub.orig.test"
	"SRS0=abcd=XX=orig.test=eve@first.test"
	"SRS1=Abcd=first.test==XyZw=TT=orig.test=eve@other.test"
)
backs=(
	"alice@orig.test"
	"Bob.Smith+tag@Orig.Test"
	"weird_local-part.x@sub.orig.test"
	"SRS0=abcd=XX=orig.test=eve@first.test"
	"SRS0=XyZw=TT=orig.test=eve@first.test"
)
for i in "${!addrs[@]}"; do
	a=${addrs[$i]} back=${backs[$i]}
	ours=$(tcpq 127.0.0.1:$us_F "$a")
	theirs=$(tcpq 127.0.0.1:$ps_F "$a")
	like "$ours" '^200 SRS[01]=' "ours forwards $a"
	is "$ours" "$theirs" "  identical to postsrsd's"
	is "$(tcpq 127.0.0.1:$ps_R "${ours#200 }")" "200 $back" "  postsrsd reverses ours"
	is "$(tcpq 127.0.0.1:$us_R "${theirs#200 }")" "200 $back" "  we reverse postsrsd's"
	is "$(sm "$us_S" "reverse ${theirs#200 }")" "OK $back" "  also over socketmap"
done
sm_fwd=$(sm "$us_S" "forward carol@orig.test")
is "$(tcpq 127.0.0.1:$ps_R "${sm_fwd#OK }")" "200 carol@orig.test" "postsrsd reverses our socketmap forward"

theirs=$(tcpq 127.0.0.1:$ps_F "dave@orig.test")
t=${theirs#200 }
tampered=$(echo "$t" | sed 's/=dave@/=mallory@/')
is "$(tcpq 127.0.0.1:$us_R "$tampered")" "500 bad%20hash" "tampered postsrsd address: we say bad hash"
like "$(tcpq 127.0.0.1:$ps_R "$tampered")" '^500 ' "  postsrsd refuses it too"
lower=$(echo "$t" | tr 'A-Z' 'a-z')
is "$(tcpq 127.0.0.1:$us_R "$lower")" "200 dave@orig.test" "lower-cased postsrsd address: we accept (case-insensitive hash)"
is "$(tcpq 127.0.0.1:$ps_R "$lower")" "200 dave@orig.test" "  as postsrsd does"

# hash length 8, minimum 4, '+' separator
postsrsd_start ps8 "$D/shared" -n 8 -N 4 -a +
ours_start us8 "$D/shared" "SRSHashLength 8" "SRSHashMin 4" "SRSSeparator +"
ours=$(tcpq 127.0.0.1:$us8_F "alice@orig.test")
like "$ours" '^200 SRS0\+[^=]{8}=' "hash length 8, separator +: $ours"
is "$ours" "$(tcpq 127.0.0.1:$ps8_F "alice@orig.test")" "  identical to postsrsd -n 8 -a +"
is "$(tcpq 127.0.0.1:$ps8_R "${ours#200 }")" "200 alice@orig.test" "  postsrsd reverses it"
short=$(tcpq 127.0.0.1:$ps_F "alice@orig.test")
is "$(tcpq 127.0.0.1:$us8_R "${short#200 }")" "200 alice@orig.test" "  4-character hash accepted with SRSHashMin 4"

# key rotation across implementations
fwd_secret "$D/old" "old-secret-value"
fwd_secret "$D/rotated" "new-secret-value" "old-secret-value"
fwd_secret "$D/ps-rotated" "old-secret-value" "new-secret-value"
postsrsd_start psold "$D/old"
ours_start usrot "$D/rotated"
postsrsd_start psrot "$D/ps-rotated"
theirs=$(tcpq 127.0.0.1:$psold_F "frank@orig.test")
is "$(tcpq 127.0.0.1:$usrot_R "${theirs#200 }")" "200 frank@orig.test" "rotation: we verify postsrsd's address with our second secret"
ours=$(tcpq 127.0.0.1:$usrot_F "frank@orig.test")
ok "$([ "$ours" != "$theirs" ] && echo 0 || echo 1)" "  we sign with our first secret"
is "$(tcpq 127.0.0.1:$psrot_R "${ours#200 }")" "200 frank@orig.test" "  postsrsd verifies ours with its second secret"
like "$(tcpq 127.0.0.1:$psold_R "${ours#200 }")" '^500 ' "  a postsrsd without the new secret refuses it"
done_testing
