#!/usr/bin/env bash
# Milter protocol edge cases against the engines of lib/milter.h, with
# t/milter-testd asking for NR_HDR, SKIP and HDR_LEADSPC (-p 0x100480, body
# SKIP after one chunk, 3 s timeout, 64 KiB packets at most):
#  - driven by miltertest (a real libmilter-protocol MTA side): a REJECT
#    from a no-reply header stage given at end of headers, SKIP, leading
#    space kept, ABORT mid-message then a second message (macros and
#    actions of the first gone, changes refused outside eom), reply texts at
#    RCPT and end of message, protocol version 2, UNKNOWN, header
#    insert/change, quarantine;
#  - driven by a raw client (rawmta.py) for what miltertest cannot send:
#    QUIT_NC (a new connection context on the same socket), a whole message
#    pipelined in one write, and hostile input: garbage, length 0, 2^31-1,
#    over the maximum, a malformed packet, an unknown command, commands out
#    of order or before OPTNEG, an old version, a close in mid-frame, a
#    silent MTA (timeout): each closes that session only, the milter keeps
#    serving; an MTA that pipelines 100 000 commands without reading the
#    replies (reads paused, no unbounded output buffer, nothing lost);
#  - engine own inline, engine own with every stage on the worker pool
#    (-o all; 8 slow sessions run in parallel there, one at a time inline),
#    and engine libmilter once it serves: the same results;
#  - without a negotiate callback: the default options, and a refusal when
#    the MTA does not offer the actions; an inet6: listener;
#  - engine own: mk_milter_stop (SIGTERM) lets a message in flight finish,
#    closes one that takes longer than 5 s, and returns 0.
. "$top_srcdir/t/lib.sh"
. "$top_srcdir/t/integration/milter-common/lib.sh"

mk_require miltertest /usr/bin/python3
[ -x "$TESTD" ] || bail_out "missing $TESTD"
D=$top_srcdir/t/integration/milter-protocol
RAW="/usr/bin/python3 $D/rawmta.py"

variants="own own-pool"
[[ $(testd_engines) == *libmilter* ]] && variants="$variants libmilter" ||
	diag "engine libmilter does not serve yet: engine own only"

# todo REASON: marks a check as a known difference of engine libmilter:
# if it fails there, it is reported as TAP TODO (and does not fail this
# test: t/lib.sh's ok() counts every failure); if it passes, plain ok.
todo() { [ "$engine" = libmilter ] && printf ' [known: %s]' "$1"; }
eval "_lib_$(declare -f ok)"
ok() {
	local rc=$1 name r
	shift
	name=$*
	if [[ $name =~ ^(.*)\ \[known:\ (.*)\]$ ]]; then
		if [ "$rc" -eq 0 ]; then
			name=${BASH_REMATCH[1]}
		else
			name="${BASH_REMATCH[1]} # TODO engine libmilter: ${BASH_REMATCH[2]}"
			_lib_ok "$rc" "$name"
			r=$?
			tap_failed=$((tap_failed - 1))
			return $r
		fi
	fi
	_lib_ok "$rc" "$name"
}

lua() {	# lua SOCK CASE -> the CASE line
	miltertest -D "sock=$1" -D "only=$2" -s "$D/cases.lua" 2>"$T/mt.err" | grep '^CASE' ||
		sed 's/^/#   /' "$T/mt.err" | tail -3
}

