#!/bin/sh
# Stands in for logdive in `make check-valgrind` (tests/lib/run-valgrind.sh sets
# LOGDIVE to this script): runs the real binary under valgrind memcheck,
# one log per process in $LOGDIVE_VG_LOGDIR (logdive.PID.log). A memcheck
# error or a definite/indirect leak exits 99 and is found in the log by
# tests/lib/run-valgrind.sh. Environment: LOGDIVE_VG_REAL (the real binary),
# LOGDIVE_VG_LOGDIR, srcdir.
# On a terminal (a suite's tmux dashboard) the real binary runs as is: the
# TUI is not memchecked here (too slow for the screen waits, and killed by
# tmux kill-server rather than quitting).
real=${LOGDIVE_VG_REAL:?LOGDIVE_VG_REAL: the real logdive binary}
if [ -t 0 ] && [ -t 1 ]; then
	exec "$real" "$@"
fi
logdir=${LOGDIVE_VG_LOGDIR:-.}
exec valgrind --tool=memcheck --leak-check=full \
    --show-leak-kinds=definite,indirect --errors-for-leak-kinds=definite,indirect \
    --error-exitcode=99 --track-fds=no --num-callers=30 \
    --suppressions="${srcdir:-.}/tests/valgrind.supp" \
    --log-file="$logdir/logdive.%p.log" "$real" "$@"
