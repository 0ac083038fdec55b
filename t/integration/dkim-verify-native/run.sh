#!/usr/bin/env bash
# lib/dkim_verify (native DKIM verification) against independent verifiers.
#
# 1. RFC 8463 appendix A (the Ed25519 + RSA signed message python3-dkim
#    ships): both signatures pass, as CRLF, as LF and fed in small chunks;
#    with the body changed both fail.
# 2. A seeded random corpus (gen_corpus.py: dkimpy-signed messages with RSA
#    1024/2048 and Ed25519 keys, every c= pair, h= with repeated, absent and
#    oversigned names, folded and odd-white-space headers, empty bodies and
#    trailing blank lines, l=, several signatures with a bad one, and
#    tampered variants) verified per signature by dkimpy, Mail::DKIM (RSA)
#    and t/dkim_verify_diff: ours must pass exactly where they pass and fail
#    exactly where they fail (where dkimpy and Mail::DKIM disagree -- Mail::DKIM
#    1.20230212 takes l=0 for "no l=" -- ours must equal one of them, and the
#    case is listed).  Feeding the body in 1..7-byte chunks must not change a
#    verdict.
# 2b. 40 of those messages signed by a second signer, Mail::DKIM::Signer (its
#    own tag layout; also header fields with white space before the colon,
#    which dkimpy cannot parse), half of them tampered: ours must agree with
#    Mail::DKIM's verifier on every signature.
# 2c. lib/dkim_sign's output (t/dkim-sign-diff: bare CR, no final CRLF,
#    VT/FF in header values), which dkim-sign-native has dkimpy verify: all
#    pass here too.
# 3. Crafted cases (cases.py) for each result lib/dkim_verify.h documents
#    (pass, fail, policy, permerror, nokey, temperror), each asserting one
#    specific result, and where dkimpy / Mail::DKIM judge the same signature
#    soundly, what they say (a "pass" there shows the case's signature is
#    sound, so our non-pass comes from the rule under test).  Among them
#    RFC 8616 (EAI) cases: dkimpy-signed messages with a UTF-8 i= local part,
#    raw UTF-8 From / Subject, U-label d= / s=; malformed UTF-8 in i=, an
#    IDNA-invalid U-label, 8-bit in an ASCII-only tag (permerror, the reason
#    checked); where dkimpy or Mail::DKIM differ, cases.py says why.
# 4. lib/dkim_sign with a UTF-8 i= (dkim_verify_diff -S): dkimpy, Mail::DKIM
#    and ours pass; malformed UTF-8 i= is refused.
. "$top_srcdir/t/lib.sh"

DIFF="$top_builddir/t/dkim_verify_diff"
HERE="$top_srcdir/t/integration/dkim-verify-native"
COUNT=${DKIM_VERIFY_DIFF_COUNT:-100}
SEED=${DKIM_VERIFY_DIFF_SEED:-20261128}
RFCDATA=/usr/lib/python3/dist-packages/dkim/tests/data
[ -x "$DIFF" ] || skip_all "t/dkim_verify_diff not built"
mk_require /usr/bin/python3 perl openssl base64
/usr/bin/python3 -c 'import dkim, nacl, cryptography' 2>/dev/null ||
	skip_all "python3-dkim / python3-nacl / python3-cryptography missing"
perl -MMail::DKIM::Verifier -MNet::DNS::RR -e1 2>/dev/null || skip_all "libmail-dkim-perl missing"

# run_diff OUT ARGS...: t/dkim_verify_diff, stderr kept for sanitizer reports
run_diff() {
	local out=$1; shift
	"$DIFF" "$@" >"$out" 2>>"$T/diff.err"
}

