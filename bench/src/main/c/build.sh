#!/bin/sh
# Builds libfsbench.so (the callback loop and the candidate switch of bench/native/alt_switch.S)
# into the JNA resource path under $1 (target/classes).
set -eu
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../../../.." && pwd)
out="$1/linux-x86-64"
mkdir -p "$out"
exec gcc -O2 -shared -fPIC -Wl,--build-id=none -Wl,-z,noexecstack -I"$root/native/include" \
    -o "$out/libfsbench.so" "$here/fsbench.c" "$root/bench/native/alt_switch.S"
