# bench/pf-run.sh: one timed run through a Postfix chain, for bench/chain and
# bench/dkim-postfix (sourced after t/lib.sh and t/lib/postfix.sh).
#
#   bench_sink_start ADDR   the sink "dest" (t/lib/postfix.sh) with running
#                           counters, read at no cost by bench_run
#
#   bench_cpu_init          put this shell (and so every process it starts
#                           from now on: Postfix masters and their children,
#                           milters, policy servers, smtp-source, smtp-sink)
#                           into a cpuacct cgroup of its own, so that a run's
#                           CPU time can be read without the rest of the
#                           machine; without a writable cgroup v1 cpuacct the
#                           CPU column reads 0
#   bench_part PART PID...  move processes (and so their future children)
#                           into the sub-group PART of the bench's cgroup:
#                           "mta" (Postfix) or "filters" (milters, policy
#                           servers); the rest (client, sink, DNS) stays in
#                           the bench's own group
#   bench_pf_start NAME     pf_start NAME, its master and children in "mta"
#   bench_run CHAIN FILE    smtp-source -s $CONC -m $N of FILE into CHAIN's
#                           Postfix, then wait until the sink has received all
#                           N (at most 120 s).  Prints "RELAY ACCEPT CPU MTA
#                           FILTERS":
#                           RELAY   msg/s from the first connection until the
#                                   last message reached the sink (what the
#                                   issues call "Postfix relays N msg/s")
#                           ACCEPT  msg/s until smtp-source finished (the
#                                   queue still filling the sink behind it)
#                           CPU     ms of CPU per message, all bench processes
#                                   together (client, Postfix, milters, sink)
#                           MTA     of which Postfix ("mta"; only the chain
#                                   under test is busy during its run)
#                           FILTERS of which milters and policy servers
#                           A run that loses messages prints 0 0 0 0 0 and
#                           says so.
#   bench_rounds R FILE CHAIN...
#                           20 messages through each chain (warm-up), then R
#                           rounds running the chains in turn, each round
#                           starting one chain further (B C A, C A B, A B C,
#                           ...: a slow spell of the machine hits every chain
#                           of a round, and no chain always runs first), and
#                           each run after a sync (the files the run before
#                           left dirty are not written back during this one);
#                           the runs go to $T/rounds
#   bench_table LABEL REF CHAIN...
#                           a line per chain: the median over the rounds of
#                           relay/s, of its ratio to the first chain's run
#                           of the same round (with the lowest and highest)
#                           and to REF's, of CPU ms per message (all, mta,
#                           filters) and of accept/s

BENCH_CG=""
bench_cpu_init() {
	local root=/sys/fs/cgroup/cpuacct
	[ -w "$root" ] || return 0
	BENCH_CG=$root/mailaka-bench.$$
	mkdir "$BENCH_CG" 2>/dev/null || { BENCH_CG=""; return 0; }
	echo $$ >"$BENCH_CG/cgroup.procs" || { rmdir "$BENCH_CG"; BENCH_CG=""; return 0; }
	# at exit: move this shell back, and remove the groups once the
	# processes in them are gone (mk_cleanup stops them after the at-exit
	# commands: a detached retry loop, at most 15 s)
	mk_at_exit "echo \$\$ >$root/cgroup.procs; (for i in \$(seq 30); do rmdir '$BENCH_CG'/*/ '$BENCH_CG' 2>/dev/null; [ -d '$BENCH_CG' ] || break; sleep 0.5; done) </dev/null >/dev/null 2>&1 &"
}

bench_part() {	# bench_part PART PID...
	local part=$1 p; shift
	[ -n "$BENCH_CG" ] || return 0
	mkdir -p "$BENCH_CG/$part" 2>/dev/null || return 0
	for p; do echo "$p" >"$BENCH_CG/$part/cgroup.procs" 2>/dev/null; done
	return 0
}

bench_pf_start() {	# bench_pf_start NAME
	local master
	pf_start "$1" || return 1
	master=$(tr -dc 0-9 <"$T/pf-$1/queue/pid/master.pid" 2>/dev/null)
	[ -n "$master" ] && bench_part mta "$master" $(pgrep -P "$master")
	return 0
}

bench_sink_start() {
	SINK_FLAGS=-c sink_start dest "$1"
}

