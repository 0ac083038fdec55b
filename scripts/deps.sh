#!/usr/bin/env bash
# scripts/deps.sh: install what mailaka needs to build, test and run its
# demo on Debian 12 (as root). Installs only what is missing, so a second
# run costs nothing.
set -euo pipefail

BUILD_DEPS="build-essential autoconf automake libtool pkg-config
 libmilter-dev libopendkim-dev libspf2-dev libopendmarc-dev
 libevent-dev libssl-dev libunbound-dev libsqlite3-dev zlib1g-dev publicsuffix libidn2-dev"
# Test peers and tools: a real DNS server, clang/libFuzzer, independent verifiers.
TEST_DEPS="unbound python3 clang libclang-rt-14-dev ca-certificates openssl
 swaks python3-dkim python3-nacl libmail-dkim-perl python3-spf libxml2-utils sqlite3
 postfix miltertest sasl2-bin libsasl2-modules libsasl2-modules-db
 postsrsd python3-dnspython chasquid python3-authheaders groff-base python3-cryptography"

missing=""
for p in $BUILD_DEPS $TEST_DEPS; do
	dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" ||
		missing="$missing $p"
done
mk_deps_apt() {
	if [ "$(id -u)" -ne 0 ]; then
		echo "deps.sh: missing packages:$missing" >&2
		echo "deps.sh: run as root (or: sudo apt-get install$missing)" >&2
		exit 1
	fi
	export DEBIAN_FRONTEND=noninteractive
	# Postfix is a test peer: install it without a system configuration (the
	# tests run their own instances), so it neither asks nor starts on :25.
	echo "postfix postfix/main_mailer_type select No configuration" | debconf-set-selections
	echo "deps.sh: installing:$missing" >&2
	apt-get update -q >/dev/null
	# shellcheck disable=SC2086
	apt-get install -y -q --no-install-recommends $missing >/dev/null
}
[ -z "$missing" ] || mk_deps_apt

# ---- Sendmail as a test peer (t/lib/sendmail.sh) ---------------------------
# Debian's sendmail-bin Conflicts with postfix (both are the MTA), and the
# tests need postfix installed: so Sendmail is NOT installed, its .debs are
# extracted into MK_SENDMAIL_PREFIX and run from there (milter host for the
# t/integration/*-sendmail tests).  Its runtime libraries and m4 (to build a
# sendmail.cf from the cf macros) are installed normally.  Idempotent: does
# nothing once the binary is there.
MK_SENDMAIL_PREFIX=${MK_SENDMAIL_PREFIX:-/opt/mailaka-peers/sendmail}
MK_SENDMAIL_LIBS="m4 libdb5.3 libldap-2.5-0 liblockfile1 libnsl2 libsasl2-2 libssl3 libwrap0"
mk_deps_sendmail() {
	local p need="" tmp d
	[ -x "$MK_SENDMAIL_PREFIX/usr/libexec/sendmail/sendmail" ] &&
		[ -f "$MK_SENDMAIL_PREFIX/usr/share/sendmail/cf/m4/cf.m4" ] && return 0
	for p in $MK_SENDMAIL_LIBS; do
		dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" ||
			need="$need $p"
	done
	export DEBIAN_FRONTEND=noninteractive
	if [ -n "$need" ]; then
		echo "deps.sh: installing (for sendmail):$need" >&2
		apt-get update -q >/dev/null
		# shellcheck disable=SC2086
		apt-get install -y -q --no-install-recommends $need >/dev/null
	fi
	tmp=$(mktemp -d)
	chmod 755 "$tmp"	# apt-get download writes as _apt
	echo "deps.sh: extracting sendmail into $MK_SENDMAIL_PREFIX" >&2
	(cd "$tmp" && apt-get download -q sendmail-bin sendmail-base sendmail-cf >/dev/null 2>&1) ||
		{ apt-get update -q >/dev/null &&
		  (cd "$tmp" && apt-get download -q sendmail-bin sendmail-base sendmail-cf >/dev/null); }
	rm -rf "$MK_SENDMAIL_PREFIX.new"
	mkdir -p "$MK_SENDMAIL_PREFIX.new"
	for d in "$tmp"/*.deb; do
		dpkg-deb -x "$d" "$MK_SENDMAIL_PREFIX.new"
	done
	rm -rf "$tmp" "$MK_SENDMAIL_PREFIX"
	mv "$MK_SENDMAIL_PREFIX.new" "$MK_SENDMAIL_PREFIX"
}
if [ "$(id -u)" -eq 0 ]; then
	mk_deps_sendmail
else
	[ -x "$MK_SENDMAIL_PREFIX/usr/libexec/sendmail/sendmail" ] ||
		echo "deps.sh: sendmail peer missing: run as root to extract it into $MK_SENDMAIL_PREFIX" >&2
fi
