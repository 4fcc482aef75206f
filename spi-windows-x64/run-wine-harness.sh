#!/usr/bin/env bash
# Proves the Win64 port's ABI rules under Wine: builds the C/C++ harness with mingw-w64, runs it
# against the committed fiberswitch.dll (and against a fresh build of the asm, which must be the
# same bytes), then runs the negative control, a DLL built without TEB updates, which must FAIL
# the TEB rules. The switch rules run through the C entry points and again through the JNI natives
# that fiberswitch_jni_register registers on the harness's fake JNIEnv; both sets must pass.
#   ./run-wine-harness.sh                  exit non-zero if anything fails or cannot run
#   ./run-wine-harness.sh --allow-missing  exit 0 (after a loud notice) when wine or mingw is absent
# Needs: wine (64-bit), gcc-mingw-w64-x86-64-win32, g++-mingw-w64-x86-64-win32,
# binutils-mingw-w64-x86-64.
set -uo pipefail
cd "$(dirname "$0")"
allow_missing=0
[ "${1:-}" = "--allow-missing" ] && allow_missing=1

not_run() {
  echo "!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!"
  echo "!!! WINDOWS CELL DID NOT RUN: $1"
  echo "!!! The Win64 switch was NOT tested on this machine."
  echo "!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!"
  if [ $allow_missing = 1 ]; then exit 0; fi
  exit 1
}

# The 64-bit loader: Debian's wine package puts wine64 in /usr/lib/wine; newer wines have one `wine`.
# FIBERSWITCH_WINE names it explicitly.
wine=
if [ -n "${FIBERSWITCH_WINE:-}" ]; then
  [ -x "$FIBERSWITCH_WINE" ] || not_run "FIBERSWITCH_WINE=$FIBERSWITCH_WINE is not an executable"
  wine=$FIBERSWITCH_WINE
else
  for c in wine64 /usr/lib/wine/wine64 wine; do
    if command -v "$c" >/dev/null 2>&1; then wine=$(command -v "$c"); break; fi
  done
fi
[ -n "$wine" ] || not_run "no wine found (apt-get install -y wine wine64)"
for tool in x86_64-w64-mingw32-gcc x86_64-w64-mingw32-g++ x86_64-w64-mingw32-objdump; do
  command -v $tool >/dev/null || not_run "$tool not found (apt-get install -y gcc-mingw-w64-x86-64-win32 g++-mingw-w64-x86-64-win32 binutils-mingw-w64-x86-64)"
done

work=$(mktemp -d /tmp/fiberswitch-wine.XXXXXX)
trap 'WINEPREFIX="$work/prefix" wineserver -k >/dev/null 2>&1; rm -rf "$work"' EXIT
start=$(date +%s)

# The committed DLL must be what the source builds.
./build-native.sh --check || exit 1
mkdir -p "$work/ok" "$work/noteb"
cp src/main/resources/win32-x86-64/fiberswitch.dll "$work/ok/fiberswitch.dll"
./build-native.sh --out "$work/noteb" --no-teb >/dev/null || exit 1

# -O0 keeps the 8 KiB frames and their ___chkstk_ms calls; static so the exe needs no mingw DLLs.
cxxflags=(-O0 -g0 -Wall -Wno-infinite-recursion -I../native/include)
x86_64-w64-mingw32-gcc "${cxxflags[@]}" -c -o "$work/harness.o" src/harness/harness.c || exit 1
x86_64-w64-mingw32-g++ "${cxxflags[@]}" -c -o "$work/harness_cxx.o" src/harness/harness_cxx.cpp || exit 1
x86_64-w64-mingw32-g++ -static -static-libgcc -static-libstdc++ -o "$work/harness.exe" \
  "$work/harness.o" "$work/harness_cxx.o" || exit 1
# The deep-recursion rule is only meaningful if the compiler really emitted stack probes.
if ! grep -q '___chkstk_ms' <<<"$(x86_64-w64-mingw32-objdump -dr "$work/harness.o")"; then
  echo "FAIL: the harness has no ___chkstk_ms call; the guard-page recursion rule would prove nothing"; exit 1
fi

export WINEPREFIX="$work/prefix" WINEDEBUG=-all,err+unwind,err+seh WINEDLLOVERRIDES="mscoree,mshtml="
"$wine" wineboot -i >/dev/null 2>&1 || true

status=0
run() {   # run LOG DLL [rules...]
  local log=$1; shift
  # The subshell waits for wine itself, so a crash notice lands in the log, not on the console.
  (cd "$work" && timeout 600 "$wine" harness.exe "$@"; echo $? > "$log.rc") > "$log" 2>&1
}

