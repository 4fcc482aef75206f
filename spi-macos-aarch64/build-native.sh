#!/usr/bin/env bash
# Rebuilds darwin-aarch64/libfiberswitch.dylib from the shared AAPCS64 assembly
# (../native/src/fiberswitch_aarch64_aapcs64.S, one source for ELF and Mach-O), byte for byte, on
# Linux with no macOS SDK.
#   ./build-native.sh          rebuild the committed library
#   ./build-native.sh --check  rebuild twice into temp dirs, gate the result, and fail on any byte
#                              difference between the two builds or against the committed file
#   ./build-native.sh --gate F only run the gates below on the dylib F (to try them on a bad file)
# Gates:
#   1. the exports trie holds exactly the Linux library's exports with a leading underscore;
#   2. the load commands are exactly the expected list (no LC_LOAD_DYLIB: nothing, not even
#      libSystem, is linked), with LC_BUILD_VERSION platform macos, minos 11.0, sdk 11.0;
#   3. no undefined symbols, no rebase/bind opcodes, no relocations;
#   4. the code: __text is byte for byte the Linux library's .text, and every function, local ones
#      included, sits at the same offset from the start of its section;
#   5. the ad-hoc code signature that ld64.lld writes (arm64 macOS runs no unsigned code) is a
#      well-formed SHA-256 CodeDirectory whose page hashes match the file's bytes.
# Needs gcc (only as the C preprocessor), binutils-aarch64-linux-gnu (for the Linux side), and
# Debian's llvm-14 + lld-14 (llvm-mc-14, llvm-objdump-14, llvm-nm-14, llvm-objcopy-14, ld64.lld-14).
set -euo pipefail
cd "$(dirname "$0")"
src=../native/src/fiberswitch_aarch64_aapcs64.S
linux_lib=../spi-linux-aarch64/src/main/resources/linux-aarch64/libfiberswitch.so
out=src/main/resources/darwin-aarch64/libfiberswitch.dylib
mode=${1:-build}
case "$mode" in
  build|--check) ;;
  --gate) [ $# -eq 2 ] || { echo "usage: $0 --gate FILE.dylib" >&2; exit 2; } ;;
  *) echo "usage: $0 [--check | --gate FILE.dylib]" >&2; exit 2 ;;
esac

for tool in gcc aarch64-linux-gnu-nm aarch64-linux-gnu-objcopy aarch64-linux-gnu-readelf \
            llvm-mc-14 llvm-objdump-14 llvm-nm-14 llvm-objcopy-14 ld64.lld-14 od sha256sum; do
  command -v "$tool" >/dev/null || {
    echo "FAIL: $tool not found; on Debian: apt-get install -y gcc binutils-aarch64-linux-gnu llvm-14 lld-14" >&2
    exit 1
  }
done

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

# build DIR: preprocess for Mach-O (SYM() adds the underscore), assemble, link with no libraries.
# -P drops line markers, so neither the checkout path nor the temp dir reaches the bytes; the
# LC_UUID that ld64.lld writes is a hash of the content, and the code signature's identifier is the
# output's file name, so both are stable too.
build() {
  local dir=$1
  mkdir -p "$dir"
  gcc -E -P -DFIBERSWITCH_MACHO -D__ASSEMBLER__ -x assembler-with-cpp -I../native/include \
      "$src" -o "$dir/fiberswitch.s"
  llvm-mc-14 -triple arm64-apple-macos11.0 -filetype=obj -o "$dir/fiberswitch.o" "$dir/fiberswitch.s"
  # No -lSystem: the code calls nothing outside itself, so there is no LC_LOAD_DYLIB and no
  # dyld_stub_binder. -undefined error is the default, spelled out so it stays so. For arm64,
  # ld64.lld signs the output ad hoc by itself.
  ld64.lld-14 -arch arm64 -dylib -platform_version macos 11.0 11.0 \
      -install_name @rpath/libfiberswitch.dylib -undefined error \
      -o "$dir/libfiberswitch.dylib" "$dir/fiberswitch.o"
}

expected_load_commands='LC_SEGMENT_64 __TEXT
LC_SEGMENT_64 __LINKEDIT
LC_DYLD_INFO_ONLY
LC_SYMTAB
LC_DYSYMTAB
LC_ID_DYLIB
LC_UUID
LC_BUILD_VERSION
LC_FUNCTION_STARTS
LC_DATA_IN_CODE
LC_CODE_SIGNATURE'

