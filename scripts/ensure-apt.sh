#!/usr/bin/env bash
# Install the Debian packages listed in requirements-apt.txt that are missing.
# As root it runs apt-get; otherwise it prints the exact command and fails.
set -euo pipefail

list=${1:-requirements-apt.txt}
mapfile -t wanted < <(sed -e 's/#.*//' -e 's/[[:space:]]//g' "$list" | grep -v '^$' || true)
[ ${#wanted[@]} -eq 0 ] && exit 0

missing=()
for pkg in "${wanted[@]}"; do
  status=$(dpkg-query -W -f='${db:Status-Status}' "$pkg" 2>/dev/null || true)
  [ "$status" = "installed" ] || missing+=("$pkg")
done
[ ${#missing[@]} -eq 0 ] && exit 0

cmd="apt-get install -y --no-install-recommends ${missing[*]}"
if [ "$(id -u)" -ne 0 ]; then
  echo "vigie: missing Debian packages: ${missing[*]}" >&2
  echo "vigie: run as root: apt-get update && $cmd" >&2
  exit 1
fi
echo "vigie: installing Debian packages: ${missing[*]}" >&2
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
$cmd -qq >/dev/null
