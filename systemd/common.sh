# Shared by install.sh and uninstall.sh (sourced, never run): where an installed
# Vigie lives, its units, and the message helpers. Set SCRIPT before sourcing.

PREFIX=/opt/vigie
ETC=/etc/vigie
CONFIG=$ETC/vigie.toml   # the configuration every command reads (the units pass it with --config)
STATE=/var/lib/vigie
UNIT_DIR=/etc/systemd/system
USER_NAME=vigie
UNITS_SERVICE="vigie-api.service vigie-watch.service vigie-watchd.service vigie-generate.service vigie-poll.service vigie-build.service vigie-notify.service vigie-syslog.service"
UNITS_TIMER="vigie-watch.timer vigie-generate.timer vigie-build.timer"
UNITS_SOCKET="vigie-syslog.socket"
# Units an older Vigie installed and this one no longer has (removed on update and uninstall).
UNITS_OLD="vigie-poll.timer"
# Drop-ins, as paths under the unit folder: the sandbox every vigie-*.service shares.
DROPINS="vigie-.service.d/10-sandbox.conf"

say() { echo "vigie-$SCRIPT: $*"; }
die() { echo "vigie-$SCRIPT: error: $*" >&2; exit 1; }

# require_root WHY: stops unless running as root.
require_root() { [ "$(id -u)" -eq 0 ] || die "run me as root${1:+ ($1)}"; }

# require_absolute_prefix: --prefix must name an absolute folder other than /.
require_absolute_prefix() {
  case $PREFIX in /?*) ;; *) die "--prefix must be an absolute path, not '$PREFIX'" ;; esac
}
