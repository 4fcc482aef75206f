#!/usr/bin/env bash
# Rebuilds linux-x86-64/libfiberswitch.so from ../native/src/fiberswitch_x86_64_sysv.S, byte for byte.
#   ./build-native.sh          rebuild the committed library
#   ./build-native.sh --check  rebuild into a temp dir, fail on any byte difference, and gate the
#                              result: no NEEDED entry, no executable stack, no text relocations.
# Needs binutils and gcc (as the assembler driver) from Debian; paths are relative so that the
# file symbol, and so the bytes, do not depend on where the checkout lives.
set -euo pipefail
cd "$(dirname "$0")"
out=src/main/resources/linux-x86-64/libfiberswitch.so
mode=${1:-build}
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

gcc -c -I../native/include -o "$work/fiberswitch.o" ../native/src/fiberswitch_x86_64_sysv.S
ld -shared --build-id=none -z noexecstack -z now --hash-style=gnu -soname libfiberswitch.so \
   -o "$work/libfiberswitch.so" "$work/fiberswitch.o"

gate() {
  local lib=$1
  if readelf -dW "$lib" | grep -q '(NEEDED)'; then
    echo "FAIL: $lib has NEEDED entries:"; readelf -dW "$lib" | grep NEEDED; return 1
  fi
  if readelf -dW "$lib" | grep -q '(TEXTREL)'; then echo "FAIL: $lib has text relocations"; return 1; fi
  local stack
  stack=$(readelf -lW "$lib" | awk '$1 == "GNU_STACK" {print $7}')
  if [ "$stack" != "RW" ]; then echo "FAIL: $lib GNU_STACK flags are '$stack', want RW"; return 1; fi
  echo "ok: $lib has no NEEDED entry, no TEXTREL, and a non-executable stack"
}

if [ "$mode" = "--check" ]; then
  gate "$work/libfiberswitch.so"
  if cmp "$work/libfiberswitch.so" "$out"; then
    echo "ok: $out is reproducible from source ($(sha256sum < "$out" | cut -c1-16))"
  else
    echo "FAIL: $out differs from a fresh build of ../native/src/fiberswitch_x86_64_sysv.S; run spi-linux-x64/build-native.sh and commit"
    exit 1
  fi
else
  gate "$work/libfiberswitch.so"
  cp "$work/libfiberswitch.so" "$out"
  echo "built $out"
fi
