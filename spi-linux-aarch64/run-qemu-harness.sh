#!/usr/bin/env bash
# Proves the AArch64 port's rules under qemu-user: cross-builds the C rule harness
# (src/harness/), runs it with qemu-aarch64 -cpu max (PAC and BTI emulated) against the committed
# linux-aarch64/libfiberswitch.so (after checking that the source rebuilds it byte for byte), then
# runs the negative controls: copies of the library built from the same source with one deliberate
# defect each, every one of which must FAIL the rule that guards against it while an unrelated
# rule still passes. The switch rules run through the C entries and again through the JNI natives
# that fiberswitch_jni_register registers on the harness's fake JNIEnv; both sets must pass.
#   ./run-qemu-harness.sh                  exit non-zero if anything fails or cannot run
#   ./run-qemu-harness.sh --allow-missing  exit 0 (after a loud notice) when qemu or the cross
#                                          compiler is absent
# Needs: qemu-user-static (or qemu-user), gcc-aarch64-linux-gnu, binutils-aarch64-linux-gnu, and
# the arm64 C library and libgcc_s they bring (libc6-dev-arm64-cross, libgcc-s1-arm64-cross), used
# as qemu's -L sysroot (FIBERSWITCH_ARM64_SYSROOT overrides /usr/aarch64-linux-gnu).
# Emulation proves the ABI contract and that PAC and BTI are honoured as the architecture defines
# them; it says nothing about timing, memory ordering or errata of real cores.
set -uo pipefail
cd "$(dirname "$0")"
allow_missing=0
[ "${1:-}" = "--allow-missing" ] && allow_missing=1

not_run() {
  echo "!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!"
  echo "!!!! ARM64 CELL DID NOT RUN: $1"
  echo "!!!! The AArch64 switch was NOT tested on this machine."
  echo "!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!"
  if [ $allow_missing = 1 ]; then exit 0; fi
  exit 1
}

qemu=
if [ -n "${FIBERSWITCH_QEMU:-}" ]; then
  [ -x "$FIBERSWITCH_QEMU" ] || not_run "FIBERSWITCH_QEMU=$FIBERSWITCH_QEMU is not an executable"
  qemu=$FIBERSWITCH_QEMU
else
  for c in qemu-aarch64-static qemu-aarch64; do
    if command -v "$c" >/dev/null 2>&1; then qemu=$(command -v "$c"); break; fi
  done
fi
[ -n "$qemu" ] || not_run "no qemu-aarch64 found (apt-get install -y qemu-user-static)"
for tool in aarch64-linux-gnu-gcc aarch64-linux-gnu-ld aarch64-linux-gnu-readelf; do
  command -v $tool >/dev/null || not_run "$tool not found (apt-get install -y gcc-aarch64-linux-gnu binutils-aarch64-linux-gnu)"
done
sysroot=${FIBERSWITCH_ARM64_SYSROOT:-/usr/aarch64-linux-gnu}
[ -e "$sysroot/lib/ld-linux-aarch64.so.1" ] || not_run "no arm64 C library in $sysroot (apt-get install -y libc6-dev-arm64-cross)"
[ -e "$sysroot/lib/libgcc_s.so.1" ] || not_run "no arm64 libgcc_s in $sysroot (apt-get install -y libgcc-s1-arm64-cross)"

work=$(mktemp -d /tmp/fiberswitch-qemu.XXXXXX)
trap 'rm -rf "$work"' EXIT
start=$(date +%s)

# The committed library must be what the source builds.
./build-native.sh --check || exit 1
lib=$PWD/src/main/resources/linux-aarch64/libfiberswitch.so

# The harness: -mbranch-protection=standard signs its return addresses and gives it landing pads;
# -z force-bti marks the executable BTI, so qemu maps its pages guarded. Debian bookworm's arm64
# crt files carry no BTI marking, and the dynamic loader enters _start with br and calls crti's
# _init with blr, neither of which lands on a pad there; so the harness is linked with
# -nostartfiles, Scrt1.o, and its own entry (a bti jc pad) in front of _start. -ffp-contract=off
# keeps the model of the interleaving rule bit-exact with the fibers.
cflags=(-O2 -g0 -Wall -Wextra -Wno-unused-parameter -mbranch-protection=standard -fno-omit-frame-pointer
        -ffp-contract=off -I../native/include)
if ! aarch64-linux-gnu-gcc "${cflags[@]}" -nostartfiles -Wl,-e,harness_entry -Wl,-z,force-bti \
     -o "$work/harness" "$sysroot/lib/Scrt1.o" src/harness/harness.c src/harness/harness_asm.S \
     -ldl -lpthread 2> "$work/cc.log"; then
  cat "$work/cc.log"; echo "FAIL: the harness did not build"; exit 1
fi
grep -v 'BTI turned on by -z force-bti' "$work/cc.log" || true
if ! aarch64-linux-gnu-readelf -nW "$work/harness" | grep -q 'AArch64 feature: BTI'; then
  echo "FAIL: the harness is not marked BTI; the BTI rules would prove nothing"; exit 1
fi

status=0
run() {   # run LOG LIB [rules...]: stdout and stderr to LOG, exit code to LOG.rc
  local log=$1; shift
  (cd "$work" && timeout 900 "$qemu" -cpu max -L "$sysroot" ./harness "$@"; echo $? > "$log.rc") > "$log" 2>&1
}
# qemu reports each expected death of a child process on stderr; keep those lines out of the view.
show() { grep -v '^qemu: uncaught target signal' "$1"; }

