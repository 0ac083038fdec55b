#!/usr/bin/env bash
# Engine own over TCP with an MTA that leaves Nagle on (Postfix does): each
# command after the first waits for the ACK of the one before, and a milter
# that has no reply to send for a no-reply stage (SMFIP_NR_*) must not let
# its kernel hold that ACK back for the 40 ms of a delayed ACK -- every
# session would stall (Postfix + milter over inet: 0.3x of plain Postfix).
# rawmta.py's "nagle" case plays that MTA (t/milter-testd negotiating
# mailaka-dkim's no-reply steps) in a network namespace of the test's own,
# where the kernel's count of delayed ACKs (TcpExt DelayedACKs) is this
# test's alone.  Engine libmilter, which cannot reach its sockets, is the
# control: its sessions show the stall the count must catch.
if [ -z "${MK_NETNS:-}" ] && [ "$(id -u)" = 0 ] && unshare --net true 2>/dev/null; then
	exec unshare --net env MK_NETNS=1 "$BASH" "$0" "$@"
fi
. "$top_srcdir/t/lib.sh"
. "$top_srcdir/t/integration/milter-common/lib.sh"

[ -n "${MK_NETNS:-}" ] || skip_all "needs root and unshare --net (a network namespace)"
[ -x "$TESTD" ] || bail_out "missing $TESTD"
ip link set lo up 2>/dev/null || ifconfig lo up 2>/dev/null
RAW="/usr/bin/python3 $top_srcdir/t/integration/milter-protocol/rawmta.py"
STEPS=0x1c538a	# mailaka-dkim's: no reply to CONNECT, MAIL, headers, EOH, body
N=20

field() { sed -n "s/.* $1=\([0-9.x]*\).*/\1/p" <<<"$2"; }
for e in $(testd_engines); do
	port=$(mk_free_port 127.0.0.1)
	testd_start "$e" "$e" "inet:$port@127.0.0.1" -p "$STEPS" -q
	ok $? "$e: milter-testd on inet:$port@127.0.0.1" || continue
	line=$($RAW "inet:$port@127.0.0.1" nagle "$N")
	diag "$e: $line"
	like "$line" "sessions=$N delayed_acks=[0-9]+ .*steps=$STEPS$" \
		"$e: $N sessions with Nagle on, every no-reply step negotiated"
	eval "acks_$e=\$(field delayed_acks \"\$line\")"
	testd_stop "$e"
	is $? 0 "$e: stopped cleanly"
done
# own: the ACK of each command goes out at once (at most one stray per 10
# sessions, e.g. at a close); the control shows what the count sees else
[ "${acks_own:-999}" -le $((N / 10)) ]
ok $? "own: no delayed ACK holds an MTA command back (${acks_own:-none} in $N sessions)"
if [ -n "${acks_libmilter:-}" ]; then
	[ "$acks_libmilter" -ge $((N / 2)) ]
	ok $? "control (libmilter): the count catches the stall ($acks_libmilter in $N sessions)"
fi
done_testing
