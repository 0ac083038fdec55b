#!/usr/bin/env bash
# The manual pages (man/): each page formats without a warning (groff -man
# -ww -z), each daemon's conf(5) page documents every key its `-n` prints
# (so the pages cannot fall behind the code) and no key the daemon does not
# know, every key the page lists as accepted-but-ignored loads, mailaka(1)
# covers every command of `mailaka help`, and `make install-man` installs
# all nine pages.
. "$top_srcdir/t/lib.sh"
mk_require groff
B=$top_builddir
M=$top_srcdir/man
pages="mailaka.1 mailaka-dkim.8 mailaka-dmarc.8 mailaka-spf.8 mailaka-forward.8
	mailaka-dkim.conf.5 mailaka-dmarc.conf.5 mailaka-spf.conf.5 mailaka-forward.conf.5"

for p in $pages; do
	w=$(LC_ALL=C.UTF-8 groff -man -ww -z "$M/$p" 2>&1)
	ok $? "$p: groff -man -ww -z exits 0" && is "$w" "" "$p: no warnings"
done

# minimal valid configurations
openssl genpkey -algorithm RSA -pkeyopt rsa_keygen_bits:1024 -out "$T/k.key" 2>/dev/null
chmod 600 "$T/k.key"
head -c 24 /dev/urandom | base64 >"$T/srs.secret"
chmod 600 "$T/srs.secret"
printf '%s\n' "Socket local:$T/dkim.sock" "Domain example.com" "Selector s" "KeyFile $T/k.key" >"$T/dkim.conf"
printf '%s\n' "Socket local:$T/dmarc.sock" >"$T/dmarc.conf"
printf '%s\n' "Socket unix:$T/spf.sock" >"$T/spf.conf"
printf '%s\n' "Socket unix:$T/fwd.sock" "SRSDomain example.com" "SRSSecrets $T/srs.secret" \
	"LocalDomains example.com" >"$T/forward.conf"

