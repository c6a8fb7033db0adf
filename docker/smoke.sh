#!/usr/bin/env bash
# Proves the image's runtime stage is complete without a container engine:
#   1. builds the release binary as the Dockerfile's build stage does (static Swift stdlib);
#   2. makes a Debian bookworm minbase root with debootstrap holding only RUNTIME_PACKAGES from
#      docker/Dockerfile (cached under .build-smoke/; delete it to start over);
#   3. copies the binary in and runs `credithub serve` there (chroot) with the environment the
#      image sets, against a fresh PostgreSQL on loopback and then on the embedded SQLite store;
#   4. checks /health/ready answers 200.
# A shared library missing from RUNTIME_PACKAGES makes step 3 fail. Needs root (chroot, debootstrap).
set -euo pipefail
cd "$(dirname "$0")/.."
[[ $(id -u) -eq 0 ]] || { echo "smoke: run as root (debootstrap and chroot need it)" >&2; exit 1; }

packages=$(sed -n 's/^ARG RUNTIME_PACKAGES="\(.*\)"$/\1/p' docker/Dockerfile)
[[ -n $packages ]] || { echo "smoke: no RUNTIME_PACKAGES line in docker/Dockerfile" >&2; exit 1; }
echo "smoke: runtime packages: $packages"

echo "smoke: building the release binary"
swift build -c release --product credithub --static-swift-stdlib
binary="$(swift build -c release --show-bin-path)/credithub"

root=.build-smoke/rootfs
stamp=.build-smoke/packages
if [[ ! -f $stamp || $(cat "$stamp") != "$packages" ]]; then
  echo "smoke: debootstrap bookworm minbase into $root"
  rm -rf "$root"; mkdir -p "$root"
  debootstrap --variant=minbase --include="$(echo "$packages" | tr ' ' ',')" bookworm "$root" http://deb.debian.org/debian >/tmp/credithub-debootstrap.log 2>&1 \
    || { tail -20 /tmp/credithub-debootstrap.log >&2; exit 1; }
  echo "$packages" > "$stamp"
fi
install -D -m 0755 "$binary" "$root/usr/local/bin/credithub"
mkdir -p "$root/proc" "$root/dev"
mountpoint -q "$root/proc" || mount -t proc proc "$root/proc"
mountpoint -q "$root/dev" || mount --bind /dev "$root/dev"
cleanup_mounts() { umount "$root/proc" 2>/dev/null || true; umount "$root/dev" 2>/dev/null || true; }
trap cleanup_mounts EXIT

check() { # label, extra env…
  local label=$1; shift
  local port; port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
  rm -rf "$root/var/lib/credithub"; mkdir -p "$root/var/lib/credithub"
  # The environment docker/Dockerfile sets (ENV), with the port moved to a free one.
  chroot "$root" /usr/bin/env -i PATH=/usr/local/bin:/usr/bin:/bin HOME=/var/lib/credithub \
    CREDITHUB_HTTP_HOST=0.0.0.0 CREDITHUB_HTTP_PORT="$port" CREDITHUB_DATA_DIRECTORY=/var/lib/credithub/data \
    CREDITHUB_LOG_FORMAT=json TZ=Asia/Shanghai "$@" \
    /bin/sh -c 'cd /var/lib/credithub && exec /usr/local/bin/credithub serve' >".build-smoke/$label.log" 2>&1 &
  local pid=$!
  local status=000
  for _ in $(seq 1 60); do
    status=$(curl -s -o /dev/null -w '%{http_code}' "http://127.0.0.1:$port/health/ready" || true)
    [[ $status == 200 ]] && break
    kill -0 "$pid" 2>/dev/null || break
    sleep 0.5
  done
  kill -TERM "$pid" 2>/dev/null || true
  wait "$pid" 2>/dev/null || true
  if [[ $status != 200 ]]; then
    echo "smoke: $label: /health/ready answered $status; the server said:" >&2
    tail -20 ".build-smoke/$label.log" >&2
    return 1
  fi
  echo "smoke: $label: /health/ready 200"
}

check sqlite
scripts/with-postgres.sh bash -c "$(declare -f check); root=$root; check postgresql CREDITHUB_DATABASE_URL=\"\$CREDITHUB_TEST_DATABASE_URL\""
echo "smoke: passed"
