#!/usr/bin/env bash
# Removes the Vigie services and application installed by install.sh.
# Keeps the configuration (/etc/vigie) and the data (/var/lib/vigie) unless
# --purge is given, so a reinstall finds its database and machines again.
set -euo pipefail

SCRIPT=uninstall
# shellcheck source=systemd/common.sh
. "$(dirname "${BASH_SOURCE[0]}")/common.sh"
PURGE=no

usage() {
  cat <<USAGE
usage: uninstall.sh [--prefix DIR] [--purge]

Stops and removes the Vigie units and the application (run as root).

  --prefix DIR   where the application was installed (default $PREFIX)
  --purge        also delete $ETC, $STATE (database, samples, site) and the $USER_NAME user
  -h, --help     this help
USAGE
}

while [ $# -gt 0 ]; do
  case $1 in
    --prefix) PREFIX=${2:?--prefix needs a folder}; shift 2 ;;
    --purge) PURGE=yes; shift ;;
    -h|--help) usage; exit 0 ;;
    *) usage >&2; die "unknown option: $1" ;;
  esac
done
require_root
require_absolute_prefix

running=no; [ -d /run/systemd/system ] && running=yes
for u in $UNITS_OLD $UNITS_TIMER $UNITS_SOCKET $UNITS_SERVICE; do  # timers and sockets first: nothing restarts a stopped service
  [ -f "$UNIT_DIR/$u" ] || continue
  if [ $running = yes ]; then systemctl disable -q --now "$u" 2>/dev/null || true
  else systemctl disable -q "$u" 2>/dev/null || true; fi
  rm -f "$UNIT_DIR/$u"
  say "removed $u"
done
for d in $DROPINS; do
  [ -f "$UNIT_DIR/$d" ] || continue
  rm -f "$UNIT_DIR/$d"
  rmdir "$UNIT_DIR/$(dirname "$d")" 2>/dev/null || true
  say "removed $d"
done
if [ $running = yes ]; then systemctl daemon-reload; systemctl reset-failed 'vigie-*' 2>/dev/null || true; fi

if [ -f "$PREFIX/api.py" ]; then rm -rf "$PREFIX"; say "removed $PREFIX"; fi

if [ $PURGE = yes ]; then
  rm -rf "$ETC" "$STATE" "/var/lib/private/$USER_NAME"
  say "removed $ETC and $STATE"
  if getent passwd "$USER_NAME" >/dev/null; then userdel "$USER_NAME"; say "removed user $USER_NAME"; fi
  if getent group "$USER_NAME" >/dev/null; then groupdel "$USER_NAME"; fi
else
  say "kept $ETC (vigie.toml, machines, credentials) and $STATE (database, samples, site); --purge removes them"
fi