for v in $variants; do
	engine=${v%-pool}
	opts=(-p 0x100480 -k 1 -t 3 -m 65536)
	[ "$v" = own-pool ] && opts+=(-o all)
	# inline: one event loop, so that its callbacks run one at a time
	[ "$v" = own ] && opts+=(-L 1)
	port=$(mk_free_port 127.0.0.1)
	sock=inet:$port@127.0.0.1
	[ "$v" = own-pool ] && sock=unix:$T/$v.sock
	testd_start "$v" "$engine" "$sock" "${opts[@]}"
	ok $? "$v: milter-testd on $sock" || bail_out "testd $v"
	cb=$T/$v.cb

	like "$(lua "$sock" nr_hdr)" "env=continue/continue nr=true eoh=replycode" \
		"$v: NR_HDR: no reply per header, the header stage's REJECT given at EOH$(todo \
		"the REJECT sent at once, miltertest then times out")"
	like "$(lua "$sock" skip)" "body=skip eom=continue" "$v: SKIP from the body callback reaches the MTA"
	like "$(lua "$sock" leadspc)" "opt=true eom=continue" "$v: HDR_LEADSPC negotiated"
	# miltertest adds the space an MTA keeps with HDR_LEADSPC: 1 + 2
	grep -q 'name=Subject value=\[   two spaces\]' "$cb"
	ok $? "$v: HDR_LEADSPC: the value reaches the milter with its leading spaces"
	like "$(lua "$sock" abort)" "env2=continue/continue eom=continue second=true first=false" \
		"$v: ABORT mid-message: the second message gets only its own changes"
	grep -q 'CB abort .*addheader_outside_eom=-1' "$cb"
	ok $? "$v: a change outside eom is refused (-1)"
	like "$(grep 'CB envfrom' "$cb" | tail -1)" "^CB envfrom [^|]*\| *$" \
		"$v: after ABORT the old message's macros are gone"
	like "$(lua "$sock" replies)" "rcpt1=replycode rcpt2=continue eom=replycode smtp=true" \
		"$v: setreply texts at RCPT (451 4.7.1) and at eom (554 5.7.9 no thanks)"
	like "$(lua "$sock" v2)" "connect=continue unknown=continue env=continue/continue" \
		"$v: an MTA speaking version 2; UNKNOWN answered"
	like "$(lua "$sock" changes)" "eom=continue ins=true chg=true q=true" \
		"$v: insheader, chgheader, quarantine"

	like "$($RAW "$sock" quit_nc 2>&1)" "neg=O c1=c m1=c c2=c m2=c closed=True" \
		"$v: QUIT_NC: a second connection context on the same socket$(todo \
		"no reply after QUIT_NC")"
	like "$($RAW "$sock" quit_nc_reneg 2>&1)" "neg=O c1=c m1=c neg2=O c2=c m2=c closed=True" \
		"$v: QUIT_NC, then OPTNEG again, then the second context$(todo "no reply after QUIT_NC")"
	awk '/CB connect .*host=first\.example/ { f = 1; c1 = $3 }
	    f && /^CB close/ { cl = 1 }
	    cl && /CB connect .*host=second\.example/ { if ($3 != c1) good = 1 }
	    END { exit !good }' "$cb"
	ok $? "$v: QUIT_NC: close callback, then connect in a new context$(todo "no reply after QUIT_NC")"
	like "$($RAW "$sock" pipelined)" "replies=ccccsc$" \
		"$v: a whole message in one write: every reply, in order (no header replies: NR_HDR; body: SKIP)"
	for c in garbage zero_len oversize over_max malformed unknown_cmd out_of_order no_optneg \
	    old_version; do
		r=""
		case $c in out_of_order|no_optneg) r=$(todo "lenient: keeps the session") ;; esac
		like "$($RAW "$sock" "$c" 2>&1)" "closed=True" "$v: $c: the session is closed$r"
	done
	$RAW "$sock" early_close >/dev/null
	like "$($RAW "$sock" flood 2>&1)" "replies=100000 then=c" \
		"$v: 100 000 commands sent without reading replies: all answered, in order"
	like "$($RAW "$sock" silent 2>&1)" "closed=True after=[3-5]" \
		"$v: a silent MTA is dropped after the timeout (3 s)$(todo "not dropped within 10 s")"
	like "$(lua "$sock" changes)" "eom=continue ins=true chg=true q=true" \
		"$v: after all that the milter still serves"
	if [ "$engine" = own ]; then
		# 8 sessions whose eom takes 500 ms: in parallel on the pool, one
		# after the other when the loop thread runs them (inline)
		t0=$(date +%s%N)
		pids=""
		for i in 1 2 3 4 5 6 7 8; do
			$RAW "$sock" slow >"$T/slow.$i" &
			pids="$pids $!"
		done
		wait $pids
		ms=$(( ($(date +%s%N) - t0) / 1000000 ))
		is "$(cat "$T"/slow.* | grep -c 'eom=c')" 8 "$v: 8 concurrent slow messages answered"
		if [ "$v" = own-pool ]; then
			[ "$ms" -lt 3000 ]
			ok $? "$v: offloaded eom callbacks run in parallel (${ms} ms for 8 x 500 ms)"
		else
			[ "$ms" -ge 4000 ]
			ok $? "$v: inline eom callbacks run one at a time (${ms} ms for 8 x 500 ms)"
		fi
		if [[ $sock == unix:* ]]; then	# (TCP loopback buffers may hold it all)
			grep -q 'MTA not reading its replies: pausing' "$T/$v.log"
			ok $? "$v: the flood paused reading (output bounded)"
		fi
		like "$(grep -c 'closing' "$T/$v.log")" "^(1[0-9]|[2-9][0-9])$" \
			"$v: each bad session logged (\"... closing\")"
	fi
	testd_stop "$v"
	is "$?" 0 "$v: stopped cleanly (SIGTERM)"
	testd_clean "$v"
	ok $? "$v: no sanitizer report" || tail -20 "$T/$v.log" | sed 's/^/#   /'
