#!/usr/bin/env bash
# Alias resolution against chasquid itself: the same domains/<d>/aliases
# file is resolved by `chasquid-util aliases-resolve` (Debian's chasquid,
# an independent implementation) and by mailaka-forward's socketmap alias
# map, address by address; the sets of final addresses (or "ERROR") must be
# equal.  Covered: plain aliases, several targets, chains, a list mixing
# aliases and remote addresses, case folding, drop characters and suffixes,
# non-local addresses, loops and the depth limit (10).  Left out on purpose
# (documented differences, or features newer than Debian 12's chasquid
# 1.11): catch-all, dotted or suffixed left sides, self-reference, pipes;
# upper-case domains (chasquid normalises them before resolving, Postfix
# lower-cases map keys, chasquid-util does neither).
. "$top_srcdir/t/lib.sh"
. "$top_srcdir/t/integration/forward-common/lib.sh"

mk_require python3 chasquid-util
[ -x "$FWD_BIN" ] || bail_out "missing $FWD_BIN"

C=$T/chasquid
mkdir -p "$C/domains/example.test" "$C/data"
cat >"$C/chasquid.conf" <<EOF
hostname: "mx.example.test"
data_dir: "$C/data"
EOF
cat >"$C/domains/example.test/aliases" <<'EOF'
# shared by both implementations
pepe: jose
flowers: rose@backgarden.test, lilly@pond.test
chain1: chain2
chain2: chain3, other@remote.test
chain3: end@remote.test
loop1: loop2
loop2: loop1
mixed: Target@Remote.Test
list: pepe, flowers, x@y.test, chain3
d0: d1
d1: d2
d2: d3
d3: d4
d4: d5
d5: d6
d6: d7
d7: d8
d8: d9
d9: d10
d10: d11
d11: final@remote.test
EOF
fwd_secret "$T/secrets" "s"
cat >"$T/forward.conf" <<EOF
Socket unix:$T/fwd.sock
SRSDomain fwd.example
SRSSecrets $T/secrets
AliasesDir $C/domains
EOF
fwd_start "$T/forward.conf"
ok $? "mailaka-forward started on the chasquid aliases directory" || bail_out "no daemon"

theirs() {	# final addresses, sorted, one line; or ERROR
	local out
	out=$(chasquid-util --configdir="$C" aliases-resolve "$1" 2>&1)
	if echo "$out" | grep -q '^Error'; then
		echo ERROR
		return
	fi
	echo "$out" | sed -n 's/^(email) *//p' | tr 'A-Z' 'a-z' | sort | tr '\n' ' '
}
ours() {
	local out
	out=$(sm "unix:$T/fwd.sock" "alias $1")
	case $out in
	"OK "*) echo "${out#OK }" | tr ',' '\n' | tr 'A-Z' 'a-z' | sort | tr '\n' ' ' ;;
	"NOTFOUND "*) echo "$1" | tr 'A-Z' 'a-z' ;;	# Postfix keeps the address
	*) echo ERROR ;;
	esac
}

for a in pepe@example.test PePe@example.test pepe+tag@example.test p.e.p.e+x.y@example.test \
	flowers@example.test chain1@example.test chain2@example.test loop1@example.test \
	mixed@example.test list@example.test nobody@example.test no.body+x@example.test \
	x@remote.test d0@example.test d1@example.test d2@example.test d3@example.test; do
	t=$(theirs "$a")
	o=$(ours "$a")
	[ "$o" = "$(echo "$a" | tr 'A-Z' 'a-z')" ] && o="$o "	# NOTFOUND: same shape as theirs
	is "$o" "$t" "$a resolves as chasquid does: $t"
done
done_testing