_bench_sunk() {	# messages the sink has received so far (its -c counter)
	local last
	last=$(tail -c 64 "$T/sink-dest.log" 2>/dev/null)
	last=${last##*mesg=}
	last=${last%%[!0-9]*}
	echo "${last:-0}"
}

_bench_wait_sunk() {	# _bench_wait_sunk N: outside the bench's cgroup, <= 120 s
	(
		[ -z "$BENCH_CG" ] || echo "$BASHPID" >"${BENCH_CG%/*}/cgroup.procs"
		deadline=$((SECONDS + 120))
		while [ "$(_bench_sunk)" -lt "$1" ] && [ $SECONDS -lt $deadline ]; do
			sleep 0.05
		done
	)
}

_bench_cpu_ns() {	# _bench_cpu_ns [PART]
	local f=$BENCH_CG/${1:+$1/}cpuacct.usage
	if [ -n "$BENCH_CG" ] && [ -r "$f" ]; then cat "$f"; else echo 0; fi
}

bench_run() {	# bench_run CHAIN FILE -> "relay/s accept/s cpu_ms mta_ms filters_ms"
	local port t0 ta t1 c0 c1 m0 m1 f0 f1 out want
	port=$(_pf_var PF_PORT "$1")
	want=$(($(_bench_sunk) + N))
	c0=$(_bench_cpu_ns) m0=$(_bench_cpu_ns mta) f0=$(_bench_cpu_ns filters)
	t0=$(date +%s%N)
	out=$(smtp-source -s "$CONC" -m "$N" -f alice@bench.example -t bob@dest.example \
		-F "$2" "$(_pf_var PF_ADDR "$1"):$port" 2>&1)
	ta=$(date +%s%N)
	[ -z "$out" ] || echo "# $1: $(head -3 <<<"$out")" >&2
	_bench_wait_sunk "$want"
	t1=$(date +%s%N)
	c1=$(_bench_cpu_ns) m1=$(_bench_cpu_ns mta) f1=$(_bench_cpu_ns filters)
	if [ "$(_bench_sunk)" -lt "$want" ]; then
		echo "# $1: only $(($(_bench_sunk) - want + N)) of $N messages reached the sink" >&2
		echo "0 0 0 0 0"
		return 1
	fi
	awk -v n="$N" -v r=$((t1 - t0)) -v a=$((ta - t0)) -v c=$((c1 - c0)) -v m=$((m1 - m0)) \
		-v f=$((f1 - f0)) 'BEGIN {
		printf "%.1f %.1f %.3f %.3f %.3f\n", n / (r / 1e9), n / (a / 1e9), c / 1e6 / n,
			m / 1e6 / n, f / 1e6 / n }'
}

bench_rounds() {	# bench_rounds R FILE CHAIN...
	local rounds=$1 file=$2 c i n0=$N
	shift 2
	N=20
	for c; do bench_run "$c" "$file" >/dev/null; done
	N=$n0
	: >"$T/rounds"
	for ((i = 1; i <= rounds; i++)); do
		for c in "${@:i % $# + 1}" "${@:1:i % $#}"; do
			sync
			echo "$c $i $(bench_run "$c" "$file")" >>"$T/rounds"
		done
	done
}

bench_table() {	# bench_table LABEL REF CHAIN...
	local label=$1 ref=$2
	shift 2
	awk -v label="$label" -v ref="$ref" -v chains="$*" '
	function med(list,   a, n, i, j, t) {	# median of a space-separated list
		n = split(list, a, " ")
		for (i = 2; i <= n; i++)
			for (j = i; j > 1 && a[j - 1] + 0 > a[j] + 0; j--) { t = a[j]; a[j] = a[j - 1]; a[j - 1] = t }
		return n == 0 ? 0 : (n % 2 ? a[(n + 1) / 2] : (a[n / 2] + a[n / 2 + 1]) / 2)
	}
	function lo(list,   a, n, i, m) { n = split(list, a, " "); m = a[1]
		for (i = 2; i <= n; i++) if (a[i] + 0 < m + 0) m = a[i]; return m }
	function hi(list,   a, n, i, m) { n = split(list, a, " "); m = a[1]
		for (i = 2; i <= n; i++) if (a[i] + 0 > m + 0) m = a[i]; return m }
	{ for (k = 3; k <= 7; k++) v[$1, $2, k] = $k; if ($2 > R) R = $2 }
	END {
		n = split(chains, ch, " "); base = ch[1]
		printf "%-7s %-12s %8s %7s %13s %7s %7s %7s %7s %8s\n", "", "chain", "relay/s",
			"/" base, "(low-high)", "/" ref, "CPU ms", "mta", "filters", "accept/s"
		for (i = 1; i <= n; i++) {
			c = ch[i]; rl = rb = rr = cpu = mta = flt = acc = ""
			for (r = 1; r <= R; r++) {
				rl = rl " " v[c, r, 3]; cpu = cpu " " v[c, r, 5]; mta = mta " " v[c, r, 6]
				flt = flt " " v[c, r, 7]; acc = acc " " v[c, r, 4]
				rb = rb " " (v[base, r, 3] > 0 ? v[c, r, 3] / v[base, r, 3] : 0)
				rr = rr " " (v[ref, r, 3] > 0 ? v[c, r, 3] / v[ref, r, 3] : 0)
			}
			printf "%-7s %-12s %8.1f %6.2fx %13s %6.2fx %7.3f %7.3f %7.3f %8.1f\n", label, c,
				med(rl), med(rb), sprintf("(%.2f-%.2f)", lo(rb), hi(rb)), med(rr), med(cpu),
				med(mta), med(flt), med(acc)
		}
	}' "$T/rounds"
}
