#!/bin/sh
# Native switch benchmark (not part of ./mvnw verify). Needs gcc, libboost-context-dev, valgrind.
#   bench/native/run.sh [iterations]      default 2000000 round trips per batch
# Prints ns per switch (median of 11 batches, all kinds in one process), then callgrind
# instructions per switch: Ir(2N) - Ir(N) over N round trips (2N switches), so start-up cancels.
set -eu
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
out="$root/bench/target/native"
lib="$root/spi-linux-x64/src/main/resources/linux-x86-64"
mkdir -p "$out"
gcc -O2 -g -I"$root/native/include" -o "$out/switchbench" \
    "$here/switchbench.c" "$here/alt_switch.S" \
    -L"$lib" -lfiberswitch -Wl,-rpath,"$lib" -lboost_context
n=${1:-2000000}
echo "== time: $n round trips per batch, $(nproc) cores, $(lscpu | sed -n 's/^Model name: *//p')"
"$out/switchbench" "$n" all

command -v valgrind >/dev/null || { echo "valgrind not found: skipping instruction counts"; exit 0; }
# Whole-program Ir for N vs 2N round trips: the difference is N round trips = 2N switches, with
# the loops on both sides included. (callgrind's per-function split is not used: it misattributes
# instructions across a stack switch.)
ir() {
    valgrind --tool=callgrind --callgrind-out-file=/dev/null "$out/switchbench" "$1" "$2" 2>&1 \
        | sed -n 's/.*Collected : *\([0-9]*\).*/\1/p'
}
echo "== callgrind: instructions per switch, (Ir(2N) - Ir(N)) / 2N, N = 100000 round trips"
cn=100000
printf '%-10s %14s %14s %12s\n' kind "Ir(N)" "Ir(2N)" "per switch"
for k in fs alt boost ucontext; do
    a=$(ir $cn $k); b=$(ir $((2 * cn)) $k)
    printf '%-10s %14s %14s %12s\n' "$k" "$a" "$b" "$(echo "scale=1; ($b - $a) / (2 * $cn)" | bc)"
done