# items(PAGE): the keys a page documents as items (".BI Key ...")
items() { sed -n 's/^\.BI \([A-Za-z][A-Za-z0-9_-]*\) .*/\1/p' "$1" | sort -u; }
# ignored(PAGE): the keys of its IGNORED KEYS section
ignored() {
	awk '/^\.SH/ { on = ($0 ~ /IGNORED KEYS/); next } on && !/^\./' "$1" |
		tr ',.' '\n\n' | sed 's/^[ \t]*//; s/[ \t]*$//' | grep -E '^[A-Za-z][A-Za-z0-9_-]*$' |
		grep -v -E '^(These|no|effect|and|have)$' | sort -u
}
for d in dkim:milter-dkim/mailaka-dkim dmarc:milter-dmarc/mailaka-dmarc \
    spf:policy-spf/mailaka-spf forward:forwarder/mailaka-forward; do
	n=${d%%:*} bin=$B/${d#*:} page=$M/mailaka-${d%%:*}.conf.5
	out=$("$bin" -n -c "$T/$n.conf" 2>"$T/$n.err")
	ok $? "mailaka-$n -n on a minimal config exits 0" || sed 's/^/#   /' "$T/$n.err"
	keys=$(printf '%s\n' "$out" | sed -n 's/^# \([A-Za-z][A-Za-z0-9_-]*\) (unset)$/\1/p; /^#/d; s/^\([A-Za-z][A-Za-z0-9_-]*\)\( .*\)\{0,1\}$/\1/p' | sort -u)
	[ "$(printf '%s\n' "$keys" | grep -c .)" -ge 10 ]
	ok $? "mailaka-$n -n prints its keys ($(printf '%s\n' "$keys" | grep -c .))"
	doc=$( { items "$page"; ignored "$page"; } | sort -u)
	missing=$(comm -23 <(printf '%s\n' "$keys" | tr A-Z a-z | sort -u) <(printf '%s\n' "$doc" | tr A-Z a-z | sort -u))
	is "$missing" "" "mailaka-$n.conf(5) documents every key of mailaka-$n -n"
	extra=$(comm -13 <(printf '%s\n' "$keys" | tr A-Z a-z | sort -u) <(items "$page" | tr A-Z a-z | sort -u))
	is "$extra" "" "mailaka-$n.conf(5) documents no key mailaka-$n does not print"
	ign=$(ignored "$page")
	if [ "$n" = forward ]; then
		is "$ign" "" "mailaka-forward.conf(5): no ignored keys (it has no peer config to load)"
	else
		[ -n "$ign" ]
		ok $? "mailaka-$n.conf(5) lists the accepted-but-ignored keys ($(printf '%s\n' "$ign" | grep -c .))"
	fi
	# each key the page calls ignored is known to the daemon (no "unknown
	# key" warning, exit 0); an unknown key does draw that warning
	cp "$T/$n.conf" "$T/$n-ign.conf"
	for k in $ign; do printf '%s 1\n' "$k" >>"$T/$n-ign.conf"; done
	"$bin" -n -c "$T/$n-ign.conf" >/dev/null 2>"$T/$n-ign.err"
	ok $? "mailaka-$n loads a config with every key its page calls ignored" ||
		sed 's/^/#   /' "$T/$n-ign.err" | tail -5
	is "$(grep -i 'unknown key' "$T/$n-ign.err")" "" "mailaka-$n knows every key its page calls ignored"
	cp "$T/$n.conf" "$T/$n-bad.conf"
	echo "NoSuchKeyAnywhere 1" >>"$T/$n-bad.conf"
	"$bin" -n -c "$T/$n-bad.conf" >/dev/null 2>"$T/$n-bad.err"
	like "$(cat "$T/$n-bad.err")" 'unknown key "NoSuchKeyAnywhere"' \
		"mailaka-$n warns about an unknown key (so the check above means something)"
done

# mailaka(1): every command of `mailaka help`
cmds=$("$B/cli/mailaka" help 2>&1 | sed -n '/^commands:/,/^$/s/^  \([a-z][a-z-]*\) .*/\1/p')
[ "$(printf '%s\n' "$cmds" | grep -c .)" -ge 6 ]
ok $? "mailaka help lists its commands ($(echo $cmds))"
missing=""
for c in $cmds; do
	grep -q "^\.B $(printf '%s' "$c" | sed 's/-/\\\\-/g')\( \|$\)" "$M/mailaka.1" || missing="$missing $c"
done
is "$missing" "" "mailaka(1) documents every command"

# make install: the nine pages into man1/5/8; the systemd units and the
# sysusers.d entry with this build's paths (ExecStart names the installed
# daemon, -c its default configuration file)
if [ -f "$B/Makefile" ] && command -v make >/dev/null; then
	env -u MAKEFLAGS -u MFLAGS -u MAKELEVEL make -s -C "$B" install DESTDIR="$T/inst" >"$T/inst.log" 2>&1
	ok $? "make install DESTDIR=..." || sed 's/^/#   /' "$T/inst.log" | tail -5
	got=$(cd "$T/inst" 2>/dev/null && find . -path '*/man/man[158]/*' -type f | sed 's|.*/man/man[158]/||' | sort | tr '\n' ' ')
	is "$got" "$(printf '%s\n' $pages | sort | tr '\n' ' ')" "the nine pages are installed"
	confdir=$(sed -n 's/^#define MK_SYSCONFDIR "\(.*\)"$/\1/p' "$B/config.h")
	for n in dkim dmarc spf forward; do
		u=$(find "$T/inst" -path "*/lib/systemd/system/mailaka-$n.service" | head -1)
		ok "$([ -n "$u" ]; echo $?)" "mailaka-$n.service installed under lib/systemd/system" || continue
		exe=$(sed -n 's/^ExecStart=\([^ ]*\) .*/\1/p' "$u")
		[ -x "$T/inst$exe" ] && [ "${exe##*/}" = "mailaka-$n" ]
		ok $? "mailaka-$n.service: ExecStart=$exe is the installed daemon"
		like "$(grep '^ExecStart=' "$u")" " -c $confdir/$n\.conf\$" "mailaka-$n.service: -c $confdir/$n.conf"
	done
	s=$(find "$T/inst" -path '*/lib/sysusers.d/mailaka.conf' | head -1)
	like "$(cat "${s:-/dev/null}")" '^u mailaka ' "sysusers.d/mailaka.conf creates the mailaka user"
else
	skip_all "no Makefile in $B"
fi
done_testing