# ---- 1. RFC 8463 appendix A --------------------------------------------------
if [ -r "$RFCDATA/rfc6376.signed.msg" ] && [ -r "$RFCDATA/test.txt" ]; then
	printf 'brisbane._domainkey.football.example.com\t%s\ntest._domainkey.football.example.com\t%s\n' \
		"v=DKIM1; k=ed25519; p=11qYAYKxCrfVS/7TyWQHOg7hcvPapiMlrwIaaPcHURo=" \
		"$(cat "$RFCDATA/test.txt")" >"$T/rfc.keys"
	sed 's/$/\r/' "$RFCDATA/rfc6376.signed.msg" >"$T/rfc-crlf.eml"
	cp "$RFCDATA/rfc6376.signed.msg" "$T/rfc-lf.eml"
	sed 's/lost the game/won the game/' "$T/rfc-crlf.eml" >"$T/rfc-body.eml"
	want="0 pass d=football.example.com s=brisbane |1 pass d=football.example.com s=test |"
	for f in crlf lf; do
		for c in 0 3; do
			run_diff "$T/rfc.out" -c $c "$T/rfc.keys" "$T/rfc-$f.eml"
			is "$(tr '\n' '|' <"$T/rfc.out")" "$want" \
				"RFC 8463 A: Ed25519 and RSA signatures pass ($f line ends, chunks 1..$c)"
		done
	done
	/usr/bin/python3 "$HERE/verify_dkimpy.py" "$T/rfc.keys" "$T/rfc-crlf.eml" "$T/rfc-body.eml" \
		>"$T/rfc.py" 2>&1
	is "$(awk '{printf "%s ", $5}' "$T/rfc.py")" "pass pass fail fail " \
		"RFC 8463 A: dkimpy agrees (pass, pass; body changed: fail, fail)"
	run_diff "$T/rfc.out" "$T/rfc.keys" "$T/rfc-body.eml"
	is "$(awk '{printf "%s %s ", $2, $5}' "$T/rfc.out")" "fail body fail body " \
		"RFC 8463 A, body changed: both fail on the body hash"
else
	ok 0 "# SKIP RFC 8463 example data not installed (python3-dkim tests/data)"
fi

