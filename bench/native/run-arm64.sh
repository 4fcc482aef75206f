#!/bin/sh
# Native switch benchmark for AArch64, EMULATED (qemu-user on this x86-64 machine). Not part of
# ./mvnw verify. It cross-builds switchbench.c against the committed linux-aarch64 libfiberswitch.so
# and Boost.Context's arm64 jump_fcontext (libboost_context.so.1.74.0 from the arm64 root), and runs
# every kind in one emulated process, so the ratios compare like with like.
#
#   bench/native/run-arm64.sh [iterations]      default 200000 round trips per batch
#
# Emulated timings are not hardware timings: qemu translates each guest instruction into host
# code, so a ratio says how much emulated work a switch is, not how a Neoverse or an Apple core
# would run it (no return-stack buffer, no real cost of an FPCR write, PAC computed in software).
# The run is made twice: with -cpu max,pauth-impdef=on (PAC on, with qemu's cheap
# implementation-defined code instead of its software QARMA5, which alone costs about 1 us per
# paciasp/autiasp pair and would swamp everything else), and with -cpu max,pauth=off (the same hint
# instructions run as NOPs, as on a core without PAC).
#
# Needs gcc-aarch64-linux-gnu, qemu-user-static, and the arm64 root: the directory named by
# FIBERSWITCH_ARM64_ROOT, default /var/tmp/fiberswitch-arm64-root, which
# `bash .ci/arm64-root.sh --rootfs DIR` unpacks (this script runs that if the directory is missing).
set -eu
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
out="$root/bench/target/native"
lib="$root/spi-linux-aarch64/src/main/resources/linux-aarch64"
arm64_root=${FIBERSWITCH_ARM64_ROOT:-/var/tmp/fiberswitch-arm64-root}
qemu=$(command -v qemu-aarch64-static || command -v qemu-aarch64 || true)
[ -n "$qemu" ] || { echo "!!!! ARM64 BENCH DID NOT RUN: no qemu-aarch64 (apt-get install -y qemu-user-static) !!!!"; exit 1; }
command -v aarch64-linux-gnu-gcc >/dev/null || { echo "!!!! ARM64 BENCH DID NOT RUN: no aarch64-linux-gnu-gcc (apt-get install -y gcc-aarch64-linux-gnu) !!!!"; exit 1; }
boost="$arm64_root/usr/lib/aarch64-linux-gnu/libboost_context.so.1.74.0"
if [ ! -e "$boost" ]; then
  echo "no arm64 root with Boost.Context at $arm64_root: building or unpacking it"
  bash "$root/.ci/arm64-root.sh" --rootfs "$arm64_root"
fi
[ -e "$boost" ] || { echo "!!!! ARM64 BENCH DID NOT RUN: $boost missing !!!!"; exit 1; }
mkdir -p "$out"
aarch64-linux-gnu-gcc -O2 -g -I"$root/native/include" -o "$out/switchbench-arm64" "$here/switchbench.c" \
    -L"$lib" -lfiberswitch -Wl,-rpath,"$lib" "$boost" -Wl,-rpath-link,"$arm64_root/usr/lib/aarch64-linux-gnu"
n=${1:-200000}
echo "== EMULATED aarch64 (qemu-user $("$qemu" --version | head -1 | sed 's/.*version //'), on $(nproc) x86-64 cores:" \
     "$(lscpu | sed -n 's/^Model name: *//p')); $n round trips per batch. Not hardware timings."
for cpu in max,pauth-impdef=on max,pauth=off; do
  echo
  echo "-- qemu -cpu $cpu"
  "$qemu" -cpu "$cpu" -L "$arm64_root" "$out/switchbench-arm64" "$n" all
done
# Instructions per switch, counted in the code (emulation has no callgrind): resume or yield, then
# the switch body, up to and including its ret.
count() {  # count SYMBOL-REGEX FILE: instructions from the symbol to its first ret
  aarch64-linux-gnu-objdump -d --no-show-raw-insn "$2" | awk -v re="$1" '
    $0 ~ "^[0-9a-f]+ <" re "(@@[A-Za-z_.0-9]+)?>:" { on = 1; next }
    on && /^$/ { on = 0 }
    on && $2 != "" { n++; if ($2 == "ret") { print n; exit } }'
}
sw=$(count 'fiberswitch_switch' "$lib/libfiberswitch.so")
rs=$(aarch64-linux-gnu-objdump -d --no-show-raw-insn "$lib/libfiberswitch.so" | awk '/<fiberswitch_resume>:/ {on=1; next} on && /\tb\t/ {n++; print n; exit} on && NF > 1 {n++}')
ys=$(aarch64-linux-gnu-objdump -d --no-show-raw-insn "$lib/libfiberswitch.so" | awk '/<fiberswitch_yield>:/ {on=1; next} on && /\tb\t/ {n++; print n; exit} on && NF > 1 {n++}')
bj=$(count 'jump_fcontext' "$boost")
echo
echo "== instructions per switch (static count): fiberswitch resume $((rs + sw)), yield $((ys + sw))" \
     "(switch body $sw, of which paciasp and autiasp 2, and FPCR read, store, load, compare and branch 5);" \
     "Boost jump_fcontext $bj (no FPCR, no PAC)"