# u32 at byte offset OFF of FILE: endianness le or be
u32() { od -A n -t x1 -j "$2" -N 4 "$1" | tr -d ' \n' | { read -r h; if [ "$3" = be ]; then echo $((16#$h)); else echo $((16#${h:6:2}${h:4:2}${h:2:2}${h:0:2})); fi; }; }
u8() { od -A n -t u1 -j "$2" -N 1 "$1" | tr -d ' \n'; }

gate() {
  local lib=$1 headers
  headers=$(llvm-objdump-14 --macho --private-headers "$lib")

  # 1. exports: exactly the Linux exports, each with Mach-O's leading underscore.
  local want got
  want=$(aarch64-linux-gnu-nm -D --defined-only "$linux_lib" | awk '{print "_" $3}' | LC_ALL=C sort)
  got=$(llvm-objdump-14 --macho --exports-trie "$lib" | awk '$1 ~ /^0x/ {print $2}' | LC_ALL=C sort)
  if [ -z "$want" ] || [ "$want" != "$got" ]; then
    echo "FAIL: $lib exports trie differs from the Linux exports (+ underscore):"
    diff <(echo "$want") <(echo "$got") || true
    return 1
  fi
  echo "ok: exports trie = the $(echo "$got" | wc -l) Linux exports with a leading underscore"

  # 2. load commands: exactly the expected list, in order; in particular no LC_LOAD_DYLIB.
  local cmds
  cmds=$(echo "$headers" | awk '
    $1 == "cmd" { cmd = $2; if (cmd != "LC_SEGMENT_64") print cmd }
    $1 == "segname" && cmd == "LC_SEGMENT_64" { print cmd " " $2; cmd = "" }')
  if [ "$cmds" != "$expected_load_commands" ]; then
    echo "FAIL: $lib load commands differ from the expected list:"
    diff <(echo "$expected_load_commands") <(echo "$cmds") || true
    return 1
  fi
  if ! echo "$headers" | grep -q 'name @rpath/libfiberswitch.dylib (offset'; then
    echo "FAIL: $lib install name is not @rpath/libfiberswitch.dylib"; return 1
  fi
  # dyld decides which rules to enforce by the SDK version recorded here; from the fall-2021 SDKs
  # (12.0) on it refuses a dylib with no LC_LOAD_DYLIB. 11.0, the first arm64 macOS, keeps the
  # self-contained dylib loadable.
  if ! echo "$headers" | awk '$1 == "cmd" {c = $2} c == "LC_BUILD_VERSION" && ($1 == "platform" || $1 == "minos" || $1 == "sdk") {print $1, $2}' \
       | tr '\n' ' ' | grep -qx 'platform macos sdk 11.0 minos 11.0 '; then
    echo "FAIL: $lib LC_BUILD_VERSION is not platform macos, minos 11.0, sdk 11.0"; return 1
  fi
  if ! echo "$headers" | awk '$1 == "MH_MAGIC_64"' | grep -q ' ARM64 '; then
    echo "FAIL: $lib is not an arm64 Mach-O"; return 1
  fi
  echo "ok: load commands are exactly: $(echo "$cmds" | tr '\n' ',' | sed 's/,$//'); macos 11.0, sdk 11.0"

  # 3. nothing to resolve or slide: no undefined symbols, no rebase/bind info, no relocations.
  local undef
  undef=$(llvm-nm-14 --undefined-only "$lib")
  if [ -n "$undef" ]; then echo "FAIL: $lib has undefined symbols:"; echo "$undef"; return 1; fi
  if ! echo "$headers" | awk '$1 == "MH_MAGIC_64"' | grep -q NOUNDEFS; then
    echo "FAIL: $lib header lacks MH_NOUNDEFS"; return 1
  fi
  local nonzero
  nonzero=$(echo "$headers" | awk '
    $1 ~ /^(rebase_size|bind_size|weak_bind_size|lazy_bind_size|nreloc|nundefsym|nextrel|nlocrel|nindirectsyms)$/ && $2 != 0 { print $1 " " $2 }')
  if [ -n "$nonzero" ]; then echo "FAIL: $lib needs fixups:"; echo "$nonzero"; return 1; fi
  echo "ok: no undefined symbols, no rebase/bind opcodes, no relocations"

  # 4. the code is the Linux library's code.
  local tmp
  tmp=$(mktemp -d)
  aarch64-linux-gnu-objcopy -O binary --only-section=.text "$linux_lib" "$tmp/elf.text"
  llvm-objcopy-14 --dump-section=__TEXT,__text="$tmp/macho.text" "$lib" "$tmp/discard"
  if ! cmp "$tmp/elf.text" "$tmp/macho.text"; then
    echo "FAIL: $lib __text differs from the .text of $linux_lib (same source, so the bytes must match)"
    rm -rf "$tmp"; return 1
  fi
  local elf_base macho_base elf_syms macho_syms
  elf_base=$(aarch64-linux-gnu-readelf -SW "$linux_lib" | sed -n 's/^ *\[ *[0-9]*\] *//p' | awk '$1 == ".text" {print $3}')
  macho_base=$(llvm-objdump-14 --macho --section-headers "$lib" | awk '$2 == "__text" {print $4}')
  # every function symbol of the ELF (.symtab: exported and local), as "name offset"
  elf_syms=$(aarch64-linux-gnu-readelf -sW "$linux_lib" | awk '$4 == "FUNC" {print $8, $2}' | sort -u \
    | while read -r name addr; do echo "$name $((16#$addr - 16#$elf_base))"; done | LC_ALL=C sort)
  macho_syms=$(llvm-nm-14 --defined-only "$lib" | awk '$2 ~ /^[Tt]$/ {print $3, $1}' | sed 's/^_//' \
    | while read -r name addr; do echo "$name $((16#$addr - 16#${macho_base#0x}))"; done | LC_ALL=C sort)
  if [ "$elf_syms" != "$(echo "$macho_syms" | grep -Fxf <(echo "$elf_syms") || true)" ]; then
    echo "FAIL: function offsets differ between the ELF and the Mach-O build:"
    diff <(echo "$elf_syms") <(echo "$macho_syms") || true
    rm -rf "$tmp"; return 1
  fi
  echo "ok: __text is the Linux .text byte for byte ($(stat -c %s "$tmp/macho.text") bytes, $(sha256sum < "$tmp/macho.text" | cut -c1-16)), $(echo "$elf_syms" | wc -l) functions at the same offsets"
  rm -rf "$tmp"

  # 5. the ad-hoc signature: SuperBlob (big-endian) -> CodeDirectory -> one SHA-256 per 4 KiB page.
  local dataoff cs count i type off cd hashoff nslots limit hsize htype pshift page want_h got_h
  dataoff=$(echo "$headers" | awk '$1 == "cmd" {c = $2} c == "LC_CODE_SIGNATURE" && $1 == "dataoff" {print $2}')
  cs=$dataoff
  if [ "$(u32 "$lib" "$cs" be)" != $((0xfade0cc0)) ]; then echo "FAIL: $lib code signature is not an embedded SuperBlob"; return 1; fi
  count=$(u32 "$lib" $((cs + 8)) be)
  cd=
  for ((i = 0; i < count; i++)); do
    type=$(u32 "$lib" $((cs + 12 + 8 * i)) be)
    off=$(u32 "$lib" $((cs + 16 + 8 * i)) be)
    if [ "$type" = 0 ]; then cd=$((cs + off)); fi
  done
  if [ -z "$cd" ] || [ "$(u32 "$lib" "$cd" be)" != $((0xfade0c02)) ]; then echo "FAIL: $lib code signature has no CodeDirectory"; return 1; fi
  hashoff=$(u32 "$lib" $((cd + 16)) be)
  nslots=$(u32 "$lib" $((cd + 28)) be)
  limit=$(u32 "$lib" $((cd + 32)) be)
  hsize=$(u8 "$lib" $((cd + 36)))
  htype=$(u8 "$lib" $((cd + 37)))
  pshift=$(u8 "$lib" $((cd + 39)))
  if [ "$hsize" != 32 ] || [ "$htype" != 2 ] || [ "$pshift" != 12 ] || [ "$limit" != "$dataoff" ] \
     || [ "$nslots" != $(( (limit + 4095) / 4096 )) ]; then
    echo "FAIL: $lib CodeDirectory: hash size $hsize type $htype page 2^$pshift, $nslots slots, limit $limit (signature at $dataoff)"
    return 1
  fi
  for ((i = 0; i < nslots; i++)); do
    page=$(( limit - 4096 * i < 4096 ? limit - 4096 * i : 4096 ))
    want_h=$(dd if="$lib" bs=4096 skip="$i" count=1 status=none | head -c "$page" | sha256sum | cut -c1-64)
    got_h=$(od -A n -t x1 -j $((cd + hashoff + 32 * i)) -N 32 "$lib" | tr -d ' \n')
    if [ "$want_h" != "$got_h" ]; then echo "FAIL: $lib code signature page $i hash does not match the file"; return 1; fi
  done
  echo "ok: ad-hoc code signature: SHA-256 CodeDirectory, $nslots page hashes match the file"
}

if [ "$mode" = "--gate" ]; then
  gate "$2"
  exit
fi

build "$work/a"
gate "$work/a/libfiberswitch.dylib"
if [ "$mode" = "--check" ]; then
  build "$work/b"
  if ! cmp "$work/a/libfiberswitch.dylib" "$work/b/libfiberswitch.dylib"; then
    echo "FAIL: two builds of the dylib differ; the build is not reproducible"; exit 1
  fi
  if cmp "$work/a/libfiberswitch.dylib" "$out"; then
    echo "ok: $out is reproducible from source ($(sha256sum < "$out" | cut -c1-16))"
  else
    echo "FAIL: $out differs from a fresh build of $src; run spi-macos-aarch64/build-native.sh and commit"
    exit 1
  fi
else
  mkdir -p "$(dirname "$out")"
  cp "$work/a/libfiberswitch.dylib" "$out"
  echo "built $out"
fi
