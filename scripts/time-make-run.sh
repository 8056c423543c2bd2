#!/usr/bin/env bash
# How long `make run` takes on a fresh clone of this checkout (its HEAD, or the commit given),
# as a user who is not root: until the API answers on the URL, the banner is printed, and the
# site is built; then it stops it. As root it makes a temporary user for the run (removed
# afterwards); otherwise it runs as you. pip starts with an empty cache (a fresh HOME).
#   bash scripts/time-make-run.sh [COMMIT]
set -euo pipefail

here=$(cd "$(dirname "$0")/.." && pwd)
commit=$(git -C "$here" rev-parse --short "${1:-HEAD}")
dir=$(mktemp -d /tmp/vigie-fresh.XXXXXX)
user=
if [ "$(id -u)" -eq 0 ]; then
  user=vigie-time-$$
  useradd -m -s /bin/bash "$user"
  chown "$user:" "$dir"
fi
as_user() { if [ -n "$user" ]; then su "$user" -c "$1"; else HOME="$dir/home" bash -c "$1"; fi; }
cleanup() {
  [ -f "$dir/pgid" ] && kill -INT -- -"$(cat "$dir/pgid")" 2>/dev/null || true
  sleep 2
  if [ -n "$user" ]; then
    for pid in $(pgrep -u "$user" || true); do kill "$pid" 2>/dev/null || true; done
    userdel -r "$user" 2>/dev/null || true
  fi
  rm -rf "$dir"
}
trap cleanup EXIT
mkdir -p "$dir/home"
git -C "$here" bundle create "$dir/vigie.bundle" "$commit" HEAD 2>/dev/null
[ -n "$user" ] && chown -R "$user:" "$dir"
port=$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
as_user "cd $dir && git clone -q vigie.bundle vigie && git -C vigie -c advice.detachedHead=false checkout -q $commit"
echo "commit $commit, user $(as_user whoami), port $port, $(nproc) cores, load $(cut -d' ' -f1-3 /proc/loadavg)"

start=$(date +%s.%N)
as_user "cd $dir/vigie && setsid bash -c 'echo \$\$ > $dir/pgid; exec make run RUN_ARGS=\"--port $port\"' \
  > $dir/run.log 2>&1" &
since() { echo "$(date +%s.%N) - $start" | bc | xargs printf '%.0f'; }
url= banner= site=
while [ -z "$url" ] || [ -z "$banner" ] || [ -z "$site" ]; do
  if ! kill -0 $! 2>/dev/null && [ -z "$banner" ]; then
    echo "make run ended early:" >&2; tail -20 "$dir/run.log" >&2; exit 1
  fi
  [ -z "$url" ] && [ "$(curl -s -o /dev/null -w '%{http_code}' "http://127.0.0.1:$port/api/health")" = 200 ] &&
    url=$(since) && echo "the URL answers after $url s"
  [ -z "$banner" ] && grep -q "Vigie is running" "$dir/run.log" && banner=$(since) && echo "the banner after $banner s"
  [ -z "$site" ] && [ -f "$dir/vigie/www/index.html" ] && site=$(since) && echo "the site built after $site s"
  sleep 0.2
done
echo "load $(cut -d' ' -f1-3 /proc/loadavg); processes run as: $(ps -o user= -g "$(cat "$dir/pgid")" | sort -u | xargs)"
grep -E "optional Debian package" "$dir/run.log" || true
