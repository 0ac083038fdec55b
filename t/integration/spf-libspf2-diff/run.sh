#!/bin/bash
# libspf2 as a differential oracle for mailaka's RFC 7208 evaluator: both
# run the openspf suite on the same in-memory zones.  Asserts that every
# test libspf2 gets right, mailaka gets right too, and lists the tests where
# libspf2 departs from RFC 7208 (the reason mailaka has its own evaluator).
. "$top_srcdir/t/lib.sh"
SUITE=/usr/share/doc/python3-spf/rfc7208-tests.yml.gz
[ -r "$SUITE" ] || skip_all "missing $SUITE (package python3-spf)"
L2=$top_builddir/bench/spf-libspf2-suite
[ -x "$L2" ] || bail_out "missing $L2"

python3 "$top_srcdir/t/integration/spf-common/suite.py" "$SUITE" >"$T/suite.txt"
"$L2" <"$T/suite.txt" >"$T/l2.txt" 2>/dev/null
ok $? "libspf2 ran the suite"
"$top_builddir/t/unit/test_spf_suite" 0 <"$T/suite.txt" >"$T/mk.txt"
sed -n 's/^# \([^:]*\): got .*/\1/p' "$T/l2.txt" | sort >"$T/l2.fail"
sed -n 's/^not ok [0-9]* - \([^:]*\):.*/\1/p' "$T/mk.txt" | sort >"$T/mk.fail"
tail -1 "$T/l2.txt" | sed 's/^/# /'
diag "mailaka: $(sed -n 's/^# passed //p' "$T/mk.txt")"
comm -13 "$T/l2.fail" "$T/mk.fail" >"$T/worse"
is "$(wc -l <"$T/worse")" 0 "no test that libspf2 passes and mailaka fails" || sed 's/^/#   /' "$T/worse"
n=$(wc -l <"$T/l2.fail")
ok $((n == 0 ? 1 : 0)) "libspf2 departs from the suite in $n tests (listed below)"
grep '^# ' "$T/l2.txt" | grep -v '^# libspf2' | head -100
done_testing
