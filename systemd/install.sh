#!/usr/bin/env bash
# Installs Vigie as a set of systemd services, or updates an installed copy.
#
#   app      PREFIX (default /opt/vigie), its virtualenv in PREFIX/.venv
#   config   /etc/vigie: vigie.toml (every setting; kept once written), machines/,
#            credentials/ (root only)
#   state    /var/lib/vigie: vigie.db, admin.password, samples/, alertfiles/, www/
#
# Idempotent: a second run with the same sources changes nothing and restarts
# nothing. Run it as root from a checkout: `bash systemd/install.sh`.
set -euo pipefail

SCRIPT=install
# shellcheck source=systemd/common.sh
. "$(dirname "${BASH_SOURCE[0]}")/common.sh"
# shellcheck source=systemd/traps.sh
. "$(dirname "${BASH_SOURCE[0]}")/traps.sh"
WHEELHOUSE=
WATCHER=timer
DEMO=no
START=yes
PYTHON=python3

usage() {
  cat <<EOF
usage: install.sh [options]

Installs or updates Vigie under systemd (run as root, from a checkout).

  --prefix DIR       where the application goes (default $PREFIX)
  --wheelhouse DIR   install Python packages from this folder only (no network)
  --watcher MODE     'timer' (vigie-watch.timer, default) or 'daemon' (vigie-watchd.service)
  --python PATH      Python 3.11+ used to make the virtualenv (default $PYTHON)
  --demo             also enable vigie-generate.timer: invented alerts for a demonstration
                     (without it, an update turns that timer off)
  --no-start         install and enable, but start nothing
  -h, --help         this help
EOF
}

while [ $# -gt 0 ]; do
  case $1 in
    --prefix) PREFIX=${2:?--prefix needs a folder}; shift 2 ;;
    --wheelhouse) WHEELHOUSE=${2:?--wheelhouse needs a folder}; shift 2 ;;
    --watcher) WATCHER=${2:?--watcher needs timer or daemon}; shift 2 ;;
    --python) PYTHON=${2:?--python needs a path}; shift 2 ;;
    --demo) DEMO=yes; shift ;;
    --no-start) START=no; shift ;;
    -h|--help) usage; exit 0 ;;
    *) usage >&2; die "unknown option: $1" ;;
  esac
done

SRC=$(cd "$(dirname "$0")/.." && pwd)
require_root "I create a system user and install units"
[ -f "$SRC/api.py" ] && [ -f "$SRC/requirements.txt" ] || die "$SRC does not look like a Vigie checkout"
case $WATCHER in timer|daemon) ;; *) die "--watcher must be 'timer' or 'daemon', not '$WATCHER'" ;; esac
require_absolute_prefix
[ -z "$WHEELHOUSE" ] || [ -d "$WHEELHOUSE" ] || die "no such wheelhouse folder: $WHEELHOUSE"
"$PYTHON" -c 'import sys, venv, ensurepip; sys.exit(sys.version_info < (3, 11))' 2>/dev/null ||
  die "$PYTHON must be Python 3.11 or newer with venv (Debian: apt-get install python3-venv)"

CHANGED_APP=no
CHANGED_UNITS=no
VPY=$PREFIX/.venv/bin/python

# install_file SRC DEST MODE [OWNER]: copies only when the content or mode differs.
install_file() {
  local src=$1 dest=$2 mode=$3 owner=${4:-root:root}
  if [ -f "$dest" ] && cmp -s "$src" "$dest" &&
     [ "$(stat -c '%a %U:%G' "$dest")" = "${mode#0} $owner" ]; then
    return 1
  fi
  install -D -m "$mode" -o "${owner%%:*}" -g "${owner##*:}" "$src" "$dest"
  return 0
}

# make_dir DIR MODE OWNER: creates DIR or fixes its mode and owner.
make_dir() {
  local dir=$1 mode=$2 owner=$3
  if [ -d "$dir" ] && [ "$(stat -c '%a %U:%G' "$dir")" = "${mode#0} $owner" ]; then
    return 0
  fi
  install -d -m "$mode" -o "${owner%%:*}" -g "${owner##*:}" "$dir"
  say "folder $dir ($mode $owner)"
}

create_user() {
  getent group "$USER_NAME" >/dev/null || { groupadd --system "$USER_NAME"; say "group $USER_NAME created"; }
  if ! getent passwd "$USER_NAME" >/dev/null; then
    useradd --system --gid "$USER_NAME" --home-dir "$STATE" --no-create-home \
      --shell /usr/sbin/nologin --comment "Vigie supervision" "$USER_NAME"
    say "system user $USER_NAME created"
  fi
}

# The application: api.py and the Python packages with their data and scripts.
app_files() {
  (cd "$SRC" && {
    echo api.py; echo requirements.txt; echo README.md
    find vigie collector site_builder -type f ! -path '*/__pycache__/*' ! -name '*.pyc' ! -name '.*'
  } | sort)
}

