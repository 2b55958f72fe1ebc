# sigmad .rpm %post ($1: 1 install, 2 upgrade): users, dirs and the master key (once),
# then the service when systemd runs the host (an upgrade restarts it in %postun).
/usr/libexec/sigmad/setup install || exit 1
if [ "$1" -eq 1 ]; then
  systemctl --no-reload enable sigmad.service >/dev/null 2>&1 || :
fi
if [ -d /run/systemd/system ]; then
  systemctl daemon-reload >/dev/null 2>&1 || :
  if [ "$1" -eq 1 ]; then
    systemctl start sigmad.service || :
  fi
fi