# ---- 2. random corpus ----------------------------------------------------------
C=$T/corpus
mkdir -p "$C"
diag "corpus: $COUNT base messages, seed $SEED (DKIM_VERIFY_DIFF_SEED to repeat)"
/usr/bin/python3 "$HERE/gen_corpus.py" "$C" "$COUNT" "$SEED" 2>"$T/gen.err"
ok $? "gen_corpus.py wrote the corpus" || head -20 "$T/gen.err"
awk '{print "'"$C"'/" $1}' "$C/manifest" >"$T/files"
mapfile -t files <"$T/files"
nfiles=${#files[@]}
[ "$nfiles" -ge 200 ]
ok $? "corpus has $nfiles messages (>= 200)"

/usr/bin/python3 "$HERE/verify_dkimpy.py" "$C/keys" "${files[@]}" >"$T/py.txt" 2>"$T/py.err"
ok $? "dkimpy ran" || head -20 "$T/py.err"
perl "$HERE/verify_maildkim.pl" "$C/keys" "${files[@]}" >"$T/md.txt" 2>"$T/md.err"
ok $? "Mail::DKIM ran" || head -20 "$T/md.err"
run_diff "$T/ours.txt" "$C/keys" "${files[@]}"
ok $? "dkim_verify_diff ran on the corpus"
run_diff "$T/ours7.txt" -c 7 "$C/keys" "${files[@]}"
cmp -s "$T/ours.txt" "$T/ours7.txt"
ok $? "same results with the body fed in 1..7-byte chunks" ||
	diff "$T/ours.txt" "$T/ours7.txt" | head -10

nsig=$(awk '{s += $3} END {print s + 0}' "$C/manifest")
is "$(grep -c '' "$T/ours.txt")" "$nsig" "ours: one result per signature ($nsig)"
is "$(grep -c '' "$T/py.txt")" "$nsig" "dkimpy: one result per signature"
is "$(grep -c '' "$T/md.txt")" "$nsig" "Mail::DKIM: one result per signature"

# Per message: "FILE SIGS ours=... ref=... [disputed]" lines.  The reference
# of a signature is dkimpy's class (pass, fail, error); Mail::DKIM's must be
# the same for RSA signatures, else the signature is disputed and ours must
# equal one of the two.  Ours: pass, fail, anything else is "error".
awk '
FILENAME ~ /py.txt$/ { k = $1 " " $2; py[k] = $5; next }
FILENAME ~ /md.txt$/ { k = $1 " " $2; md[k] = $5; next }
{
	k = $1 " " $2; o = $3
	if (o != "pass" && o != "fail") o = "error"
	ref = py[k]; dis = 0
	if (md[k] != "skip" && md[k] != ref) dis = 1
	good = dis ? (o == ref || o == md[k]) : (o == ref)
	line[$1] = line[$1] " #" $2 ":" $3 "/" ref (dis ? "|md:" md[k] : "")
	if (!good) bad[$1] = 1
	if (dis) ndis++
	cls[ref]++
	if (!(($1) in seen)) { seen[$1] = 1; order[++n] = $1 }
}
END {
	for (i = 1; i <= n; i++) { f = order[i]; print (f in bad ? 1 : 0), f, line[f] }
	printf "SUM %d %d %d %d\n", cls["pass"], cls["fail"], cls["error"], ndis
}' "$T/py.txt" "$T/md.txt" "$T/ours.txt" >"$T/cmp.txt"
while read -r r f rest; do
	ok "$r" "$(basename "$f"): ours/reference$rest"
done < <(grep -v '^SUM ' "$T/cmp.txt")
read -r _ cpass cfail cerr cdis < <(grep '^SUM ' "$T/cmp.txt")
grep '|md:' "$T/cmp.txt" | cut -d' ' -f2- | sed 's/^/# disputed: /' | head -20
diag "references: $cpass pass, $cfail fail, $cerr error, $cdis disputed (dkimpy vs Mail::DKIM)"
[ "$cpass" -ge $((nsig / 4)) ] && [ "$cfail" -ge $((nsig / 4)) ]
ok $? "corpus mixes verdicts: $cpass pass and $cfail fail of $nsig (each >= 1/4)"
for sel in r1024 r2048 ed s2 e2; do
	np=$(awk -v s="s=$sel" '$5 == s && $3 == "pass"' "$T/ours.txt" | wc -l)
	nf=$(awk -v s="s=$sel" '$5 == s && $3 == "fail"' "$T/ours.txt" | wc -l)
	[ "$np" -gt 0 ] && [ "$nf" -gt 0 ]
	ok $? "key $sel: both verdicts exercised ($np pass, $nf fail)"
done

# ---- 2b. a second signer: Mail::DKIM ------------------------------------------------
# The first 40 base messages and two of odd form (white space before the
# colon, which dkimpy cannot parse; LF line ends) signed by
# Mail::DKIM::Signer, half with a tampered twin: ours must say what
# Mail::DKIM's verifier says, signature by signature.
M=$T/mdkim
mkdir -p "$M"
openssl genpkey -algorithm RSA -pkeyopt rsa_keygen_bits:1024 -out "$M/key.pem" 2>/dev/null
printf 'mdkim._domainkey.m.example\tv=DKIM1; k=rsa; p=%s\n' \
	"$(openssl pkey -in "$M/key.pem" -pubout -outform DER | base64 -w0)" >"$M/keys"
printf 'From : Joe <joe@m.example>\r\nTo:x@y\r\nSubject\t:  white space  before colon \r\nsubject: two\r\n\r\nbody\r\n' \
	>"$M/wsp.msg"
printf 'From: a@m.example\nSubject: LF only\n\tfolded\n\nline  \n\n\n' >"$M/lf.msg"
mapfile -t ok40 < <(grep -- '-ok\.eml$' "$T/files" | head -40)
perl "$HERE/sign_maildkim.pl" "$M/key.pem" "$M" "${ok40[@]}" \
	"$M/wsp.msg" "$M/lf.msg" >"$T/msigned" 2>"$T/msign.err"
ok $? "Mail::DKIM signed $(grep -c '' "$T/msigned") messages" || head -10 "$T/msign.err"
cut -d' ' -f1 "$T/msigned" >"$T/mfiles"
mapfile -t mfiles <"$T/mfiles"
perl "$HERE/verify_maildkim.pl" "$M/keys" "${mfiles[@]}" >"$T/mmd.txt" 2>>"$T/msign.err"
run_diff "$T/mours.txt" "$M/keys" "${mfiles[@]}"
is "$(grep -c '' "$T/mours.txt")" "$(grep -c '' "$T/mmd.txt")" "ours and Mail::DKIM: as many results"
paste -d' ' <(awk '{print $1, $3}' "$T/mours.txt") <(awk '{print $1, $5}' "$T/mmd.txt") |
	awk '{ o = $2; if (o != "pass" && o != "fail") o = "error"
	       if ($1 != $3 || o != $4) { bad++; print "# " $0 } else n[o]++ }
	     END { printf "SUM %d %d %d\n", n["pass"], n["fail"], bad }' >"$T/mcmp.txt"
