#!/usr/bin/env bash
# The machine's peak fp32 multiply-add rate per core, the compute side of docs/results.md's physical bound: twelve
# independent chains of 16-lane AVX-512 fused multiply-adds (enough to hide their latency), timed by the process's own
# CPU clock so that other work on a shared machine does not count. Runs one copy, then one per core at once.
# Needs gcc and an AVX-512 machine. Usage: deploy/bench/peak-fma.sh [ITERATIONS]
set -euo pipefail
grep -qw avx512f /proc/cpuinfo || { echo "no AVX-512 on this machine" >&2; exit 1; }
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
cat >"$work/peak.c" <<'C'
#include <immintrin.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>
int main(int argc, char **argv) {
  long iterations = argc > 1 ? atol(argv[1]) : 400000000L;
  __m512 acc[12], b = _mm512_set1_ps(0.999999f), c = _mm512_set1_ps(1e-7f);
  for (int i = 0; i < 12; i++) acc[i] = _mm512_set1_ps((float)i);
  struct timespec t0, t1;
  clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &t0);
  for (long n = 0; n < iterations; n++) {
#pragma GCC unroll 12
    for (int i = 0; i < 12; i++) acc[i] = _mm512_fmadd_ps(acc[i], b, c);
  }
  clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &t1);
  float sum = 0; /* printed, so that the chains are not optimized away */
  for (int i = 0; i < 12; i++) sum += _mm512_reduce_add_ps(acc[i]);
  double seconds = (t1.tv_sec - t0.tv_sec) + (t1.tv_nsec - t0.tv_nsec) * 1e-9;
  printf("%.1f G multiply-adds/s per core (%.2f s of CPU time; checksum %g)\n", iterations * 12.0 * 16 / seconds / 1e9, seconds, sum);
  return 0;
}
C
gcc -O2 -march=native "$work/peak.c" -o "$work/peak"
grep -m1 -E '^cpu family' /proc/cpuinfo
echo "one copy:"
"$work/peak" "${1:-400000000}"
echo "one copy per core ($(nproc)) at once:"
for _ in $(seq "$(nproc)"); do "$work/peak" "${1:-400000000}" & done
wait
