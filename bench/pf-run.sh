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
#   bench_run CHAIN FILE    smtp-source -s $CONC -m $N of FILE into CHAIN's
#                           Postfix, then wait until the sink has received all
#                           N (at most 120 s).  Prints "RELAY ACCEPT CPU":
#                           RELAY   msg/s from the first connection until the
#                                   last message reached the sink (what the
#                                   issues call "Postfix relays N msg/s")
#                           ACCEPT  msg/s until smtp-source finished (the
#                                   queue still filling the sink behind it)
#                           CPU     ms of CPU per message, all bench processes
#                                   together (client, Postfix, milters, sink)
#                           A run that loses messages prints 0 0 0 and says so.

BENCH_CG=""
bench_cpu_init() {
	local root=/sys/fs/cgroup/cpuacct
	[ -w "$root" ] || return 0
	BENCH_CG=$root/mailaka-bench.$$
	mkdir "$BENCH_CG" 2>/dev/null || { BENCH_CG=""; return 0; }
	echo $$ >"$BENCH_CG/cgroup.procs" || { rmdir "$BENCH_CG"; BENCH_CG=""; return 0; }
	# at exit the processes are gone (or leave with us): move this shell
	# back and remove the group, retrying while stragglers exit
	mk_at_exit "echo \$\$ >$root/cgroup.procs; for i in 1 2 3 4 5 6 7 8 9 10; do rmdir '$BENCH_CG' 2>/dev/null && break; sleep 0.5; done"
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

_bench_cpu_ns() {
	if [ -n "$BENCH_CG" ]; then cat "$BENCH_CG/cpuacct.usage"; else echo 0; fi
}

bench_run() {	# bench_run CHAIN FILE -> "relay/s accept/s cpu_ms_per_msg"
	local port t0 ta t1 c0 c1 out want
	port=$(_pf_var PF_PORT "$1")
	want=$(($(_bench_sunk) + N))
	c0=$(_bench_cpu_ns)
	t0=$(date +%s%N)
	out=$(smtp-source -s "$CONC" -m "$N" -f alice@bench.example -t bob@dest.example \
		-F "$2" "$(_pf_var PF_ADDR "$1"):$port" 2>&1)
	ta=$(date +%s%N)
	[ -z "$out" ] || echo "# $1: $(head -3 <<<"$out")" >&2
	_bench_wait_sunk "$want"
	t1=$(date +%s%N)
	c1=$(_bench_cpu_ns)
	if [ "$(_bench_sunk)" -lt "$want" ]; then
		echo "# $1: only $(($(_bench_sunk) - want + N)) of $N messages reached the sink" >&2
		echo "0 0 0"
		return 1
	fi
	awk -v n="$N" -v r=$((t1 - t0)) -v a=$((ta - t0)) -v c=$((c1 - c0)) 'BEGIN {
		printf "%.1f %.1f %.3f\n", n / (r / 1e9), n / (a / 1e9), c / 1e6 / n }'
}