grep '^# ' "$T/mcmp.txt" | head -10
read -r _ mpass mfail mbad < <(grep '^SUM ' "$T/mcmp.txt")
is "$mbad" 0 "Mail::DKIM-signed: ours agrees with Mail::DKIM on every signature ($mpass pass, $mfail fail)"
[ "$mpass" -gt 0 ] && [ "$mfail" -gt 0 ]
ok $? "Mail::DKIM-signed: both verdicts exercised"
for f in wsp lf; do
	awk -v f="$M/$f.msg" '$2 == f && $1 !~ /-t\.eml$/ {print $1}' "$T/msigned" >"$T/mone"
	n=$(grep -c '' "$T/mone")
	is "$(grep -F -f "$T/mone" "$T/mours.txt" | awk '$3 == "pass"' | wc -l)" "$n" \
		"Mail::DKIM-signed $f.msg: all $n c= forms pass"
done

# ---- 2c. lib/dkim_sign's output -----------------------------------------------------
# t/dkim-sign-diff signs random messages (bare CR, no final CRLF, VT/FF in
# header values, 8-bit, long lines) with lib/dkim_sign for both algorithms
# and all four c= pairs; dkim-sign-native/run.sh has dkimpy verify every one
# of them.  Ours must pass them all too.
SIGNDIFF="$top_builddir/t/dkim-sign-diff"
if [ -x "$SIGNDIFF" ]; then
	mkdir -p "$T/signed"
	LSAN_OPTIONS="suppressions=$top_srcdir/t/integration/dkim-common/lsan.supp:fast_unwind_on_malloc=0" \
		"$SIGNDIFF" "$T/signed" 25 "$SEED" >/dev/null 2>&1
	awk '{print $1 "._domainkey.example.com\t" substr($0, length($1) + 2)}' "$T/signed/keys" \
		>"$T/signed.keys"
	mapfile -t sfiles < <(awk -v d="$T/signed" '{print d "/" $1}' "$T/signed/manifest")
	run_diff "$T/signed.out" "$T/signed.keys" "${sfiles[@]}"
	n=$(grep -c '' "$T/signed.out")
	is "$(awk '$3 == "pass"' "$T/signed.out" | wc -l)/$n" "${#sfiles[@]}/${#sfiles[@]}" \
		"lib/dkim_sign output: all ${#sfiles[@]} signatures pass (quirky inputs included)" ||
		grep -v ' pass ' "$T/signed.out" | head -5
else
	ok 0 "# SKIP t/dkim-sign-diff not built"
fi

