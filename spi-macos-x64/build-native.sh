#!/usr/bin/env bash
# Rebuilds darwin-x86-64/libfiberswitch.dylib from the Linux module's SysV assembly (one source for
# ELF and Mach-O), byte for byte, on Linux with no macOS SDK.
#   ./build-native.sh          rebuild the committed library
#   ./build-native.sh --check  rebuild twice into temp dirs, gate the result, and fail on any byte
#                              difference between the two builds or against the committed file.
#   ./build-native.sh --gate F only run the gates below on the dylib F (to try them on a bad file).
# Gates: the exports trie holds exactly the Linux library's exports with a leading underscore; the
# load commands are exactly the expected list (no LC_LOAD_DYLIB: nothing, not even libSystem, is
# linked) with macOS 10.13 / SDK 10.13; no undefined symbols; no rebase/bind opcodes and no
# relocations (pure RIP-relative code).
# Needs gcc (only as the C preprocessor), binutils nm, and Debian's llvm-14 + lld-14
# (llvm-mc-14, llvm-objdump-14, llvm-nm-14, ld64.lld-14).
set -euo pipefail
cd "$(dirname "$0")"
src=../native/src/fiberswitch_x86_64_sysv.S
linux_lib=../spi-linux-x64/src/main/resources/linux-x86-64/libfiberswitch.so
out=src/main/resources/darwin-x86-64/libfiberswitch.dylib
mode=${1:-build}
case "$mode" in
  build|--check) ;;
  --gate) [ $# -eq 2 ] || { echo "usage: $0 --gate FILE.dylib" >&2; exit 2; } ;;
  *) echo "usage: $0 [--check | --gate FILE.dylib]" >&2; exit 2 ;;
esac

for tool in gcc nm llvm-mc-14 llvm-objdump-14 llvm-nm-14 ld64.lld-14; do
  command -v "$tool" >/dev/null || {
    echo "FAIL: $tool not found; on Debian/Ubuntu: apt-get install -y gcc binutils llvm-14 lld-14" >&2
    exit 1
  }
done

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

# build DIR: preprocess for Mach-O (SYM() adds the underscore), assemble, link with no libraries.
# -P drops line markers, so neither the checkout path nor the temp dir reaches the bytes; the
# LC_UUID that ld64.lld writes is a hash of the content, so it is stable too.
build() {
  local dir=$1
  mkdir -p "$dir"
  gcc -E -P -DFIBERSWITCH_MACHO -D__ASSEMBLER__ -x assembler-with-cpp -I../native/include \
      "$src" -o "$dir/fiberswitch.s"
  llvm-mc-14 -triple x86_64-apple-macos10.13 -filetype=obj -o "$dir/fiberswitch.o" "$dir/fiberswitch.s"
  # No -lSystem: the code calls nothing outside itself. ld64.lld-14 then needs no dyld_stub_binder
  # and emits no LC_LOAD_DYLIB. -undefined error is the default, spelled out so it stays so.
  ld64.lld-14 -arch x86_64 -dylib -platform_version macos 10.13 10.13 \
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
LC_VERSION_MIN_MACOSX
LC_FUNCTION_STARTS
LC_DATA_IN_CODE'

gate() {
  local lib=$1 headers
  headers=$(llvm-objdump-14 --macho --private-headers "$lib")

  # 1. exports: exactly the Linux exports, each with Mach-O's leading underscore.
  local want got
  want=$(nm -D --defined-only "$linux_lib" | awk '{print "_" $3}' | LC_ALL=C sort)
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
  # on it refuses a dylib with no LC_LOAD_DYLIB. 10.13 keeps the self-contained dylib loadable.
  if ! echo "$headers" | awk '$1 == "cmd" {c = $2} c == "LC_VERSION_MIN_MACOSX" && ($1 == "version" || $1 == "sdk") {print $1, $2}' \
       | tr '\n' ' ' | grep -qx 'version 10.13 sdk 10.13 '; then
    echo "FAIL: $lib LC_VERSION_MIN_MACOSX is not version 10.13, sdk 10.13"; return 1
  fi
  echo "ok: load commands are exactly: $(echo "$cmds" | tr '\n' ',' | sed 's/,$//'); macOS 10.13, sdk 10.13"

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
    echo "FAIL: $out differs from a fresh build of $src; run spi-macos-x64/build-native.sh and commit"
    exit 1
  fi
else
  cp "$work/a/libfiberswitch.dylib" "$out"
  echo "built $out"
fi