echo "== qemu harness: $("$qemu" --version | head -1), -cpu max, sysroot $sysroot"
run "$work/ok.log" "$lib"
show "$work/ok.log"
last=$(tail -n 1 "$work/ok.log")
if ! [[ "$last" =~ ^([0-9]+)\ passed,\ ([0-9]+)\ failed$ ]]; then
  echo "FAIL: the harness did not finish (exit $(cat "$work/ok.log.rc"), last line: $last)"; status=1
elif [ "${BASH_REMATCH[2]}" != 0 ] || [ "${BASH_REMATCH[1]}" = 0 ]; then
  echo "FAIL: $last"; status=1
elif [ "$(cat "$work/ok.log.rc")" != 0 ]; then
  echo "FAIL: harness exit code $(cat "$work/ok.log.rc")"; status=1
fi
log=$(cat "$work/ok.log")
for rule in layout exports_start_with_bti_c pac_is_live bti_is_enforced pac_signed_return_addresses_on_fiber_stacks \
            callback_bad_user_data_traps callback_body_unwinds_to_caller recursion_hits_the_guard_page \
            jni_register_names_signatures_abi jni_read_fpenv jni_prepare_same_frame jni_arguments_reach_the_switch; do
  grep -qx "PASS $rule" <<<"$log" || { echo "FAIL: the rule '$rule' did not pass"; status=1; }
done
c_rules=$(grep -c '^PASS .* \[c\]$' <<<"$log")
jni_rules=$(grep -c '^PASS .* \[jni\]$' <<<"$log")
if [ "$c_rules" -lt 13 ] || [ "$jni_rules" != "$c_rules" ]; then
  echo "FAIL: $c_rules switch rules passed through the C entries but $jni_rules through the JNI natives (want 13 each)"; status=1
else
  echo "ok: all $c_rules switch rules passed through the C entries and again through the registered JNI natives"
fi

# Negative controls: NAME | sed program applied to the source | rule that must fail | rule that must pass.
# Each sed program is confined to one function, so that it breaks exactly one thing.
src=../native/src/fiberswitch_aarch64_aapcs64.S
sw='/^LOCAL_FN(fiberswitch_switch)/,/^SIZE_FN(fiberswitch_switch)/'
controls=(
  "switch loses x19|$sw s/^    ldp x19, x20, \[sp, #0x10\]$/    ldr x20, [sp, #0x18]/|callee_saved_registers|layout"
  "switch loses d8|$sw s/^1:  ldp d8, d9, \[sp, #0x60\]$/1:  ldr d9, [sp, #0x68]/|callee_saved_registers|layout"
  "switch never writes FPCR|$sw s/^    msr fpcr, x10$/    nop/|fpcr_isolation|callee_saved_registers"
  "callback body drops argument x5|/^LOCAL_FN(fiberswitch_callback_body)/,/^SIZE_FN/ s/^    stp x4, x5, \[x10, #FCB_CB_INT + 0x20\]$/    str x4, [x10, #FCB_CB_INT + 0x20]/|callback_stubs_all_positions_both_kinds|echo_probe"
  "prepare leaves the first return address unsigned|/^EXPORT(fiberswitch_prepare)/,/^SIZE_FN/ s/^    PACIA1716 .*$/    nop/|yield_resume|layout"
  "entry trampoline without .cfi_undefined x30|/^LOCAL_FN(fiberswitch_entry)/,/^SIZE_FN/ s/^    .cfi_undefined x30$//|first_frame_stops_unwinders|yield_resume"
  "no GNU property note (pages not guarded)|s/^    .word 3$/    .word 0/|bti_is_enforced|yield_resume"
)
echo "== negative controls: one deliberate defect per copy of the library, each must be caught"
i=0
for control in "${controls[@]}"; do
  IFS='|' read -r name prog must_fail must_pass <<<"$control"
  i=$((i + 1))
  mutant="$work/mutant$i.S"
  sed "$prog" "$src" > "$mutant"
  if cmp -s "$mutant" "$src"; then
    echo "FAIL: the defect '$name' did not apply to the source (did the source change?)"; status=1; continue
  fi
  # build-native.sh resolves --from relative to its own directory, so give an absolute path
  if ! ./build-native.sh --from "$mutant" --out "$work/mutant$i.so" --no-gates >/dev/null 2>"$work/mutant$i.err"; then
    cat "$work/mutant$i.err"; echo "FAIL: the copy with '$name' did not build"; status=1; continue
  fi
  run "$work/mutant$i.log" "$work/mutant$i.so" "$must_fail" "$must_pass"
  mlog=$(cat "$work/mutant$i.log")
  if grep -q "^FAIL $must_fail\b" <<<"$mlog" && grep -q "^PASS $must_pass\b" <<<"$mlog"; then
    echo "ok: $name: $(grep -m1 "^FAIL $must_fail\b" <<<"$mlog" | cut -c1-150)"
  else
    echo "FAIL: $name was not caught by $must_fail (or broke $must_pass too):"; show "$work/mutant$i.log"; status=1
  fi
done

echo "== ARM64 cell (qemu-user) took $(( $(date +%s) - start ))s; result: $([ $status = 0 ] && echo PASS || echo FAIL)"
exit $status
