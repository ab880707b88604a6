#!/bin/sh
# install.sh: installs Stoplight Prism (pinned) for the conformance test, only
# when it is missing, and prints the path of the prism executable.
#
# Prism lands in $PD_PRISM_DIR, default <source>/build/prism, which git
# ignores (/build*/) and which every build directory shares. A lock makes the
# plain and the ASan test runs (ctest in parallel) install it once. Prism
# 5.14.2 is the newest 5.x that runs on Node 18/20 (5.15+ needs Node 24).
# When npm is missing and CI=true, nodejs and npm come from apt (Debian's
# nodejs 18.20 is new enough); elsewhere a missing npm is reported, not fixed.
#
# Usage: install.sh            -> prints /path/to/prism, exit 0
#        exit 1 with a one-line reason on stderr when it cannot be installed.
set -eu

PRISM_VERSION=5.14.2
here=$(cd "$(dirname "$0")" && pwd)
dir=${PD_PRISM_DIR:-$here/../../build/prism}
bin=$dir/node_modules/.bin/prism

have_prism() {
	[ -x "$bin" ] && [ -f "$dir/.installed-$PRISM_VERSION" ]
}

if have_prism; then
	echo "$bin"
	exit 0
fi

if ! command -v npm >/dev/null 2>&1; then
	if [ "${CI:-}" = "true" ]; then
		SUDO=""
		[ "$(id -u)" -eq 0 ] || SUDO="sudo -n"
		echo "prism/install.sh: npm missing: installing nodejs and npm from apt" >&2
		export DEBIAN_FRONTEND=noninteractive
		$SUDO apt-get update -q >&2
		$SUDO apt-get install -y -q --no-install-recommends nodejs npm >&2
	else
		echo "prism/install.sh: npm not found (install nodejs and npm)" >&2
		exit 1
	fi
fi

mkdir -p "$dir"
dir=$(cd "$dir" && pwd)
bin=$dir/node_modules/.bin/prism
(
	# fd 9 holds the lock until this subshell ends.
	if command -v flock >/dev/null 2>&1; then
		flock 9
	fi
	if ! have_prism; then
		echo "prism/install.sh: installing @stoplight/prism-cli@$PRISM_VERSION into $dir" >&2
		npm install --prefix "$dir" --no-save --no-package-lock --no-audit --no-fund \
			--loglevel=error "@stoplight/prism-cli@$PRISM_VERSION" >&2
		touch "$dir/.installed-$PRISM_VERSION"
	fi
) 9>"$dir/.lock"

if ! have_prism; then
	echo "prism/install.sh: npm finished but $bin is missing" >&2
	exit 1
fi
echo "$bin"
