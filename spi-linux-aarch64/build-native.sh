#!/usr/bin/env bash
# Rebuilds linux-aarch64/libfiberswitch.so from ../native/src/fiberswitch_aarch64_aapcs64.S, byte
# for byte, on any Linux host with Debian's cross toolchain.
#   ./build-native.sh                    rebuild the committed library
#   ./build-native.sh --check            rebuild twice into temp dirs, gate the result, and fail on
#                                        any byte difference between the builds or against the
#                                        committed file
#   ./build-native.sh --from SRC --out F build F from another source (the harness's deliberately
#                                        broken copies), same flags and gates, committed file untouched;
#                                        add --no-gates for a copy that is meant to break a gate
# Gates: no NEEDED entry, no TEXTREL, no relocations at all, a GNU_STACK that is RW, the only
# writable sections are .dynamic and .got and they lie in GNU_RELRO, a PT_GNU_EH_FRAME (the CFI
# index that runtime unwinders use), the GNU property note says
# BTI and PAC, every exported function and every callback stub starts with `bti c`, no `br`
# (nothing needs a `bti j`), and x18 never appears.
# Needs gcc-aarch64-linux-gnu (as the assembler driver) and binutils-aarch64-linux-gnu. Paths are
# relative and there is no build id, so the bytes do not depend on where the checkout lives.
set -euo pipefail
cd "$(dirname "$0")"
src=../native/src/fiberswitch_aarch64_aapcs64.S
committed=src/main/resources/linux-aarch64/libfiberswitch.so
mode=build
out=$committed
gates=1
while [ $# -gt 0 ]; do
  case "$1" in
    --check) mode=check; shift ;;
    --from) src=$2; shift 2 ;;
    --out) out=$2; mode=out; shift 2 ;;
    --no-gates) gates=0; shift ;;
    *) echo "usage: $0 [--check | --from SRC --out FILE [--no-gates]]" >&2; exit 2 ;;
  esac
done
if [ $gates = 0 ] && [ "$mode" != out ]; then echo "--no-gates only goes with --out" >&2; exit 2; fi
X=aarch64-linux-gnu-
for tool in ${X}gcc ${X}ld ${X}readelf ${X}objdump ${X}nm; do
  command -v "$tool" >/dev/null || {
    echo "FAIL: $tool not found; on Debian: apt-get install -y gcc-aarch64-linux-gnu binutils-aarch64-linux-gnu" >&2
    exit 1
  }
done

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

build() {   # build DIR
  local dir=$1
  mkdir -p "$dir"
  ${X}gcc -c -I../native/include -o "$dir/fiberswitch.o" "$src"
  # -z now: nothing to bind lazily anyway; -z noexecstack: GNU_STACK RW; --eh-frame-hdr: the
  # PT_GNU_EH_FRAME index through which runtime unwinders (libgcc's, behind glibc's backtrace())
  # find the CFI (the gcc driver passes it; ld alone does not). The default max page size (64 KiB)
  # keeps the library loadable on 64 KiB-page kernels.
  ${X}ld -shared --build-id=none --eh-frame-hdr -z noexecstack -z now --hash-style=gnu -soname libfiberswitch.so \
     -o "$dir/libfiberswitch.so" "$dir/fiberswitch.o"
}