# ---- 3. crafted cases ------------------------------------------------------------
K=$T/cases
mkdir -p "$K"
/usr/bin/python3 "$HERE/cases.py" "$K" 2>"$T/cases.err"
ok $? "cases.py wrote the cases" || head -20 "$T/cases.err"
mapfile -t cfiles < <(cut -d' ' -f1 "$K/expect" | sort -u | sed "s|^|$K/|")
/usr/bin/python3 "$HERE/verify_dkimpy.py" "$K/keys" "${cfiles[@]}" >"$T/kpy.txt" 2>"$T/kpy.err"
perl "$HERE/verify_maildkim.pl" "$K/keys" "${cfiles[@]}" >"$T/kmd.txt" 2>"$T/kmd.err"
while read -r file idx want wpy wmd opts; do
	[ "$opts" = - ] && opts=
	if [ "$idx" = 0 ]; then
		# shellcheck disable=SC2086
		run_diff "$T/case.out" $opts "$K/keys" "$K/$file"
	fi
	got=$(awk -v i="$idx" '$1 == i {print $2; exit}' "$T/case.out")
	why=$(awk -v i="$idx" '$1 == i {$1 = $2 = $3 = $4 = ""; sub(/^ +/, ""); print; exit}' \
		"$T/case.out")
	is "$got" "$want" "${file%.eml} #$idx: $want${why:+ ($why)}"
	for ref in py md; do
		w=$wpy name=dkimpy
		[ $ref = md ] && w=$wmd name=Mail::DKIM
		[ "$w" = - ] && continue
		g=$(awk -v f="$K/$file" -v i="$idx" '$1 == f && $2 == i {print $5; exit}' "$T/k$ref.txt")
		is "$g" "$w" "${file%.eml} #$idx: $name says $w"
	done
done <"$K/expect"

# RFC 8616 cases (cases.py, "eai-*" and the UTF-8 "perm-*"): each refused
# signature's reason names the tag and the fault.
nreasons=0
while read -r file idx text; do
	run_diff "$T/case.out" "$K/keys" "$K/$file"
	why=$(awk -v i="$idx" '$1 == i {$1 = $2 = $3 = $4 = ""; sub(/^ +/, ""); print; exit}' \
		"$T/case.out")
	printf '%s' "$why" | grep -qF -- "$text"
	ok $? "${file%.eml} #$idx: the reason says \"$text\"" || echo "#   got \"$why\""
	nreasons=$((nreasons + 1))
done <"$K/reasons"
[ "$nreasons" -ge 11 ]
ok $? "RFC 8616: $nreasons reasons checked (>= 11)"

# RFC 8616 and lib/dkim_sign: i= with a UTF-8 local part (and one with a
# U-label domain), a raw UTF-8 From and Subject, signed by lib/dkim_sign
# (dkim_verify_diff -S): dkimpy, Mail::DKIM and ours all pass it; a
# malformed UTF-8 i= is refused by the signer.
E=$T/eai-sign
mkdir -p "$E"
openssl genpkey -algorithm RSA -pkeyopt rsa_keygen_bits:1024 -out "$E/key.pem" 2>/dev/null
printf 'eai._domainkey.a.example\tv=DKIM1; k=rsa; p=%s\n' \
	"$(openssl pkey -in "$E/key.pem" -pubout -outform DER | base64 -w0)" >"$E/keys"
printf 'From: J\303\266rg M\303\274ller <j\303\266rg@a.example>\r\nTo: x@y.example\r\n' >"$E/msg.eml"
printf 'Subject: Gr\303\274\303\237e \342\200\224 \346\227\245\346\234\254\r\n\tzweite Zeile\r\n' >>"$E/msg.eml"
printf '\r\nHallo.\r\n' >>"$E/msg.eml"
n=0
for id in "$(printf 'j\303\266rg@a.example')" "$(printf 'j\303\266rg@p\303\266st.a.example')" \
	"$(printf '\346\227\245\346\234\254@a.example')"; do
	n=$((n + 1))
	"$DIFF" -S "$E/key.pem" -d a.example -s eai -i "$id" "$E/msg.eml" >"$E/s$n.eml" 2>>"$T/diff.err"
	ok $? "lib/dkim_sign signs with i=$id"
	grep -qF "i=$id;" "$E/s$n.eml"
	ok $? "  ... and writes i=$id as is"
