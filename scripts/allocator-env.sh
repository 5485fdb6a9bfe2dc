#!/bin/sh
# Prints the environment that runs XLA CPU on jemalloc, for
#
#	eval "$(sh scripts/allocator-env.sh)"
#
# Why: an XLA CPU step allocates its large temporaries (the U-Net's im2col
# patches are >100 MB) afresh on every call. glibc's malloc serves anything
# over 32 MB with mmap and unmaps it on free, so every step page-faults the
# memory in again and the kernel zeroes it: perf showed 28 % of a U-Net
# training step in the kernel (clear_page_erms, page faults). jemalloc with
# decay off keeps the freed pages: U-Net step 3,170 → 2,095 ms on a 2-core
# EPYC (2026-11-27, `ddpm bench -cases unet_train`); the MLP step does not
# change. PyTorch gains as much (1,671 → 963 ms), so `make bench` gives both
# sides the same environment.
# Memory the process freed is kept until it exits (its peak RSS stays).
#
# Prints nothing (and exits 0) when libjemalloc.so.2 is not installed
# (Debian: apt-get install libjemalloc2; scripts/setup.sh does it as root).
lib=""
if command -v ldconfig >/dev/null 2>&1; then
	lib=$(ldconfig -p 2>/dev/null | sed -n 's/^.*libjemalloc\.so\.2 .*=> \(.*\)$/\1/p' | head -n 1)
fi
if [ -z "$lib" ]; then
	for f in /usr/lib/x86_64-linux-gnu/libjemalloc.so.2 /usr/lib/aarch64-linux-gnu/libjemalloc.so.2 /usr/lib64/libjemalloc.so.2 /usr/local/lib/libjemalloc.so.2; do
		if [ -f "$f" ]; then
			lib=$f
			break
		fi
	done
fi
[ -n "$lib" ] || exit 0
case " ${LD_PRELOAD:-} " in
*" $lib "*) ;;
*) echo "export LD_PRELOAD='$lib${LD_PRELOAD:+ $LD_PRELOAD}'" ;;
esac
echo "export MALLOC_CONF='dirty_decay_ms:-1,muzzy_decay_ms:-1'"