BTI_C=d503245f
gate() {
  local lib=$1 dyn
  dyn=$(${X}readelf -dW "$lib")
  if grep -q '(NEEDED)' <<<"$dyn"; then echo "FAIL: $lib has NEEDED entries:"; grep NEEDED <<<"$dyn"; return 1; fi
  if grep -q '(TEXTREL)' <<<"$dyn"; then echo "FAIL: $lib has text relocations"; return 1; fi
  if ! ${X}readelf -rW "$lib" | grep -q 'There are no relocations in this file'; then
    echo "FAIL: $lib has relocations:"; ${X}readelf -rW "$lib"; return 1
  fi
  local stack
  stack=$(${X}readelf -lW "$lib" | awk '$1 == "GNU_STACK" {print $7}')
  if [ "$stack" != "RW" ]; then echo "FAIL: $lib GNU_STACK flags are '$stack', want RW"; return 1; fi
  # writable sections: only the dynamic linker's own, inside the RELRO range (read-only once loaded)
  local sections writable relro
  sections=$(${X}readelf -SW "$lib" | sed -n 's/^ *\[ *[0-9]*\] *//p')   # name type addr off size es flags ...
  writable=$(awk '$7 ~ /W/ {print $1}' <<<"$sections" | tr '\n' ' ')
  if [ "$writable" != ".dynamic .got " ]; then echo "FAIL: $lib writable sections are '$writable', want '.dynamic .got '"; return 1; fi
  relro=$(${X}readelf -lW "$lib" | awk '$1 == "GNU_RELRO" {print $3, $6}')
  [ -n "$relro" ] || { echo "FAIL: $lib has no GNU_RELRO segment"; return 1; }
  local lo=$((${relro% *})) hi=$((${relro% *} + ${relro#* })) sec start size
  while read -r sec start size; do
    if [ $((16#$start)) -lt $lo ] || [ $((16#$start + 16#$size)) -gt $hi ]; then
      echo "FAIL: $lib section $sec is writable and outside GNU_RELRO"; return 1
    fi
  done < <(awk '$7 ~ /W/ {print $1, $3, $5}' <<<"$sections")
  if ! ${X}readelf -lW "$lib" | grep -q '^ *GNU_EH_FRAME '; then
    echo "FAIL: $lib has no PT_GNU_EH_FRAME: runtime unwinders would not find its CFI"; return 1
  fi
  echo "ok: $lib has no NEEDED entry, no TEXTREL, no relocations, a non-executable stack, and no writable data outside RELRO"

  if ! ${X}readelf -nW "$lib" | grep -q 'AArch64 feature: BTI, PAC'; then
    echo "FAIL: $lib lacks the GNU property note 'AArch64 feature: BTI, PAC':"; ${X}readelf -nW "$lib"; return 1
  fi
  echo "ok: GNU property note: AArch64 feature: BTI, PAC"

  # every exported function, and every stub, starts with bti c: one pass over the disassembly
  local dis bad
  dis=$(${X}objdump -d --no-show-raw-insn "$lib" | grep -v '^$')
  bad=$( { ${X}nm -D --defined-only "$lib" | awk '$2 == "T" {print "sym", $1, $3}'
           ${X}objdump -d "$lib" | awk '$1 ~ /^[0-9a-f]+:$/ {sub(":", "", $1); print "insn", $1, $2}'; } \
    | awk -v bti=$BTI_C '
        function hex(s,   i, n) { n = 0; s = tolower(s); for (i = 1; i <= length(s); i++) n = n * 16 + index("0123456789abcdef", substr(s, i, 1)) - 1; return n }
        $1 == "sym" { sym[$3] = hex($2); next }
        $1 == "insn" { word[hex($2)] = $3; next }
        END {
          n = 0
          for (s in sym) { n++; if (word[sym[s]] != bti) print "FAIL: " s " starts with " word[sym[s]] ", not bti c" }
          base = sym["fiberswitch_callback_stubs"]
          for (i = 0; i < 256; i++) if (word[base + 32 * i] != bti) print "FAIL: callback stub " i " does not start with bti c"
          if (n != 16) print "FAIL: " n " exported functions, want 16"
        }')
  if [ -n "$bad" ]; then echo "$bad"; return 1; fi
  echo "ok: all 16 exported functions and all 256 callback stubs start with bti c"
  if grep -qE '\sbr\s' <<<"$dis"; then echo "FAIL: $lib has a br (its target would need bti j):"; grep -E '\sbr\s' <<<"$dis"; return 1; fi
  if grep -qE '\b[xw]18\b' <<<"$dis"; then echo "FAIL: $lib touches x18 (reserved on Apple platforms):"; grep -E '\b[xw]18\b' <<<"$dis"; return 1; fi
  echo "ok: no br, and x18 is never touched"
}

if [ "$mode" = out ]; then
  build "$work/a"
  if [ $gates = 1 ]; then gate "$work/a/libfiberswitch.so" >/dev/null || { gate "$work/a/libfiberswitch.so"; exit 1; }; fi
  cp "$work/a/libfiberswitch.so" "$out"
  exit 0
fi

build "$work/a"
gate "$work/a/libfiberswitch.so"
if [ "$mode" = check ]; then
  build "$work/b"
  if ! cmp "$work/a/libfiberswitch.so" "$work/b/libfiberswitch.so"; then
    echo "FAIL: two builds of the library differ; the build is not reproducible"; exit 1
  fi
  if cmp "$work/a/libfiberswitch.so" "$committed"; then
    echo "ok: $committed is reproducible from source ($(sha256sum < "$committed" | cut -c1-16))"
  else
    echo "FAIL: $committed differs from a fresh build of $src; run spi-linux-aarch64/build-native.sh and commit"
    exit 1
  fi
else
  mkdir -p "$(dirname "$committed")"
  cp "$work/a/libfiberswitch.so" "$committed"
  echo "built $committed"
fi