copy_app() {
  local f mode n=0 files
  files=$(app_files)
  make_dir "$PREFIX" 0755 root:root
  while IFS= read -r f; do
    [ -f "$SRC/$f" ] || continue
    mode=0644; [ -x "$SRC/$f" ] && mode=0755
    if install_file "$SRC/$f" "$PREFIX/$f" "$mode"; then n=$((n + 1)); fi
  done <<< "$files"
  # Files left over from an older version.
  while IFS= read -r f; do
    f=${f#"$PREFIX"/}
    if ! grep -qxF "$f" <<< "$files"; then rm -f "$PREFIX/$f"; n=$((n + 1)); say "removed old $PREFIX/$f"; fi
  done < <(find "$PREFIX/vigie" "$PREFIX/collector" "$PREFIX/site_builder" -type f \
             ! -path '*/__pycache__/*' ! -name '*.pyc' 2>/dev/null)
  if [ "$n" -gt 0 ]; then CHANGED_APP=yes; say "$n application files copied to $PREFIX"; fi
}

make_venv() {
  local want have
  want=$(sha256sum "$SRC/requirements.txt" | cut -d' ' -f1)
  have=$(cat "$PREFIX/.venv/.vigie-requirements" 2>/dev/null || true)
  if [ ! -x "$VPY" ]; then
    say "making the virtualenv $PREFIX/.venv"
    "$PYTHON" -m venv "$PREFIX/.venv"
    have=
  fi
  if [ "$want" != "$have" ]; then
    say "installing Python packages${WHEELHOUSE:+ from $WHEELHOUSE}"
    local pip=("$VPY" -m pip install --quiet --disable-pip-version-check --no-cache-dir)
    [ -n "$WHEELHOUSE" ] && pip+=(--no-index --find-links "$WHEELHOUSE")
    "${pip[@]}" -r "$SRC/requirements.txt"
    echo "$want" > "$PREFIX/.venv/.vigie-requirements"
    CHANGED_APP=yes
  fi
  if [ "$CHANGED_APP" = yes ]; then
    # The services cannot write to PREFIX: compile the bytecode now.
    "$VPY" -m compileall -q "$PREFIX/api.py" "$PREFIX/vigie" "$PREFIX/collector" "$PREFIX/site_builder" >/dev/null
  fi
}

make_folders() {
  make_dir "$ETC" 0755 root:root
  make_dir "$ETC/machines" 0750 "$USER_NAME:$USER_NAME"
  make_dir "$ETC/credentials" 0700 root:root
  make_dir "$STATE" 0750 "$USER_NAME:$USER_NAME"
  local d
  for d in alertfiles samples www logs; do make_dir "$STATE/$d" 0750 "$USER_NAME:$USER_NAME"; done
  write_config
}

# env_setting NAME: the value of NAME in an older install's vigie.env, if it sets one.
env_setting() {
  sed -n "s/^[[:space:]]*$1=\(.*\)$/\1/p" "$ETC/vigie.env" | tail -n 1 | sed 's/^["'"'"']\(.*\)["'"'"']$/\1/'
}

# write_config: $CONFIG, the one file every command reads, written once (an existing one is
# kept as it is) with the installed folders; the settings of an older install's vigie.env
# are carried into it. Every other setting is listed, commented out at its default.
write_config() {
  [ -f "$CONFIG" ] && return 0
  local sets=(--set "paths.data=$STATE" --set "paths.machines=$ETC/machines"
              --set "paths.alertfiles=$STATE/alertfiles" --set "paths.www=$STATE/www")
  local name key value
  if [ -f "$ETC/vigie.env" ]; then
    for name in VIGIE_HOST=api.host VIGIE_PORT=api.port VIGIE_API=api.url VIGIE_SITE_URL=notify.site_url \
                VIGIE_SYSLOG_ALERT_SEVERITY=syslog.alert_severity VIGIE_GENERATE_COUNT=generate.count \
                VIGIE_GENERATE_SPAN=generate.span; do
      value=$(env_setting "${name%%=*}")
      [ -n "$value" ] && sets+=(--set "${name#*=}=$value")
    done
  fi
  local tmp
  tmp=$(mktemp)
  if ! (cd "$PREFIX" && PYTHONPATH=$PREFIX "$VPY" -B -m vigie config --template "${sets[@]}") > "$tmp"; then
    rm -f "$tmp"; die "cannot write $CONFIG (see above)"
  fi
  install -m 0644 -o root -g root "$tmp" "$CONFIG"
  rm -f "$tmp"
  say "settings written to $CONFIG"
  if [ -f "$ETC/vigie.env" ]; then
    mv "$ETC/vigie.env" "$ETC/vigie.env.old"
    say "the settings of $ETC/vigie.env were carried into $CONFIG; the old file, no longer read, is $ETC/vigie.env.old"
  fi
}

# remove_old_units: units an older version installed that this one replaced.
remove_old_units() {
  local u
  for u in $UNITS_OLD; do
    [ -f "$UNIT_DIR/$u" ] || continue
    if [ -d /run/systemd/system ]; then systemctl disable -q --now "$u" 2>/dev/null || true
    else systemctl disable -q "$u" 2>/dev/null || true; fi
    rm -f "$UNIT_DIR/$u"
    CHANGED_UNITS=yes
    say "removed $u (replaced by a service)"
  done
}

install_units() {
  remove_old_units
  local u tmp
  tmp=$(mktemp -d)
  for u in $UNITS_SERVICE $UNITS_TIMER $UNITS_SOCKET $DROPINS; do
    mkdir -p "$tmp/$(dirname "$u")"
    sed "s#/opt/vigie#$PREFIX#g" "$SRC/systemd/$u" > "$tmp/$u"
    if install_file "$tmp/$u" "$UNIT_DIR/$u" 0644; then CHANGED_UNITS=yes; say "unit $UNIT_DIR/$u"; fi
  done
  rm -rf "$tmp"
  if [ "$CHANGED_UNITS" = yes ] && [ -d /run/systemd/system ]; then systemctl daemon-reload; fi
}

as_user() { (cd "$PREFIX" && umask 027 && runuser -u "$USER_NAME" -- "$@"); }

# The admin account and the watcher's API token, made once.
bootstrap_accounts() {
  local pwfile=$STATE/admin.password token=$ETC/credentials/watcher.token
  if [ ! -f "$pwfile" ]; then
    as_user sh -c "umask 077; '$VPY' -c 'import secrets; print(secrets.token_urlsafe(18))' > '$pwfile'"
    as_user "$VPY" "$PREFIX/api.py" adduser admin --role admin --password-file "$pwfile" --config "$CONFIG"
    say "admin account created; its password is in $pwfile"
  fi
  if [ ! -s "$token" ]; then
    local pw=$STATE/.watcher.password out=$STATE/.watcher.token
    # "watcher": the service account of vigie/roles.py (WATCHER_USER), which the API keeps
    if ! as_user "$VPY" "$PREFIX/api.py" mktoken watcher --config "$CONFIG" --out "$out" 2>/dev/null; then
      as_user sh -c "umask 077; '$VPY' -c 'import secrets; print(secrets.token_urlsafe(24))' > '$pw'"
      as_user "$VPY" "$PREFIX/api.py" adduser watcher --role operator --password-file "$pw" --config "$CONFIG"
      rm -f "$pw"
      as_user "$VPY" "$PREFIX/api.py" mktoken watcher --config "$CONFIG" --out "$out"
    fi
    install -m 0600 -o root -g root "$out" "$token"
    rm -f "$out"
    say "watcher token written to $token (passed to the watcher with LoadCredential=)"
  fi
}

enable_units() {
  local wanted=(vigie-api.service vigie-notify.service vigie-syslog.socket vigie-syslog.service vigie-poll.service
                vigie-build.timer) unwanted=()
  if [ "$WATCHER" = daemon ]; then wanted+=(vigie-watchd.service); unwanted+=(vigie-watch.timer)
  else wanted+=(vigie-watch.timer); unwanted+=(vigie-watchd.service); fi
  # Invented alerts only on a demonstration install: a real one collects real ones.
  if [ "$DEMO" = yes ]; then wanted+=(vigie-generate.timer); else unwanted+=(vigie-generate.timer); fi
  local u
  for u in "${unwanted[@]}"; do
    if systemctl is-enabled -q "$u" 2>/dev/null; then
      systemctl disable -q "$u"; say "disabled $u"
      if [ -d /run/systemd/system ]; then systemctl stop "$u"; fi
    fi
  done
  for u in "${wanted[@]}"; do
    systemctl is-enabled -q "$u" 2>/dev/null || { systemctl enable -q "$u"; say "enabled $u"; }
  done
  [ "$START" = yes ] && [ -d /run/systemd/system ] || return 0
  if [ "$CHANGED_APP" = yes ] || [ "$CHANGED_UNITS" = yes ]; then
    systemctl try-restart vigie-api.service vigie-poll.service vigie-watchd.service vigie-notify.service vigie-syslog.service
  fi
  for u in "${wanted[@]}"; do
    systemctl is-active -q "$u" || { systemctl start "$u"; say "started $u"; }
  done
}

# SNMP traps, when Debian's snmptrapd is installed (apt-get install snmptrapd, then run me again).
traps() {
  if [ ! -x /usr/sbin/snmptrapd ]; then
    # said when something was installed, so that a run with nothing to do stays silent
    [ "$CHANGED_APP" = yes ] || [ "$CHANGED_UNITS" = yes ] &&
      say "snmptrapd is not installed: SNMP traps not set up (apt-get install snmptrapd, then run me again)"
    return 0
  fi
  configure_snmptrapd /etc/snmp/snmptrapd.conf
  if [ "$CHANGED_TRAPS" = yes ] && [ "$START" = yes ] && [ -d /run/systemd/system ]; then
    systemctl try-restart snmptrapd.service
  fi
}

create_user
copy_app
make_venv
make_folders
install_units
bootstrap_accounts
enable_units
traps
say "done. Site and API: $(cd "$PREFIX" && PYTHONPATH=$PREFIX "$VPY" -B -m vigie config --config "$CONFIG" --get api.url)/"
say "log in as admin with the password in $STATE/admin.password; machines go in $ETC/machines/"
