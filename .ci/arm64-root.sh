#!/usr/bin/env bash
# The arm64 (aarch64) Debian root that runs an arm64 JVM, and native arm64 programs, under
# qemu-user on this x86-64 machine. It is a Docker image, built once and then reused:
#
#   bash .ci/arm64-root.sh            install qemu-user-static and binfmt-support, enable the
#                                     qemu-aarch64 binfmt handler, build (or reuse) the image,
#                                     prove `java -version` runs in it
#   bash .ci/arm64-root.sh --rootfs D also unpack the image's file system into D (for
#                                     `qemu-aarch64-static -L D`, which runs arm64 programs against
#                                     the root's own libraries without a container)
#
# The image is fiberswitch/debian-arm64:bookworm-<hash>, where the hash covers the suite, the
# variant, the architecture and the package list; fiberswitch/debian-arm64:bookworm points at it.
# Why a Docker image and not a tarball under /var/cache: the container matrix already builds its
# x86-64 images this way and runs its cells through Testcontainers against the same local dockerd,
# so the arm64 cells of phase 2 can be the same kind of cell; Docker keeps the image between runs
# without any cache bookkeeping of ours; and with the binfmt handler registered with the F flag
# (fix_binary, Debian's default for qemu-user-static) the kernel runs the arm64 binaries inside a
# container without a qemu binary in the image.
#
# Nothing is pulled: debootstrap reads the Debian mirror this host's apt uses (from /etc/apt at run
# time, as .ci/containers.sh does), and the root is loaded with `docker import`. Docker 20.10
# without experimental features ignores `docker import --platform`, so the image's metadata says
# linux/amd64 although every binary in it is arm64; the label org.fiberswitch.arch=arm64 says what
# it is, and containers are started WITHOUT --platform (which would refuse the mismatch). The first
# build runs debootstrap's second stage under emulation and takes minutes; a second run only checks
# that the tag exists and runs `java -version`.
set -euo pipefail
cd "$(dirname "$0")/.."
t0=$(date +%s)
step_start=$t0
step() {
  local now; now=$(date +%s)
  printf '==== [arm64-root] %s (previous step %ss, total %ss)\n' "$1" "$((now - step_start))" "$((now - t0))"
  step_start=$now
}
loud() { printf '!!!! %s !!!!\n' "$*" >&2; }

