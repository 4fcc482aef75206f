#!/usr/bin/env bash
# The container matrix: runs the conformance kit inside Debian containers (bullseye, bookworm,
# trixie, each with its own JRE) and in hostile set-ups on bookworm (noexec /tmp, read-only root,
# non-root user, a 512 MiB memory limit). See containers/README.md.
#
#   bash .ci/containers.sh               install tools, start dockerd, build/reuse images, run the cells
#   bash .ci/containers.sh --images-only stop after the images
#
# Nothing is pulled: the images are built here with debootstrap from the Debian mirror this host's
# apt already uses (read from /etc/apt at run time) and loaded with `docker import`. An image is
# tagged fiberswitch/debian:<suite>-<hash of suite, variant and package list>, and reused while that
# tag exists; fiberswitch/debian:<suite> always points at the current one.
set -euo pipefail
cd "$(dirname "$0")/.."
t0=$(date +%s)
step_start=$t0
step() {
  local now; now=$(date +%s)
  printf '==== [containers] %s (previous step %ss, total %ss)\n' "$1" "$((now - step_start))" "$((now - t0))"
  step_start=$now
}
loud() { printf '!!!! %s !!!!\n' "$*" >&2; }

images_only=false
[ "${1:-}" = --images-only ] && images_only=true

# suite:package list (comma-separated, as debootstrap --include takes it)
SUITES=(
  "bullseye:openjdk-17-jre-headless"
  "bookworm:openjdk-17-jre-headless"
  "trixie:openjdk-21-jre-headless"
)
VARIANT=minbase

step "tools"
export DEBIAN_FRONTEND=noninteractive
need=()
command -v dockerd >/dev/null 2>&1 || need+=(docker.io)
command -v debootstrap >/dev/null 2>&1 || need+=(debootstrap)
if [ ${#need[@]} -gt 0 ]; then
  if [ "$(id -u)" != 0 ]; then
    loud "CONTAINER CELLS DID NOT RUN: ${need[*]} missing and not root to install them"
    exit 1
  fi
  apt-get update -qq
  apt-get install -y -qq --no-install-recommends "${need[@]}" >/dev/null
fi

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
    loud "CONTAINER CELLS DID NOT RUN: dockerd did not answer within 60 s"
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

step "images"
missing=()
mirror=""
for entry in "${SUITES[@]}"; do
  suite=${entry%%:*}
  pkgs=${entry#*:}
  hash=$(printf '%s\n' "$suite" "$VARIANT" "$pkgs" | sha256sum | cut -c1-12)
  image="fiberswitch/debian:$suite-$hash"
  if docker image inspect "$image" >/dev/null 2>&1; then
    echo "reusing $image ($pkgs)"
  else
    if [ -z "$mirror" ]; then
      mirror=$(host_mirror)
      if [ -z "$mirror" ]; then
        loud "CONTAINER CELLS DID NOT RUN: no Debian mirror found in /etc/apt/sources.list(.d)"
        exit 1
      fi
      echo "Debian mirror (from this host's apt sources): $mirror"
    fi
    s=$(date +%s)
    dir=$(mktemp -d "/var/tmp/fiberswitch-$suite.XXXXXX")
    echo "debootstrap --variant=$VARIANT --include=$pkgs $suite $dir"
    if debootstrap --variant="$VARIANT" --include="$pkgs" "$suite" "$dir" "$mirror" \
        >"$dir.log" 2>&1; then
      # Docs, man pages and apt lists are not needed to run a JVM; the caches make the image bigger.
      rm -rf "$dir"/usr/share/doc/* "$dir"/usr/share/man/* "$dir"/var/cache/apt/archives/*.deb \
        "$dir"/var/lib/apt/lists/*
      tar --numeric-owner -C "$dir" -c . | docker import \
        -c 'ENV PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin' \
        -m "debootstrap $VARIANT $suite + $pkgs" - "$image" >/dev/null
      echo "built $image in $(( $(date +%s) - s ))s"
      rm -rf "$dir" "$dir.log"
    else
      tail -15 "$dir.log" >&2 || true
      loud "IMAGE $suite WAS NOT BUILT (debootstrap failed, log: $dir.log): its cell will be skipped"
      rm -rf "$dir"
      missing+=("$suite")
      continue
    fi
  fi
  docker tag "$image" "fiberswitch/debian:$suite"
  jv=$(docker run --rm --network none "$image" java -version 2>&1 || true)
  echo "  $suite: ${jv%%$'\n'*}"
done

if $images_only; then
  step "done (images only)"
  exit 0
fi

step "cells: ./mvnw -B verify -pl containers -am"
missing_csv=$(IFS=,; echo "${missing[*]:-}")
export TESTCONTAINERS_RYUK_DISABLED=true
export TESTCONTAINERS_HOST_OVERRIDE=localhost
# -am builds api, testkit and spi-linux-x64 for their jars; their own tests already ran in
# `./mvnw verify`, so only the container matrix runs here.
./mvnw -B verify -pl containers -am -Dtest=ContainerMatrixTest -Dsurefire.failIfNoSpecifiedTests=false \
  -Dfiberswitch.containers=required -Dfiberswitch.containers.missing="$missing_csv"

step "reports"
find containers/target/fiberswitch-conformance -name '*.md' | sort
if [ ${#missing[@]} -gt 0 ]; then
  loud "images not built here: ${missing[*]}; those cells did NOT run"
fi
step "done"
