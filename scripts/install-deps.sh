#!/usr/bin/env bash
# Installs the Debian packages a CreditHub command needs, when they are missing.
# Usage: scripts/install-deps.sh run|test|smoke
# Prints what it installed; does nothing when everything is present.
set -euo pipefail

purpose=${1:-run}
# Build and run: the system libraries the targets link.
packages=(libarchive-dev libsqlite3-dev libssl-dev libjemalloc-dev pkg-config)
case "$purpose" in
  run) ;;
  test) packages+=(postgresql postgresql-contrib chromium chromium-driver sqlite3) ;;
  smoke) packages+=(postgresql debootstrap) ;;
  *) echo "usage: $0 run|test|smoke" >&2; exit 2 ;;
esac

missing=()
for p in "${packages[@]}"; do
  if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed"; then
    missing+=("$p")
  fi
done

if ((${#missing[@]} == 0)); then
  echo "install-deps: all ${#packages[@]} packages for '$purpose' are present"
  exit 0
fi

if [[ $(id -u) -ne 0 ]]; then
  if command -v sudo >/dev/null && sudo -n true 2>/dev/null; then
    SUDO=sudo
  else
    echo "install-deps: missing packages: ${missing[*]}; run as root or install them: apt-get install ${missing[*]}" >&2
    exit 1
  fi
else
  SUDO=
fi

echo "install-deps: installing ${missing[*]}"
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -qq
$SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
echo "install-deps: installed ${missing[*]}"
