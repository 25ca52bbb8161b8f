#!/bin/sh
# Set up a logdive build from a fresh clone: install missing build
# dependencies (apt-get when root; otherwise print the command to run),
# then autoreconf, configure and make. Leaves ./logdive at the top of the
# tree. Idempotent: a second run only rebuilds what changed.
# Options: --configure-args "..." passed to ./configure.
set -e
cd "$(dirname "$0")"
CONFIGURE_ARGS=
[ "${1:-}" = "--configure-args" ] && CONFIGURE_ARGS=$2

DEB_PKGS="build-essential autoconf automake pkg-config libncurses-dev libcurl4-openssl-dev libjansson-dev libpcre2-dev libsqlite3-dev zlib1g-dev python3 tmux"
RPM_PKGS="gcc make autoconf automake pkgconf-pkg-config ncurses-devel libcurl-devel jansson-devel pcre2-devel sqlite-devel zlib-devel python3 tmux"
BREW_PKGS="autoconf automake pkg-config ncurses curl jansson pcre2 sqlite zlib python3 tmux"

missing() {
	for m in ncursesw libcurl jansson libpcre2-8 sqlite3 zlib; do
		pkg-config --exists "$m" 2>/dev/null || { echo "$m"; return 0; }
	done
	for c in autoreconf cc make python3; do
		command -v "$c" >/dev/null 2>&1 || { echo "$c"; return 0; }
	done
	command -v pkg-config >/dev/null 2>&1 || echo pkg-config
	return 0
}

need=$(missing)
if [ -n "$need" ]; then
	echo "bootstrap: missing $need; installing build dependencies" >&2
	if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
		export DEBIAN_FRONTEND=noninteractive
		apt-get update -q
		apt-get install -y -q --no-install-recommends $DEB_PKGS
	else
		echo "bootstrap: run one of these, then ./bootstrap.sh again:" >&2
		echo "  sudo apt-get install -y $DEB_PKGS" >&2
		echo "  sudo dnf install -y $RPM_PKGS" >&2
		echo "  brew install $BREW_PKGS" >&2
		exit 1
	fi
fi

if [ ! -x configure ] || [ configure.ac -nt configure ] || [ Makefile.am -nt Makefile.in ]; then
	autoreconf -fi
fi
if [ ! -f Makefile ] || [ configure -nt config.status ]; then
	# shellcheck disable=SC2086
	./configure $CONFIGURE_ARGS
fi
make -j"$(getconf _NPROCESSORS_ONLN 2>/dev/null || echo 2)"