done

# desc->negotiate NULL: the engine asks for desc->actions and skips nothing
# it has a callback for (UNKNOWN has none); an MTA that does not offer
# those actions is refused
for v in $variants; do
	[ "$v" = own-pool ] && continue
	engine=$v
	testd_start "neg-$v" "$v" "unix:$T/neg-$v.sock" -n
	ok $? "$v: milter-testd without a negotiate callback" || continue
	like "$($RAW "unix:$T/neg-$v.sock" negotiate 2>&1)" "version=6 actions=0x71 steps=0x100$" \
		"$v: default negotiation: ADDHDRS|CHGHDRS|QUARANTINE|CHGFROM, NOUNKNOWN"
	like "$($RAW "unix:$T/neg-$v.sock" no_actions 2>&1)" "closed=True" \
		"$v: an MTA offering none of those actions is refused"
	testd_stop "neg-$v"
	is "$?" 0 "$v: stopped cleanly"
done

# an inet6: listener (engine own)
if /usr/bin/python3 -c 'import socket; socket.socket(socket.AF_INET6).bind(("::1", 0))' 2>/dev/null; then
	port=$(mk_free_port ::1)
	engine=own
	testd_start v6 own "inet6:$port@[::1]" -p 0x100480 -k 1
	ok $? "own: milter-testd on inet6:$port@[::1]"
	like "$($RAW "inet6:$port@::1" pipelined)" "replies=ccccsc$" "own: a message over inet6"
	testd_stop v6
	is "$?" 0 "own: inet6 milter stopped cleanly"
else
	diag "no ::1: inet6 listener not tested"
fi

# mk_milter_stop() with sessions in flight (engine own, both modes)
for v in own own-pool; do
	opts=()
	[ "$v" = own-pool ] && opts=(-o all)
	sock=unix:$T/stop-$v.sock
	testd_start "stop-$v" own "$sock" "${opts[@]}"
	ok $? "$v: milter-testd for the stop test" || continue
	$RAW "$sock" hold 1 >"$T/hold1.out" &
	h1=$!
	$RAW "$sock" hold 9 >"$T/hold9.out" &
	h9=$!
	mk_wait_for 10 grep -q in-message "$T/hold1.out"
	mk_wait_for 10 grep -q in-message "$T/hold9.out"
	t0=$(date +%s)
	pid=$(eval "printf '%s' \"\$TESTD_PID_stop_${v//-/_}\"")
	kill -TERM "$pid"
	mk_wait_for 2 sh -c "! (exec 3<>/dev/null; /usr/bin/python3 -c 'import socket,sys; s=socket.socket(socket.AF_UNIX); s.connect(sys.argv[1])' '${sock#unix:}')"
	ok $? "$v: after mk_milter_stop no new session is accepted"
	wait "$pid"
	rc=$?
	dt=$(( $(date +%s) - t0 ))
	wait "$h1" "$h9"
	is "$rc" 0 "$v: mk_milter_run returned 0"
	[ "$dt" -ge 4 ] && [ "$dt" -le 8 ]
	ok $? "$v: it waited for the sessions in flight, at most ~5 s (${dt} s)"
	like "$(cat "$T/hold1.out")" "eom=c" "$v: the message in flight finished normally"
	like "$(cat "$T/hold9.out")" "eom=eof" "$v: the one still open after 5 s was closed"
	testd_clean "stop-$v"
	ok $? "$v: no sanitizer report"
done
done_testing
