#!/bin/sh
# deps.sh: installs the Debian packages the benchmark needs (wrk and the peer
# systems it compares against), and only those that are missing. Run as root,
# or as a user with sudo. Used by `make bench` through bench/run.sh.
#
# Installing nginx or webhook would normally start their system-wide services;
# the bench runs its own instances on free loopback ports instead, so while
# installing, a policy-rc.d that forbids service starts is put in place when
# the machine has none (containers usually already have one).
set -eu

PACKAGES="wrk nginx webhook python3 python3-flask gunicorn curl"

missing=""
for p in $PACKAGES; do
	if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed"; then
		missing="$missing $p"
	fi
done
[ -z "$missing" ] && exit 0

echo "bench-deps: installing$missing"
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
