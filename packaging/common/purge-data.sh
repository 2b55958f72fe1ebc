# sigmad_purge_data: what a purge (.deb) or an erase (.rpm) does with sigmad's data,
# pasted into packaging/debian/postrm and packaging/rpm/postun by the build. The store,
# the backups and the master key are deleted only when the operator says so with
# SIGMAD_PURGE_DATA=yes; otherwise they stay and the operator is told where. A store or
# backup dir that is a mount point is emptied and kept. Never fails: a purge that cannot
# delete something says what is left.
sigmad_purge_data() {
  kept=""
  for p in /var/lib/sigmad /var/backups/sigmad /etc/sigmad/master.key \
           /etc/credstore.encrypted/sigmad-master-key; do
    if [ -e "$p" ]; then kept="$kept $p"; fi
  done
  if [ -n "$kept" ]; then
    if [ "${SIGMAD_PURGE_DATA:-}" = yes ]; then
      for p in $kept; do
        if [ -d "$p" ]; then
          find "$p" -mindepth 1 -delete || true
          rmdir "$p" 2>/dev/null || true
        else
          rm -f -- "$p" || true
        fi
        if [ ! -e "$p" ]; then
          echo "sigmad: deleted $p (SIGMAD_PURGE_DATA=yes)"
        elif [ -d "$p" ] && [ -z "$(ls -A "$p")" ]; then
          echo "sigmad: emptied $p (SIGMAD_PURGE_DATA=yes; a mount point, so kept)"
        else
          echo "sigmad: could not delete all of $p; what is left is still there" >&2
        fi
      done
      rmdir /etc/credstore.encrypted 2>/dev/null || true
    else
      echo "sigmad: kept the store, backups and master key:$kept"
      echo "sigmad: to delete them, purge with SIGMAD_PURGE_DATA=yes or remove them by hand;"
      echo "sigmad: without the master key the store and every backup are lost forever."
    fi
  fi
  rmdir /etc/sigmad/policies.d 2>/dev/null || true
  rmdir /etc/sigmad 2>/dev/null || true
}
