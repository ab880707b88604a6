#!/bin/sh
# build-deps.sh: installs Debian packages, only those that are missing. With
# no arguments, what building and testing st2-pagerduty needs (used by
# `make run`, `make test` and .ci/run); with arguments, those packages (the
# benchmark passes its peers: nginx, webhook, gunicorn...). Run as root (CI
# is), or as a user with sudo.
#
# Installing a package such as nginx would normally start its system-wide
# service; nothing here wants that, so while installing, a policy-rc.d that
# forbids service starts is put in place when the machine has none.
set -eu

PACKAGES="build-essential cmake pkg-config
libevent-dev libcurl4-openssl-dev libjansson-dev libyaml-dev libsodium-dev libsqlite3-dev libyajl-dev libssl-dev
libhiredis-dev redis-server
libcmocka-dev python3 curl ca-certificates clang-format
rpm lintian debootstrap systemd"
[ $# -gt 0 ] && PACKAGES="$*"

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

POLICY=/usr/sbin/policy-rc.d
if [ ! -e "$POLICY" ]; then
	trap '$SUDO rm -f "$POLICY"' EXIT INT TERM
	printf '#!/bin/sh\nexit 101\n' | $SUDO tee "$POLICY" >/dev/null
	$SUDO chmod 755 "$POLICY"
fi

export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -q
# shellcheck disable=SC2086
$SUDO apt-get install -y -q --no-install-recommends $missing
