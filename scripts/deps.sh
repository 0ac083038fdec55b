#!/usr/bin/env bash
# scripts/deps.sh: install what mailaka needs to build, test and run its
# demo on Debian 12 (as root). Installs only what is missing, so a second
# run costs nothing.
set -euo pipefail

BUILD_DEPS="build-essential autoconf automake libtool pkg-config
 libmilter-dev libopendkim-dev libspf2-dev libopendmarc-dev
 libevent-dev libssl-dev libunbound-dev libsqlite3-dev zlib1g-dev publicsuffix"
# Test peers and tools: a real DNS server, clang/libFuzzer, independent verifiers.
TEST_DEPS="unbound python3 clang libclang-rt-14-dev ca-certificates openssl
 swaks python3-dkim python3-nacl libmail-dkim-perl python3-spf libxml2-utils sqlite3
 postfix miltertest sasl2-bin libsasl2-modules libsasl2-modules-db
 postsrsd python3-dnspython chasquid python3-authheaders groff-base"

missing=""
for p in $BUILD_DEPS $TEST_DEPS; do
	dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" ||
		missing="$missing $p"
done
[ -z "$missing" ] && exit 0

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
