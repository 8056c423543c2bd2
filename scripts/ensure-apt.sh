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

# Wait for another apt or dpkg run (unattended upgrades, a parallel install) instead of failing.
lock="-o DPkg::Lock::Timeout=600"
cmd="apt-get $lock install -y --no-install-recommends ${missing[*]}"
if [ "$(id -u)" -ne 0 ]; then
  echo "vigie: missing Debian packages: ${missing[*]}" >&2
  echo "vigie: run as root: apt-get update && $cmd" >&2
  exit 1
fi
echo "vigie: installing Debian packages: ${missing[*]}" >&2
# one install at a time from this project (two checkouts running `make deps` at once)
exec 9>/var/lock/vigie-apt.lock && flock 9
export DEBIAN_FRONTEND=noninteractive
apt-get $lock update -qq
$cmd -qq >/dev/null