done
/usr/bin/python3 "$HERE/verify_dkimpy.py" "$E/keys" "$E"/s?.eml >"$E/py.txt" 2>&1
perl "$HERE/verify_maildkim.pl" "$E/keys" "$E"/s?.eml >"$E/md.txt" 2>&1
run_diff "$E/ours.txt" "$E/keys" "$E"/s?.eml
is "$(awk '{printf "%s ", $5}' "$E/py.txt")" "pass pass pass " \
	"UTF-8 i= from lib/dkim_sign: dkimpy passes all" || cat "$E/py.txt"
is "$(awk '{printf "%s ", $5}' "$E/md.txt")" "pass pass pass " \
	"UTF-8 i= from lib/dkim_sign: Mail::DKIM passes all" || cat "$E/md.txt"
is "$(awk '{printf "%s ", $3}' "$E/ours.txt")" "pass pass pass " \
	"UTF-8 i= from lib/dkim_sign: ours passes all" || cat "$E/ours.txt"
for bad in 'j\300\266rg@a.example' 'j\303@a.example' 'j\302\205rg@a.example'; do
	"$DIFF" -S "$E/key.pem" -d a.example -s eai -i "$(printf "$bad")" "$E/msg.eml" >/dev/null 2>"$E/err"
	rc=$?
	is "$rc" 1 "lib/dkim_sign refuses i=$bad (malformed UTF-8 / C1 control)"
	grep -q 'invalid i=' "$E/err"
	ok $? "  ... saying why: $(head -1 "$E/err")"
done

# many signatures: at most MK_DKIM_VERIFY_SIGS_MAX (32) results
{
	for _ in $(seq 40); do sed -n '/^DKIM-Signature/,/^[^ \t]/p' "$K/pass-rsa1024.eml" | sed '$d'; done
	sed '/^DKIM-Signature/,/^[^ \t]/{/^[ \t]/d;/^DKIM-Signature/d}' "$K/pass-rsa1024.eml"
} >"$T/many.eml"
run_diff "$T/many.out" "$K/keys" "$T/many.eml"
is "$(awk '$2 == "pass"' "$T/many.out" | wc -l)/$(grep -c '' "$T/many.out")" "32/32" \
	"40 copies of a good signature: 32 results (MK_DKIM_VERIFY_SIGS_MAX), all pass"

# a header over MK_DKIM_VERIFY_HDR_BYTES_MAX: permerror for every signature
for i in $(seq 3000); do printf 'X-Filler-%d: %0100d\r\n' "$i" 0; done >"$T/filler"
awk -v f="$T/filler" '/^From:/ && !done { while ((getline l < f) > 0) print l; done = 1 } 1' \
	"$K/two-sigs-one-bad.eml" >"$T/big.eml"
run_diff "$T/big.out" "$K/keys" "$T/big.eml"
is "$(awk '{printf "%s ", $2}' "$T/big.out")" "permerror permerror " \
	"300 KB header: every signature permerror" || cat "$T/big.out"
like "$(head -1 "$T/big.out")" "header too large" "... with reason \"header too large\""

# no DKIM-Signature: no result
sed '/^DKIM-Signature/,/^[^ \t]/{/^[ \t]/d;/^DKIM-Signature/d}' "$K/pass-rsa1024.eml" >"$T/nosig.eml"
run_diff "$T/nosig.out" "$K/keys" "$T/nosig.eml"
is "$(grep -c '' "$T/nosig.out")" 0 "a message without DKIM-Signature: no result"

grep -q 'Sanitizer' "$T/diff.err"
ok $((! $?)) "no sanitizer report from dkim_verify_diff" || head -40 "$T/diff.err"

done_testing
