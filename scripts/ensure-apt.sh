#!/usr/bin/env bash
# The Debian packages of the lists given (requirements-apt-*.txt) that are missing.
#   ensure-apt.sh LIST...          install them: as root with apt-get; otherwise print the
#                                  exact command and fail
#   ensure-apt.sh --check LIST...  only say which are missing and what each is for (the text
#                                  after '#' on its line); never installs, never fails
set -euo pipefail

check=no
if [ "${1:-}" = --check ]; then
  check=yes
  shift
fi
[ $# -gt 0 ] || set -- requirements-apt-test.txt

declare -A why=()
wanted=()
for list in "$@"; do
  while IFS= read -r line; do
    pkg=$(sed -e 's/#.*//' -e 's/[[:space:]]//g' <<<"$line")
    [ -n "$pkg" ] || continue
    wanted+=("$pkg")
    why[$pkg]=$(sed -n -e 's/^[^#]*#[[:space:]]*//p' <<<"$line")
  done <"$list"
done
[ ${#wanted[@]} -eq 0 ] && exit 0

if ! command -v dpkg-query >/dev/null; then
  [ $check = yes ] && { echo "vigie: not a Debian system (no dpkg-query): optional tools not checked" >&2; exit 0; }
  echo "vigie: not a Debian system (no dpkg-query): install the equivalents of ${wanted[*]}" >&2
  exit 1
fi
missing=()
for pkg in "${wanted[@]}"; do
  status=$(dpkg-query -W -f='${db:Status-Status}' "$pkg" 2>/dev/null || true)
  [ "$status" = "installed" ] || missing+=("$pkg")
done
[ ${#missing[@]} -eq 0 ] && exit 0

if [ $check = yes ]; then
  for pkg in "${missing[@]}"; do
    echo "vigie: optional Debian package $pkg is not installed: ${why[$pkg]:-(no reason given)}; as root: apt-get install $pkg" >&2
  done
  exit 0
fi

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
