#!/bin/sh
# build-deps.sh: installs the Debian packages needed to build and test
# st2-pagerduty, and only those that are missing. Run as root (CI is), or
# as a user with sudo. Used by `make run`, `make test` and .ci/run.
set -eu

PACKAGES="build-essential cmake pkg-config
libevent-dev libcurl4-openssl-dev libjansson-dev libyaml-dev libsodium-dev libsqlite3-dev libyajl-dev
libcmocka-dev python3 curl ca-certificates clang-format"

missing=""
for p in $PACKAGES; do
	if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed"; then
		missing="$missing $p"
	fi
done
[ -z "$missing" ] && exit 0

echo "build-deps: installing$missing"
SUDO=""
[ "$(id -u)" -eq 0 ] || SUDO="sudo"
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -q
# shellcheck disable=SC2086
$SUDO apt-get install -y -q --no-install-recommends $missing