echo "== Wine harness: $("$wine" --version 2>/dev/null), committed fiberswitch.dll"
run "$work/ok.log" 'ok\fiberswitch.dll'
cat "$work/ok.log"
last=$(tr -d '\r' < "$work/ok.log" | tail -n 1)
if ! [[ "$last" =~ ^([0-9]+)\ passed,\ ([0-9]+)\ failed$ ]]; then
  echo "FAIL: the harness did not finish (exit $(cat "$work/ok.log.rc"), last line: $last)"; status=1
elif [ "${BASH_REMATCH[2]}" != 0 ] || [ "${BASH_REMATCH[1]}" = 0 ]; then
  echo "FAIL: $last"; status=1
elif [ "$(cat "$work/ok.log.rc")" != 0 ]; then
  echo "FAIL: harness exit code $(cat "$work/ok.log.rc")"; status=1
fi
# The JNI binding: its own rules, and every switch rule run again through the natives.
log=$(tr -d '\r' < "$work/ok.log")
for rule in jni_register_names_signatures_abi jni_register_refused_clears_exception jni_read_fpenv \
            'jni_prepare_same_frame \[full\]' 'jni_prepare_same_frame \[trick\]' \
            'jni_arguments_reach_the_switch \[full\]' 'jni_arguments_reach_the_switch \[trick\]'; do
  grep -q "^PASS $rule" <<<"$log" || { echo "FAIL: the JNI rule '$rule' did not pass"; status=1; }
done
switch_log=$(grep -v '^PASS jni_' <<<"$log")
c_rules=$(grep -Ec '^PASS .*\[(full|trick)\]$' <<<"$switch_log")
jni_rules=$(grep -Ec '^PASS .*\[(full|trick), jni\]$' <<<"$switch_log")
if [ "$c_rules" = 0 ] || [ "$jni_rules" != "$c_rules" ]; then
  echo "FAIL: $c_rules switch rules passed through the C entries but $jni_rules through the JNI natives"; status=1
else
  echo "ok: JNI binding: registration checks passed, and all $c_rules switch rules passed again through the registered natives"
fi
# The callback path: every stub, and unwinding through a suspended callback and through the body.
for rule in 'callback_stubs_all_positions_both_kinds \[full\]' 'callback_stubs_all_positions_both_kinds \[trick\]' \
            'callback_suspended_stack_walks_to_caller \[full\]' 'callback_suspended_stack_walks_to_caller \[trick\]' \
            'callback_body_unwinds_to_caller$'; do
  grep -q "^PASS $rule" <<<"$log" || { echo "FAIL: the callback rule '$rule' did not pass"; status=1; }
done
# Wine only logs a bad unwind; it must never appear.
if grep -q 'RtlUnwindEx invalid frame\|invalid frame' "$work/ok.log"; then
  echo "FAIL: Wine logged an invalid frame during unwinding"; status=1
fi

echo "== negative control: fiberswitch.dll built with -DFIBERSWITCH_NO_TEB must be caught by the TEB rules"
# Each group must end in a failure, a crash, or a Wine "invalid frame" log line. setjmp is the case
# that only the log catches: msvcrt's longjmp still lands, after RtlUnwindEx logged the bad frame.
for group in teb deep cxx setjmp first_frame migration; do
  run "$work/noteb-$group.log" 'noteb\fiberswitch.dll' $group
  last=$(tr -d '\r' < "$work/noteb-$group.log" | tail -n 1)
  why=
  if grep -q 'invalid frame' "$work/noteb-$group.log"; then why="Wine logged an invalid frame"
  elif [[ "$last" =~ ^([0-9]+)\ passed,\ ([0-9]+)\ failed$ ]] && [ "${BASH_REMATCH[2]}" != 0 ]; then why="$last"
  elif [ "$(cat "$work/noteb-$group.log.rc")" != 0 ]; then why="the harness died (exit $(cat "$work/noteb-$group.log.rc"))"
  fi
  if [ -n "$why" ]; then
    echo "ok: without TEB updates, '$group' is caught: $why"
  else
    echo "FAIL: without TEB updates, '$group' still passes; that rule proves nothing:"; cat "$work/noteb-$group.log"; status=1
  fi
done
last=$(tr -d '\r' < "$work/noteb-teb.log" | tail -n 1)
# 2 rules x 2 modes x 2 bindings (C entries, JNI natives)
if ! [[ "$last" =~ ^0\ passed,\ ([0-9]+)\ failed$ ]] || [ "${BASH_REMATCH[1]}" -lt 8 ]; then
  echo "FAIL: the TEB field rules should all fail without TEB updates, through both bindings (last line: $last)"; status=1
fi

echo "== Windows cell (Wine) took $(( $(date +%s) - start ))s; result: $([ $status = 0 ] && echo PASS || echo FAIL)"
exit $status
