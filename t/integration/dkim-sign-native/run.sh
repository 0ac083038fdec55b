#!/usr/bin/env bash
# lib/dkim_sign (native DKIM signing) against three independent
# implementations.  t/dkim-sign-diff generates $COUNT messages (random and
# edge header sets, folding, 8-bit, long lines, trailing blank lines and
# white space, body chunks split at random places, CR from LF included) and
# signs each with lib/dkim_sign and with libopendkim 2.11 for
# {rsa-sha256, ed25519-sha256} x {simple, relaxed}^2 with the same key, the
# same fixed time (DKIM_OPTS_FIXEDTIME) and the same header lists: bh=, h=,
# t=, x= must be equal and libopendkim's verifier must accept ours.  Then
# every signed message is verified by dkimpy (all) and Mail::DKIM (RSA).
#
# Where libopendkim departs from RFC 6376 (the driver's "quirks": a bare CR
# in the body, a body without a final CRLF, VT/FF inside a header value) it
# is not the reference; dkimpy is, and must pass every message.  Mail::DKIM
# 1.20230212, like libopendkim, adds no CRLF to a c=.../simple body without
# one (RFC 6376 3.4.3 says to): those few are counted, not required to pass.
# Postfix always ends a body with CRLF, so that case does not reach the milter.
. "$top_srcdir/t/lib.sh"

DIFF="$top_builddir/t/dkim-sign-diff"
COUNT=${DKIM_SIGN_DIFF_COUNT:-250}
SEED=${DKIM_SIGN_DIFF_SEED:-20261128}
[ -x "$DIFF" ] || skip_all "t/dkim-sign-diff not built"
mk_require /usr/bin/python3 perl
/usr/bin/python3 -c 'import dkim, nacl' 2>/dev/null || skip_all "python3-dkim / python3-nacl missing"
perl -MMail::DKIM::Verifier -MNet::DNS::RR -e1 2>/dev/null || skip_all "libmail-dkim-perl missing"

# libopendkim 2.11 never frees an Ed25519 key (see dkim-common/lsan.supp);
# full stacks so the suppression matches through libcrypto.
export LSAN_OPTIONS="suppressions=$top_srcdir/t/integration/dkim-common/lsan.supp:fast_unwind_on_malloc=0${LSAN_OPTIONS:+:$LSAN_OPTIONS}"

mkdir -p "$T/out"
diag "dkim-sign-diff $COUNT messages, seed $SEED (DKIM_SIGN_DIFF_SEED to repeat)"
"$DIFF" "$T/out" "$COUNT" "$SEED" >"$T/diff.txt" 2>"$T/diff.err"
rc=$?
grep '^# ' "$T/diff.txt" | head -60
while read -r _ r text; do
	ok "$r" "$text"
done < <(grep '^RESULT ' "$T/diff.txt")
ok "$rc" "driver exits 0"
grep -q 'Sanitizer' "$T/diff.err"
ok $((! $?)) "no sanitizer report (no leak of ours)" || head -40 "$T/diff.err"

n=$(grep -c '' "$T/out/manifest")
is "$n" $((COUNT * 8)) "$n signed messages written"
quirky=$(awk '$3 != "-"' "$T/out/manifest" | wc -l)
diag "$quirky of them carry a libopendkim quirk"

/usr/bin/python3 "$top_srcdir/t/integration/dkim-sign-native/verify_dkimpy.py" "$T/out" \
	>"$T/dkimpy.txt" 2>"$T/dkimpy.err"
ok $? "dkimpy ran" || head -20 "$T/dkimpy.err"
pass=$(awk '$2 == "pass"' "$T/dkimpy.txt" | wc -l)
is "$pass" "$n" "dkimpy verifies all $n signatures (RSA and Ed25519, quirks included)" ||
	grep -v ' pass' "$T/dkimpy.txt" | head -10
qpass=$(awk 'NR == FNR { q[$1] = $3; next } q[$1] != "-" && $2 == "pass"' \
	"$T/out/manifest" "$T/dkimpy.txt" | wc -l)
is "$qpass" "$quirky" "dkimpy verifies the $quirky quirk messages libopendkim gets wrong"

perl "$top_srcdir/t/integration/dkim-sign-native/verify_maildkim.pl" "$T/out" \
	>"$T/maildkim.txt" 2>"$T/maildkim.err"
ok $? "Mail::DKIM ran" || head -20 "$T/maildkim.err"
# expected exceptions: no final CRLF and a simple body (see above)
awk 'NR == FNR { q[$1] = $3; next }
	{ exc = q[$1] ~ /nocrlf/ && $1 ~ /-simple\.eml$/
	  if (exc) e++; else if ($2 == "pass") p++; else { bad++; print "# " $0 } }
	END { printf "%d %d %d\n", p, e, bad }' "$T/out/manifest" "$T/maildkim.txt" >"$T/md.sum"
grep '^# ' "$T/md.sum" | head -10
read -r mpass mexc mbad < <(grep -v '^# ' "$T/md.sum")
rsa=$(awk '$2 == "rsa"' "$T/out/manifest" | wc -l)
is "$((mpass + mexc))" "$rsa" "Mail::DKIM judged all $rsa RSA signatures"
is "$mbad" 0 "Mail::DKIM verifies all $mpass RSA signatures outside the known exception"
diag "Mail::DKIM exceptions (no final CRLF, simple body): $mexc"

done_testing
