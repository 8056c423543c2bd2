# SNMP traps for install.sh (sourced, never run): Debian's snmptrapd receives them and
# runs `python -m collector.traps` for each one. Uses PREFIX, ETC, CONFIG, USER_NAME and
# VPY from the installer, and its say().
#
#   $ETC/snmptrapd-handler.conf  the traphandle line, rewritten by every install
#   $ETC/snmptrapd-access.conf   who may send traps (communities, SNMPv3 users): written
#                                once, root only, then yours to edit
#   /etc/snmp/snmptrapd.conf     gets one includeFile line for each of them

# configure_snmptrapd [SNMPTRAPD_CONF]: sets CHANGED_TRAPS=yes when a file changed.
configure_snmptrapd() {
  local conf=${1:-/etc/snmp/snmptrapd.conf} handler=$ETC/snmptrapd-handler.conf access=$ETC/snmptrapd-access.conf
  local tmp line
  CHANGED_TRAPS=no
  tmp=$(mktemp)
  cat > "$tmp" <<HANDLER
# Written by Vigie's installer: every trap snmptrapd accepts goes to Vigie's trap handler,
# run as $USER_NAME. More traps that should raise alerts: [traps] alerts in $CONFIG.
traphandle default /usr/sbin/runuser -u $USER_NAME -- /usr/bin/env PYTHONPATH=$PREFIX $VPY -m collector.traps --config $CONFIG
HANDLER
  if ! cmp -s "$tmp" "$handler"; then
    install -D -m 0644 "$tmp" "$handler"; CHANGED_TRAPS=yes; say "trap handler written to $handler"
  fi
  rm -f "$tmp"
  if [ ! -f "$access" ]; then
    install -D -m 0600 /dev/null "$access"
    cat > "$access" <<'ACCESS'
# Who may send SNMP traps to this machine (read by snmptrapd; root only: it holds secrets).
# snmptrapd drops traps from anyone not listed here. Then: systemctl restart snmptrapd
#
# SNMP v1/v2c, by community:
#   authCommunity log,execute COMMUNITY
# SNMPv3: the sender's engine ID, a user, its keys; authPriv required:
#   createUser -e 0x80000000010203 USER SHA AUTH-PASSPHRASE AES PRIV-PASSPHRASE
#   authUser log,execute USER priv
ACCESS
    CHANGED_TRAPS=yes
    say "who may send traps: edit $access"
  fi
  mkdir -p "$(dirname "$conf")"
  touch "$conf"
  for line in "includeFile $access" "includeFile $handler"; do
    if ! grep -qxF "$line" "$conf"; then echo "$line" >> "$conf"; CHANGED_TRAPS=yes; say "$conf: added '$line'"; fi
  done
}
