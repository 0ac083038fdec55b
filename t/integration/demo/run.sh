#!/usr/bin/env bash
# The README's first command, non-interactive: ./demo --once on the
# current build brings up the guide's stack on loopback (DNS, Postfix +
# the four mailaka daemons, a Gmail-like Postfix), sends a test mail with
# `mailaka send`, and prints the receiving side's independent verdicts.
. "$top_srcdir/t/lib.sh"
. "$top_srcdir/t/lib/dns.sh"
. "$top_srcdir/t/lib/postfix.sh"
. "$top_srcdir/t/lib/guide.sh"
MK_BUILDDIR=$top_builddir
dns_require
guide_require

out=$(MK_BUILDDIR=$top_builddir timeout 300 "$top_srcdir/demo" --once 2>&1)
rc=$?
ok $rc "demo --once exits 0" || printf '%s\n' "$out" | tail -30 | sed 's/^/#   /'
verdict=$(printf '%s\n' "$out" | sed -n 's/^demo: verdict: //p')
is "$verdict" "tls=TLSv1.3 dkim-rsa=pass dkim-ed25519=pass spf=pass dmarc=pass" "demo verdict line"
like "$out" "sent server=127\.0\.0\.2:[0-9]+ tls=TLSv1\.[23] .*auth=PLAIN:235 .*queue_id=[0-9A-F]+" \
	"mailaka send's summary: TLS, AUTH, queue id"
like "$out" "dkim rsa-sha256 d=example\.test s=rsa: dkimpy=pass Mail::DKIM=pass" "RSA signature: both verifiers"
# the demo stops what it started: its DNS server must be gone
pid=$(printf '%s\n' "$out" | sed -n 's/.*unbound, pid \([0-9]*\).*/\1/p')
if [ -n "$pid" ]; then
	mk_wait_for 10 sh -c "! kill -0 $pid 2>/dev/null"
	ok $? "demo's DNS server (pid $pid) stopped at exit"
else
	ok 1 "demo's DNS server pid printed"
fi
done_testing
