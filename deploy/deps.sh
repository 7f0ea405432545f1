#!/bin/sh
# Installs the Debian 12 packages kairan needs to build, test and run, if any
# are missing: apt-get as root, sudo otherwise. Nothing comes from anywhere
# but Debian's archive.
# (systemd: systemd-analyze, with which the tests verify the units.)
# (chromium, chromium-driver, python3-selenium, fonts-noto-cjk: the console
# browser tests, scenario 99, drive a real headless browser; the CJK fonts
# make the Japanese render.)
set -eu

PKGS="build-essential pkg-config openssl libssl-dev
libwebsockets-dev libwebsockets-evlib-ev libev-dev
libprotobuf-c-dev protobuf-c-compiler protobuf-compiler
libsqlite3-dev sqlite3 libinih-dev libjansson-dev libcmocka-dev
libargon2-dev
clang libclang-rt-14-dev
python3 python3-pytest python3-websockets python3-protobuf python3-cryptography
libcurl4-openssl-dev python3-aiosmtpd
chromium chromium-driver python3-selenium fonts-noto-cjk
procps systemd"

missing=""
for p in $PKGS; do
	st=$(dpkg-query -W -f='${Status}' "$p" 2>/dev/null || true)
	case "$st" in
	*"install ok installed"*) ;;
	*) missing="$missing $p" ;;
	esac
done
[ -z "$missing" ] && exit 0

echo "deps: installing:$missing"
if [ "$(id -u)" = 0 ]; then
	SUDO=""
elif command -v sudo >/dev/null 2>&1; then
	SUDO="sudo"
else
	echo "deps: missing Debian packages:$missing" >&2
	echo "deps: run as root, or install sudo, or install them yourself:" >&2
	echo "      apt-get install$missing" >&2
	exit 1
fi
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -q
# shellcheck disable=SC2086
$SUDO apt-get install -y -q --no-install-recommends $missing
