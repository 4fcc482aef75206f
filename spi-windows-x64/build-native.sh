#!/usr/bin/env bash
# Rebuilds win32-x86-64/fiberswitch.dll from src/main/asm, byte for byte.
#   ./build-native.sh          rebuild the committed DLL
#   ./build-native.sh --check  rebuild into a temp dir, fail on any byte difference, and gate the
#                              result: every export present, no import table.
#   ./build-native.sh --out DIR [--no-teb]
#                              build into DIR only (the Wine harness uses this; --no-teb builds
#                              the negative control without TEB updates).
# Needs gcc-mingw-w64-x86-64-win32 (as the assembler driver) and binutils-mingw-w64-x86-64.
# No CRT and no import libraries are linked: the entry point is a 2-instruction asm routine.
# --no-insert-timestamp and a fixed image base keep the bytes independent of time and place;
# paths are relative so that nothing of the checkout's location gets in.
set -euo pipefail
cd "$(dirname "$0")"
out=src/main/resources/win32-x86-64/fiberswitch.dll
mode=build
outdir=
defs=()
while [ $# -gt 0 ]; do
  case "$1" in
    --check) mode=check ;;
    --out) mode=out; outdir=$2; shift ;;
    --no-teb) defs+=(-DFIBERSWITCH_NO_TEB) ;;
    *) echo "usage: $0 [--check | --out DIR [--no-teb]]" >&2; exit 2 ;;
  esac
  shift
done

cc=x86_64-w64-mingw32-gcc
ld=x86_64-w64-mingw32-ld
objdump=x86_64-w64-mingw32-objdump
nm=x86_64-w64-mingw32-nm
for tool in $cc $ld $objdump $nm; do
  command -v $tool >/dev/null || {
    echo "FAIL: $tool not found; apt-get install -y gcc-mingw-w64-x86-64-win32 binutils-mingw-w64-x86-64"; exit 1; }
done

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

# ld's default PE script writes a zero import descriptor into .idata even when nothing is
# imported, which leaves a non-empty Import Directory; use the same script without it.
$ld --verbose --dll | sed -n '/^=====/,/^=====/p' | sed '1d;$d' > "$work/default.ld"
term='LONG (0); LONG (0); LONG (0); LONG (0); LONG (0);'
grep -qF "$term" "$work/default.ld" || { echo "FAIL: $ld's default script changed; revisit the .idata terminator edit"; exit 1; }
grep -vF "$term" "$work/default.ld" > "$work/fiberswitch.ld"

$cc -c "${defs[@]}" -I../native/include -o "$work/fiberswitch.o" src/main/asm/fiberswitch_x86_64_ms_pe_gas.S
$ld -T "$work/fiberswitch.ld" --dll -nostdlib -e fiberswitch_dll_entry --no-insert-timestamp --disable-auto-image-base \
    --image-base 0x180000000 --subsystem windows -o "$work/fiberswitch.dll" "$work/fiberswitch.o"

exports=(fiberswitch_resume fiberswitch_yield fiberswitch_prepare fiberswitch_callback_stubs
         fiberswitch_abi_version fiberswitch_layout fiberswitch_abi_description fiberswitch_probe_read_teb
         fiberswitch_probe_registers fiberswitch_probe_resume_registers fiberswitch_probe_fpenv
         fiberswitch_probe_resume_fpenv fiberswitch_probe_read_fpenv fiberswitch_probe_echo
         fiberswitch_probe_alignment
         fiberswitch_probe_callback fiberswitch_probe_recurse fiberswitch_jni_register)
# Functions that save registers or move rsp and then call or switch: each needs a .pdata entry
# (from its .seh_proc), or SEH dispatch and unwinders could not walk through it. The callback body
# moves nothing, but it carries an explicit entry (an empty prologue: rsp at the return address into
# the stub's native caller), so that it stays described if it ever gains a frame.
unwound=(fiberswitch_swap fiberswitch_entry fiberswitch_callback_body fiberswitch_jni_register)

gate() {
  local dll=$1 dump
  dump=$($objdump -p "$dll")
  # An import table shows up as "The Import Tables" and a non-zero Import Directory entry.
  if grep -Eq 'The Import Tables|DLL Name:' <<<"$dump"; then
    echo "FAIL: $dll has an import table:"; grep -E 'DLL Name:' <<<"$dump"; return 1
  fi
  local d
  for d in 'Import Directory' 'Import Address Table Directory' 'Delay Import Directory'; do
    if ! grep -Eq "^Entry [0-9a-f] 0+ 0+ $d" <<<"$dump"; then
      echo "FAIL: $dll data directory '$d' is not empty:"; grep "$d" <<<"$dump"; return 1
    fi
  done
  if grep -Eq 'RELOCS_STRIPPED|relocations stripped' <<<"$dump"; then
    echo "FAIL: $dll is marked relocations-stripped; it could not load away from its image base"; return 1
  fi
  local missing=0 name
  for name in "${exports[@]}"; do
    if ! grep -Eq "\\] ${name}\$" <<<"$dump"; then echo "FAIL: $dll does not export $name"; missing=1; fi
  done
  local syms addr
  syms=$($nm "$dll")
  for name in "${unwound[@]}"; do
    addr=$(awk -v n="$name" '$3 == n { print $1 }' <<<"$syms")
    if [ -z "$addr" ] || ! grep -Eq "^ *[0-9a-f]+:[[:space:]]+$addr " <<<"$dump"; then
      echo "FAIL: $dll has no unwind data (.pdata entry) for $name"; missing=1
    fi
  done
  [ $missing = 0 ] || return 1
  echo "ok: $dll exports all ${#exports[@]} entry points, has unwind data for all ${#unwound[@]} functions that need it and no import table"
}

case $mode in
  check)
    gate "$work/fiberswitch.dll"
    if cmp "$work/fiberswitch.dll" "$out"; then
      echo "ok: $out is reproducible from source ($(sha256sum < "$out" | cut -c1-16))"
    else
      echo "FAIL: $out differs from a fresh build of src/main/asm; run spi-windows-x64/build-native.sh and commit"
      exit 1
    fi ;;
  out)
    mkdir -p "$outdir"
    cp "$work/fiberswitch.dll" "$outdir/fiberswitch.dll"
    echo "built $outdir/fiberswitch.dll ${defs[*]:-}" ;;
  build)
    gate "$work/fiberswitch.dll"
    cp "$work/fiberswitch.dll" "$out"
    echo "built $out" ;;
esac
