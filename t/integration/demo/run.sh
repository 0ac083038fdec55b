#!/usr/bin/env bash
# The README's first command, non-interactive: ./demo --once on the
# current build must bring up its stack, resolve every record of
# example.test through mailaka and print an all-ok verdict line.
. "$top_srcdir/t/lib.sh"
. "$top_srcdir/t/lib/dns.sh"
dns_require

out=$(MK_BUILDDIR=$top_builddir "$top_srcdir/demo" --once 2>&1)
rc=$?
ok $rc "demo --once exits 0" || printf '%s\n' "$out" | sed 's/^/#   /'
verdict=$(printf '%s\n' "$out" | sed -n 's/^demo: verdict: //p')
is "$verdict" "MX=ok SPF=ok DMARC=ok A=ok AAAA=ok PTR=ok" "demo verdict line"
like "$out" "DNS server \(unbound, pid [0-9]+\) serving example.test" "demo started a real DNS server"
# the demo stops what it started: its unbound must be gone
pid=$(printf '%s\n' "$out" | sed -n 's/.*unbound, pid \([0-9]*\).*/\1/p')
if [ -n "$pid" ]; then
	mk_wait_for 5 sh -c "! kill -0 $pid 2>/dev/null"
	ok $? "demo's DNS server (pid $pid) stopped at exit"
else
	ok 1 "demo's DNS server pid printed"
fi
done_testing
