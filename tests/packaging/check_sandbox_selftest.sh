#!/usr/bin/env bash
# check_sandbox.py against made-up strace logs: a clean one passes, and each kind of
# call the unit refuses is named. Usage: check_sandbox_selftest.sh SOURCE_DIR
set -euo pipefail
src=$1
unit=$src/packaging/systemd/sigmad.service
check=$src/tests/packaging/check_sandbox.py
dir=$(mktemp -d)
trap 'rm -rf "$dir"' EXIT

clean() {
  for i in $(seq 1 1200); do
    echo "100 read(3</var/lib/sigmad/store/data.mdb>, \"x\", 1) = 1"
  done
  cat <<'LOG'
100 openat(AT_FDCWD</>, "/etc/sigmad/sigmad.yaml", O_RDONLY|O_CLOEXEC) = 3</etc/sigmad/sigmad.yaml>
100 openat(AT_FDCWD</>, "/var/lib/sigmad/store/data.mdb", O_RDWR|O_CREAT, 0600) = 4</var/lib/sigmad/store/data.mdb>
100 openat(5</var/backups/sigmad>, ".", O_WRONLY|O_TMPFILE|O_CLOEXEC, 0600) = 6</var/backups/sigmad/#1>
100 linkat(6</var/backups/sigmad/#1>, "", 5</var/backups/sigmad>, "b.sigbk", AT_EMPTY_PATH) = 0
100 socket(AF_UNIX, SOCK_STREAM|SOCK_CLOEXEC, 0) = 7<socket:[1]>
100 bind(7<socket:[1]>, {sa_family=AF_UNIX, sun_path="/run/sigmad/control.sock"}, 27) = 0
100 chown("/run/sigmad/control.sock", -1, 995) = 0
100 mmap(NULL, 4096, PROT_READ|PROT_WRITE, MAP_PRIVATE|MAP_ANONYMOUS, -1, 0) = 0x7f0000000000
100 openat(AT_FDCWD</>, "/proc/cpuinfo", O_RDONLY) = 8</proc/cpuinfo>
100 openat(AT_FDCWD</>, "/dev/urandom", O_RDONLY) = 9</dev/urandom>
100 clone3({flags=CLONE_VM|CLONE_FS|CLONE_FILES|CLONE_SIGHAND|CLONE_THREAD, stack=0x1}, 88) = 101
100 +++ exited with 0 +++
LOG
}

clean >"$dir/clean.log"
/usr/bin/python3 "$check" "$unit" "$dir/clean.log" >"$dir/out" ||
  { cat "$dir/out"; echo "FAIL: a clean trace was refused"; exit 1; }
grep -q '^no violations$' "$dir/out"

{
  clean
  cat <<'LOG'
100 openat(AT_FDCWD</>, "/etc/passwd", O_WRONLY|O_APPEND) = 3</etc/passwd>
100 renameat2(AT_FDCWD</>, "/var/lib/sigmad/x", AT_FDCWD</>, "/usr/lib/x", RENAME_NOREPLACE) = 0
100 mkdir("/opt/sigmad", 0700) = 0
100 openat(AT_FDCWD</>, "/home/alice/.ssh/id_rsa", O_RDONLY) = -1 EACCES (Permission denied)
100 openat(AT_FDCWD</>, "/dev/sda", O_RDONLY) = -1 EACCES (Permission denied)
100 socket(AF_NETLINK, SOCK_RAW|SOCK_CLOEXEC, NETLINK_ROUTE) = 3<socket:[2]>
100 mmap(NULL, 4096, PROT_READ|PROT_WRITE|PROT_EXEC, MAP_PRIVATE|MAP_ANONYMOUS, -1, 0) = 0x7f0000001000
100 mprotect(0x7f0000000000, 4096, PROT_READ|PROT_EXEC) = 0
100 unshare(CLONE_NEWNS) = 0
100 sched_setscheduler(100, SCHED_FIFO, [1]) = 0
100 shmget(IPC_PRIVATE, 4096, IPC_CREAT|0600) = 1
100 mount("none", "/mnt", "tmpfs", 0, NULL) = -1 EPERM (Operation not permitted)
100 setrlimit(RLIMIT_NOFILE, {rlim_cur=1024, rlim_max=4096}) = 0
LOG
} >"$dir/bad.log"
rc=0
/usr/bin/python3 "$check" "$unit" "$dir/bad.log" >"$dir/out" || rc=$?
cat "$dir/out"
[ "$rc" = 1 ] || { echo "FAIL: a trace with violations passed (exit $rc)"; exit 1; }
for want in 'ProtectSystem=strict: writes /etc/passwd' 'writes /usr/lib/x' 'writes /opt/sigmad' \
            'ProtectHome=: touches /home/alice' 'PrivateDevices=yes: opens the device /dev/sda' \
            'RestrictAddressFamilies=: socket(AF_NETLINK)' \
            'MemoryDenyWriteExecute=: a writable and executable mapping' \
            'MemoryDenyWriteExecute=: mprotect to PROT_EXEC' 'RestrictNamespaces=yes: unshare' \
            'RestrictRealtime=yes' 'PrivateIPC=yes' 'SystemCallFilter=: mount is not allowed' \
            'SystemCallFilter=: setrlimit is not allowed'; do
  grep -qF -- "$want" "$dir/out" || { echo "FAIL: not reported: $want"; exit 1; }
done
echo "ok"