rootfs_dir=
if [ "${1:-}" = --rootfs ]; then
  [ $# -eq 2 ] || { echo "usage: $0 [--rootfs DIR]" >&2; exit 2; }
  rootfs_dir=$2
elif [ $# -gt 0 ]; then
  echo "usage: $0 [--rootfs DIR]" >&2; exit 2
fi

SUITE=bookworm
VARIANT=minbase
ARCH=arm64
# openjdk-17-jre-headless: the JVM the kit runs in. libsqlite3-0, libexpat1, libcurl4: the native
# libraries the examples drive (the x86-64 CI installs the same ones). libboost-context1.74.0:
# Boost.Context's arm64 jump_fcontext, the anchor of bench/native/run-arm64.sh. No compiler: the
# natives are prebuilt and committed.
PACKAGES=openjdk-17-jre-headless,libsqlite3-0,libexpat1,libcurl4,libboost-context1.74.0

step "tools: qemu-user-static, binfmt-support, docker, debootstrap"
export DEBIAN_FRONTEND=noninteractive
need=()
command -v qemu-aarch64-static >/dev/null 2>&1 || need+=(qemu-user-static)
command -v update-binfmts >/dev/null 2>&1 || need+=(binfmt-support)
command -v dockerd >/dev/null 2>&1 || need+=(docker.io)
command -v debootstrap >/dev/null 2>&1 || need+=(debootstrap)
if [ ${#need[@]} -gt 0 ]; then
  if [ "$(id -u)" != 0 ]; then
    loud "ARM64 ROOT NOT BUILT: ${need[*]} missing and not root to install them"
    exit 1
  fi
  apt-get update -qq
  apt-get install -y -qq --no-install-recommends "${need[@]}" >/dev/null
fi

step "binfmt: qemu-aarch64"
if [ ! -e /proc/sys/fs/binfmt_misc/status ]; then
  mount -t binfmt_misc binfmt_misc /proc/sys/fs/binfmt_misc || {
    loud "ARM64 ROOT NOT USABLE: cannot mount binfmt_misc (a container without the privilege?)"
    exit 1
  }
fi
if [ ! -e /proc/sys/fs/binfmt_misc/qemu-aarch64 ]; then
  update-binfmts --enable qemu-aarch64
fi
if ! grep -qx enabled /proc/sys/fs/binfmt_misc/qemu-aarch64; then
  loud "ARM64 ROOT NOT USABLE: the qemu-aarch64 binfmt handler is registered but disabled"
  exit 1
fi
# F (fix binary): the kernel keeps the interpreter open, so it works inside containers too.
grep -E '^(interpreter|flags)' /proc/sys/fs/binfmt_misc/qemu-aarch64 | tr '\n' ' '; echo
grep -q '^flags:.*F' /proc/sys/fs/binfmt_misc/qemu-aarch64 || \
  loud "the qemu-aarch64 handler lacks the F flag: arm64 containers will not find their interpreter"

step "docker daemon"
if ! docker info >/dev/null 2>&1; then
  log=$(mktemp /tmp/fiberswitch-dockerd.XXXXXX.log)
  echo "starting dockerd --bridge=none (log: $log)"
  nohup dockerd --bridge=none >"$log" 2>&1 &
  for _ in $(seq 1 60); do
    docker info >/dev/null 2>&1 && break
    sleep 1
  done
  if ! docker info >/dev/null 2>&1; then
    tail -20 "$log" >&2 || true
    loud "ARM64 ROOT NOT BUILT: dockerd did not answer within 60 s"
    exit 1
  fi
fi
docker version --format 'docker server {{.Server.Version}} (API {{.Server.APIVersion}})'

# The Debian mirror this host's apt uses: the first deb URI whose path ends in /debian.
host_mirror() {
  {
    grep -hE '^[[:space:]]*deb[[:space:]]' /etc/apt/sources.list /etc/apt/sources.list.d/*.list 2>/dev/null \
      | awk '{for (i = 2; i <= NF; i++) if ($i ~ /:\/\//) { print $i; break }}'
    grep -hE '^[[:space:]]*URIs:' /etc/apt/sources.list.d/*.sources 2>/dev/null \
      | awk '{for (i = 2; i <= NF; i++) print $i}'
  } | sed 's:/*$::' | grep -E '/debian$' | awk 'NR == 1'
}

step "image"
hash=$(printf '%s\n' "$SUITE" "$VARIANT" "$ARCH" "$PACKAGES" | sha256sum | cut -c1-12)
image="fiberswitch/debian-arm64:$SUITE-$hash"
if docker image inspect "$image" >/dev/null 2>&1; then
  echo "reusing $image ($PACKAGES)"
else
  mirror=$(host_mirror)
  if [ -z "$mirror" ]; then
    loud "ARM64 ROOT NOT BUILT: no Debian mirror found in /etc/apt/sources.list(.d)"
    exit 1
  fi
  echo "Debian mirror (from this host's apt sources): $mirror"
  s=$(date +%s)
  dir=$(mktemp -d "/var/tmp/fiberswitch-$SUITE-$ARCH.XXXXXX")
  echo "debootstrap --arch=$ARCH --variant=$VARIANT --include=$PACKAGES $SUITE $dir (log: $dir.log)"
  if ! debootstrap --arch="$ARCH" --variant="$VARIANT" --include="$PACKAGES" "$SUITE" "$dir" "$mirror" \
      >"$dir.log" 2>&1; then
    tail -15 "$dir.log" >&2 || true
    loud "ARM64 ROOT NOT BUILT: debootstrap failed (log: $dir.log)"
    rm -rf "$dir"
    exit 1
  fi
  echo "debootstrap took $(( $(date +%s) - s ))s"
  # Docs, man pages and apt caches are not needed to run a JVM.
  rm -rf "$dir"/usr/share/doc/* "$dir"/usr/share/man/* "$dir"/var/cache/apt/archives/*.deb \
    "$dir"/var/lib/apt/lists/*
  tar --numeric-owner -C "$dir" -c . | docker import \
    -c 'ENV PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin' \
    -c 'LABEL org.fiberswitch.arch=arm64' \
    -m "debootstrap --arch=$ARCH $VARIANT $SUITE + $PACKAGES" - "$image" >/dev/null
  rm -rf "$dir" "$dir.log"
  echo "built $image in $(( $(date +%s) - s ))s"
fi
docker tag "$image" "fiberswitch/debian-arm64:$SUITE"
echo "image label org.fiberswitch.arch: $(docker image inspect --format '{{index .Config.Labels "org.fiberswitch.arch"}}' "$image")"

step "proof: java -version in the arm64 root"
s=$(date +%s%N)
jv=$(docker run --rm --network none "$image" \
  sh -c 'uname -m; java -version 2>&1; java -XshowSettings:properties -version 2>&1 | grep -E "os.arch ="')
echo "$jv" | sed 's/^/  /'
echo "  (took $(( ($(date +%s%N) - s) / 1000000 )) ms)"
if ! echo "$jv" | head -1 | grep -qx aarch64 || ! echo "$jv" | grep -q 'os.arch = aarch64'; then
  loud "the arm64 root did not run an aarch64 JVM"
  exit 1
fi

if [ -n "$rootfs_dir" ]; then
  step "unpack the root into $rootfs_dir"
  if [ -e "$rootfs_dir/.fiberswitch-image" ] && [ "$(cat "$rootfs_dir/.fiberswitch-image")" = "$image" ]; then
    echo "reusing $rootfs_dir (unpacked from $image)"
  else
    rm -rf "$rootfs_dir"
    mkdir -p "$rootfs_dir"
    cid=$(docker create "$image" true)
    docker export "$cid" | tar -C "$rootfs_dir" -x --exclude='dev/*'
    docker rm "$cid" >/dev/null
    echo "$image" > "$rootfs_dir/.fiberswitch-image"
    echo "unpacked $image into $rootfs_dir"
  fi
fi

step "done"
