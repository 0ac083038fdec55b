#!/bin/bash
# The openspf RFC 7208 test suite (203 tests, from Debian's python3-spf)
# against lib/spf directly, with an in-memory zone following testspf.py's
# lookup rules.  Asserts >= 200 of 203 (currently 203).  The same suite
# through the daemon, the policy protocol and a real DNS server is
# t/integration/spf-rfc7208.
. "$top_srcdir/t/lib.sh"

SUITE=/usr/share/doc/python3-spf/rfc7208-tests.yml.gz
[ -r "$SUITE" ] || skip_all "missing $SUITE (package python3-spf)"
python3 -c 'import yaml' 2>/dev/null || skip_all "missing python3-yaml"

python3 "$top_srcdir/t/integration/spf-common/suite.py" "$SUITE" >"$T/suite.txt"
ok $? "suite flattened"
# the runner prints its own TAP: renumber it into ours
"$top_builddir/t/unit/test_spf_suite" 200 <"$T/suite.txt" >"$T/out.txt"
rc=$?
grep '^#' "$T/out.txt"
grep '^not ok' "$T/out.txt" | sed 's/^/# /'
passed=$(sed -n 's/^# passed \([0-9]*\) of .*/\1/p' "$T/out.txt")
total=$(sed -n 's/^# passed [0-9]* of \([0-9]*\)/\1/p' "$T/out.txt")
is "$total" 203 "all 203 tests of the suite ran"
ok $rc "at least 200 of 203 pass (passed $passed)"
done_testing
