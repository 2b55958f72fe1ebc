# sigmad .rpm %preun ($1: 0 erase, 1 upgrade): an erase stops and disables sigmad.
if [ "$1" -eq 0 ]; then
  systemctl --no-reload disable sigmad.service >/dev/null 2>&1 || :
  if [ -d /run/systemd/system ]; then
    systemctl stop sigmad.service || :
  fi
fi
