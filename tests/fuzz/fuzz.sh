#!/bin/sh
# make fuzz: build the libFuzzer targets of tests/fuzz with clang and run
# each for FUZZ_SECONDS (default 30). Fails if a target crashes (the
# crashing input is kept in $builddir/fuzz/artifacts/). See README.md.
#
# From the Makefile: srcdir, builddir, FUZZ_SOURCES (libldcore's .c
# files, relative to srcdir), FUZZ_CPPFLAGS, FUZZ_LIBS. Optional:
# CLANG (default clang), FUZZ_SECONDS, FUZZ_TARGETS (default all),
# FUZZ_JOBS (parallel compiles, default nproc).
set -u
: "${srcdir:?}" "${builddir:?}" "${FUZZ_SOURCES:?}"
CLANG=${CLANG:-clang}
SECS=${FUZZ_SECONDS:-30}
TARGETS=${FUZZ_TARGETS:-"query jscan time mapping preset runbook textfmt tfdef es loki"}
JOBS=${FUZZ_JOBS:-$(nproc 2>/dev/null || echo 2)}
fdir=$builddir/fuzz
SAN="-fsanitize=address,undefined -fno-sanitize-recover=all"
CFLAGS="-g -O1 -fno-omit-frame-pointer $SAN"
CPP="-I$builddir -I$srcdir ${FUZZ_CPPFLAGS:-} -DFZ_SRCDIR=\"$srcdir\""

die() { echo "make fuzz: $*" >&2; exit 1; }

mkdir -p "$fdir/obj" "$fdir/artifacts" "$fdir/tmp" || die "cannot create $fdir"
# clang with libFuzzer (Debian: apt-get install clang; the runtime is in
# libclang-rt-NN-dev on newer releases)
echo 'int LLVMFuzzerTestOneInput(const unsigned char *d, unsigned long n) { (void)d; (void)n; return 0; }' \
    > "$fdir/probe.c"
"$CLANG" -fsanitize=fuzzer,address,undefined -o "$fdir/probe" "$fdir/probe.c" >"$fdir/probe.log" 2>&1 ||
    die "$CLANG cannot build a libFuzzer target (install clang, and libclang-rt-dev where the runtime is packaged apart; or set CLANG=): $(head -3 "$fdir/probe.log")"

# 1. libldcore's sources, instrumented (rebuilt when a source or any
#    header is newer than its object)
newest_h=$(ls -t $(find "$srcdir/lib" "$srcdir/queries" "$srcdir/backends" "$srcdir/tui" \
    "$srcdir/tests/fuzz" -name '*.h') "$builddir/config.h" | head -1)
objs=
pids=
n=0
for s in $FUZZ_SOURCES; do
	case $s in *.c) ;; *) continue ;; esac
	o=$fdir/obj/$(echo "$s" | tr / _ | sed 's/\.c$/.o/')
	objs="$objs $o"
	if [ ! -f "$o" ] || [ "$srcdir/$s" -nt "$o" ] || [ "$newest_h" -nt "$o" ]; then
		"$CLANG" $CPP $CFLAGS -fsanitize=fuzzer-no-link -c -o "$o" "$srcdir/$s" \
		    >"$o.log" 2>&1 &
		pids="$pids $!"
		n=$((n + 1))
		if [ "$n" -ge "$JOBS" ]; then
			for p in $pids; do wait "$p" || die "compiling failed: $(ls -t "$fdir"/obj/*.log | head -1)"; done
			pids=
			n=0
		fi
	fi
done
for p in $pids; do wait "$p" || die "compiling failed"; done
for o in $objs; do [ -f "$o" ] || die "compiling ${o##*/} failed: $(cat "$o.log")"; done
rm -f "$fdir/libfz.a"
ar cr "$fdir/libfz.a" $objs && ranlib "$fdir/libfz.a" || die "ar failed"

# 2. the targets (fz_tfdef is fz_textfmt.c with FZ_TFDEF; fz_es and
#    fz_loki get their server answers from fz_http.c)
for t in $TARGETS; do
	src=$srcdir/tests/fuzz/fz_$t.c extra= def=
	case $t in
	tfdef) src=$srcdir/tests/fuzz/fz_textfmt.c def=-DFZ_TFDEF ;;
	es|loki) extra="$srcdir/tests/fuzz/fz_http.c -Wl,--wrap=http_request,--wrap=http_batch" ;;
	esac
	[ -f "$src" ] || die "no target $t"
	"$CLANG" $CPP $def $CFLAGS -fsanitize=fuzzer -o "$fdir/fz_$t" "$src" $extra \
	    "$fdir/libfz.a" ${FUZZ_LIBS:-} -pthread >"$fdir/fz_$t.build.log" 2>&1 ||
		die "linking fz_$t failed: $(head -20 "$fdir/fz_$t.build.log")"
done

# 3. run each: new inputs go to $fdir/corpus/T, the seeds of
#    tests/fuzz/corpus/T are read only
fail=0
export TMPDIR="$fdir/tmp"
export UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1}
echo "make fuzz: $SECS s per target"
for t in $TARGETS; do
	mkdir -p "$fdir/corpus/$t"
	log=$fdir/fz_$t.log
	"$fdir/fz_$t" -max_total_time="$SECS" -print_final_stats=1 -timeout=20 \
	    -rss_limit_mb=2048 -max_len=65536 -artifact_prefix="$fdir/artifacts/$t-" \
	    "$fdir/corpus/$t" "$srcdir/tests/fuzz/corpus/$t" >"$log" 2>&1
	rc=$?
	execs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log" | tail -1)
	rate=$(sed -n 's/^stat::average_exec_per_sec: *//p' "$log" | tail -1)
	cov=$(grep -o 'cov: [0-9]*' "$log" | tail -1)
	if [ "$rc" -eq 0 ]; then
		printf 'fz_%-8s %10s executions in %s s (%s/s), %s, corpus %s files\n' "$t" \
		    "${execs:-?}" "$SECS" "${rate:-?}" "${cov:-cov: ?}" \
		    "$(ls "$fdir/corpus/$t" | wc -l)"
	else
		fail=1
		echo "fz_$t: FAILED (exit $rc) after ${execs:-?} executions; log $log"
		grep -E '^==[0-9]+==ERROR|runtime error|^SUMMARY|Test unit written|deadly signal' "$log" | head -8
	fi
done
rm -rf "$fdir/tmp"
[ "$fail" -eq 0 ] || die "a target crashed: reproduce with $fdir/fz_TARGET $fdir/artifacts/FILE"
echo "make fuzz: no crash"
