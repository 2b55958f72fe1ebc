#!/usr/bin/python3
"""Checks what sigmad did, traced by strace, against its systemd unit's sandbox.

Usage: check_sandbox.py UNIT STRACE_LOG

The CI machine has no systemd as PID 1, so the unit's sandbox cannot be applied there.
Instead the packaging test runs the installed sigmad under `strace -f -y` through a
workload (start, tenants, a dataset import, libtorch training and prediction, a backup
and its verification, a reload, a stop) and this script checks that nothing sigmad did
would be refused by the unit's options:

  SystemCallFilter=          every syscall made is in the allowed sets
                             (systemd-analyze syscall-filter, groups expanded)
  SystemCallArchitectures=   no 32-bit syscalls
  RestrictAddressFamilies=   every socket() family is listed
  MemoryDenyWriteExecute=    no writable+executable mapping, no mprotect to PROT_EXEC
  ProtectSystem=strict,      every path written (opened for writing, created, removed,
  ReadWritePaths=, PrivateTmp= renamed, linked, chmod-ed, bound) is under the state, runtime or
                             backup dir, a ReadWritePaths= entry, /tmp or /dev
  ProtectHome=               nothing under /home, /root or /run/user is touched
  PrivateDevices=            only pseudo devices (/dev/null, /dev/urandom, ...) are opened
  ProcSubset=pid             only /proc/self, /proc/thread-self and /proc/PID are read
  RestrictNamespaces=        no unshare, setns or clone with CLONE_NEW*
  RestrictRealtime=          no realtime scheduling policy is asked for
  PrivateIPC=                no System V IPC

It prints each violation with the strace line and exits 1 if there is any. The unit is
read for the options it sets, so an option taken out of the unit is not checked.
"""
import re
import subprocess
import sys


def unit_options(path):
    options = {}
    for line in open(path, encoding="utf-8"):
        line = line.strip()
        if not line or line.startswith(("#", ";", "[")) or "=" not in line:
            continue
        key, value = line.split("=", 1)
        options.setdefault(key.strip(), []).append(value.strip())
    return options


def syscall_groups():
    """All of systemd's syscall groups, each expanded to syscall names."""
    out = subprocess.run(["systemd-analyze", "syscall-filter"], check=True,
                         capture_output=True, text=True).stdout
    groups, current = {}, None
    for line in out.splitlines():
        if line.startswith("@"):
            current = groups.setdefault(line.strip(), [])
        elif current is not None and line.strip() and not line.strip().startswith("#"):
            current.append(line.strip())

    def expand(name, seen=()):
        names = set()
        for member in groups.get(name, []):
            if member.startswith("@"):
                if member not in seen:
                    names |= expand(member, seen + (name,))
            else:
                names.add(member)
        return names

    return {g: expand(g) for g in groups}


def allowed_syscalls(options):
    """The allow list the unit's SystemCallFilter= lines make, in order, as systemd does:
    the first line decides allow- or deny-list mode; in allow-list mode a later plain
    line adds syscalls and a later '~' line takes them away. None: no allow list."""
    groups = syscall_groups()
    allowed = None
    for value in options.get("SystemCallFilter", []):
        deny = value.startswith("~")
        names = set()
        for item in value.lstrip("~").split():
            names |= groups[item] if item.startswith("@") else {item}
        if allowed is None:
            if deny:
                return None  # a deny list: not checked here
            allowed = set()
        if deny:
            allowed -= names
        else:
            allowed |= names
    return allowed


LINE = re.compile(r"^(?P<pid>\d+) +(?P<name>\w+)\((?P<args>.*)$")
RESUMED = re.compile(r"^(?P<pid>\d+) +<\.\.\. (?P<name>\w+) resumed>(?P<args>.*)$")
FD_PATH = re.compile(r"^(?:AT_FDCWD|-?\d+<(?P<dir>[^>]*)>)$")

PSEUDO_DEVICES = {"/dev/null", "/dev/zero", "/dev/full", "/dev/random", "/dev/urandom",
                  "/dev/tty", "/dev/ptmx", "/dev/pts", "/dev/shm", "/dev/stdin",
                  "/dev/stdout", "/dev/stderr", "/dev/fd"}
NS_FLAGS = ("CLONE_NEWNS", "CLONE_NEWUTS", "CLONE_NEWIPC", "CLONE_NEWUSER", "CLONE_NEWPID",
            "CLONE_NEWNET", "CLONE_NEWCGROUP", "CLONE_NEWTIME")


def split_args(args):
    """Top-level comma-separated arguments of an strace call, quotes and brackets kept."""
    parts, depth, quoted, cur, i = [], 0, False, [], 0
    while i < len(args):
        c = args[i]
        if quoted:
            cur.append(c)
            if c == "\\" and i + 1 < len(args):
                cur.append(args[i + 1])
                i += 1
            elif c == '"':
                quoted = False
        elif c == '"':
            quoted = True
            cur.append(c)
        elif c in "([{<":
            depth += 1
            cur.append(c)
        elif c in ")]}>":
            if depth == 0 and c == ")":
                parts.append("".join(cur).strip())
                return parts
            depth -= 1
            cur.append(c)
        elif c == "," and depth == 0:
            parts.append("".join(cur).strip())
            cur = []
        else:
            cur.append(c)
        i += 1
    parts.append("".join(cur).strip())
    return parts


def unquote(arg):
    m = re.match(r'^"(.*)"(?:\.\.\.)?$', arg)
    return m.group(1) if m else None


def resolve(dirfd, path):
    if path is None:
        return None
    if path.startswith("/"):
        return path
    m = FD_PATH.match(dirfd) if dirfd else None
    base = m.group("dir") if m and m.group("dir") else "/"
    return base.rstrip("/") + "/" + path


def under(path, roots):
    return any(path == r or path.startswith(r.rstrip("/") + "/") for r in roots)


def main():
    unit, log = sys.argv[1], sys.argv[2]
    options = unit_options(unit)
    allowed = allowed_syscalls(options)
    families = set(" ".join(options.get("RestrictAddressFamilies", [])).split())
    writable = ["/tmp", "/var/tmp", "/dev", "/proc/self", "/proc/thread-self"]
    for key, base in (("StateDirectory", "/var/lib/"), ("RuntimeDirectory", "/run/"),
                      ("LogsDirectory", "/var/log/"), ("CacheDirectory", "/var/cache/")):
        for value in options.get(key, []):
            writable += [base + d for d in value.split()]
    for value in options.get("ReadWritePaths", []):
        writable += [p.lstrip("-+") for p in value.split()]
    checks = {k: options.get(k, [""])[-1] for k in (
        "MemoryDenyWriteExecute", "ProtectSystem", "ProtectHome", "PrivateDevices",
        "ProcSubset", "RestrictNamespaces", "RestrictRealtime", "PrivateIPC",
        "SystemCallArchitectures")}

    problems, calls = [], 0
    seen_syscalls, seen_families = set(), set()

    def problem(option, what, line):
        problems.append(f"{option}: {what}\n    {line.strip()[:300]}")

    def wrote(path, line):
        if path is None or checks["ProtectSystem"] != "strict":
            return
        if not under(path, writable):
            problem("ProtectSystem=strict", f"writes {path}, outside {' '.join(writable)}", line)

    def touched(path, line):
        if path is None:
            return
        if checks["ProtectHome"] in ("yes", "read-only", "tmpfs") and \
                under(path, ["/home", "/root", "/run/user"]):
            problem("ProtectHome=", f"touches {path}", line)
        if checks["PrivateDevices"] == "yes" and path.startswith("/dev/") and \
                not under(path, PSEUDO_DEVICES):
            problem("PrivateDevices=yes", f"opens the device {path}", line)
        if checks["ProcSubset"] == "pid" and path.startswith("/proc/") and \
                not re.match(r"^/proc/(self|thread-self|\d+)(/|$)", path):
            problem("ProcSubset=pid", f"reads {path}", line)

    for line in open(log, encoding="utf-8", errors="replace"):
        if "32 bit mode" in line and checks["SystemCallArchitectures"] == "native":
            problem("SystemCallArchitectures=native", "a 32-bit syscall", line)
        m = LINE.match(line) or RESUMED.match(line)
        if not m:
            continue
        name = m.group("name")
        if LINE.match(line):
            calls += 1
            seen_syscalls.add(name)
        if allowed is not None and name not in allowed and LINE.match(line):
            problem("SystemCallFilter=", f"{name} is not allowed", line)
        if not LINE.match(line):
            continue
        args = split_args(m.group("args"))
        if name in ("open", "creat"):
            path = unquote(args[0])
            touched(path, line)
            if name == "creat" or re.search(r"O_WRONLY|O_RDWR|O_CREAT|O_TRUNC", args[1] if len(args) > 1 else ""):
                wrote(path, line)
        elif name in ("openat", "openat2"):
            path = resolve(args[0], unquote(args[1]))
            touched(path, line)
            flags = args[2] if len(args) > 2 else ""
            if re.search(r"O_WRONLY|O_RDWR|O_CREAT|O_TRUNC|O_TMPFILE", flags):
                wrote(path, line)
        elif name in ("newfstatat", "statx", "faccessat", "faccessat2", "readlinkat"):
            touched(resolve(args[0], unquote(args[1])), line)
        elif name in ("stat", "lstat", "access", "readlink", "statfs", "chdir"):
            touched(unquote(args[0]), line)
        elif name in ("mkdir", "rmdir", "unlink", "chmod", "truncate", "mknod", "chown",
                      "lchown"):
            wrote(unquote(args[0]), line)
        elif name in ("mkdirat", "unlinkat", "fchmodat", "mknodat", "fchownat"):
            wrote(resolve(args[0], unquote(args[1])), line)
        elif name in ("rename", "link", "symlink"):
            wrote(unquote(args[1]), line)
            if name == "rename":
                wrote(unquote(args[0]), line)
        elif name in ("renameat", "renameat2", "linkat"):
            if name != "linkat":
                wrote(resolve(args[0], unquote(args[1])), line)
            wrote(resolve(args[2], unquote(args[3])), line)
        elif name == "symlinkat":
            wrote(resolve(args[1], unquote(args[2])), line)
        elif name == "bind":
            m2 = re.search(r'sun_path="([^"]*)"', m.group("args"))
            if m2 and m2.group(1) and not m2.group(1).startswith("@"):
                wrote(m2.group(1), line)
        elif name == "socket":
            family = args[0] if args else ""
            seen_families.add(family)
            if families and family not in families:
                problem("RestrictAddressFamilies=", f"socket({family})", line)
        elif name in ("mmap", "mprotect", "pkey_mprotect") and \
                checks["MemoryDenyWriteExecute"] == "yes":
            prot = args[2] if len(args) > 2 else ""
            if name == "mmap" and "PROT_WRITE" in prot and "PROT_EXEC" in prot:
                problem("MemoryDenyWriteExecute=", "a writable and executable mapping", line)
            if name != "mmap" and "PROT_EXEC" in prot:
                problem("MemoryDenyWriteExecute=", "mprotect to PROT_EXEC", line)
        elif name in ("unshare", "setns") and checks["RestrictNamespaces"] == "yes":
            problem("RestrictNamespaces=yes", name, line)
        elif name in ("clone", "clone3") and checks["RestrictNamespaces"] == "yes" and \
                any(f in m.group("args") for f in NS_FLAGS):
            problem("RestrictNamespaces=yes", "clone into a new namespace", line)
        elif name in ("sched_setscheduler", "sched_setattr") and \
                checks["RestrictRealtime"] == "yes" and \
                re.search(r"SCHED_(FIFO|RR|DEADLINE)", m.group("args")):
            problem("RestrictRealtime=yes", "a realtime policy", line)
        elif name in ("shmget", "semget", "msgget", "shmat") and checks["PrivateIPC"] == "yes":
            problem("PrivateIPC=yes", f"System V IPC ({name})", line)

    if calls < 1000:
        print(f"only {calls} syscalls in {log}: the trace is not of a real workload")
        return 1
    print(f"{calls} syscalls ({len(seen_syscalls)} distinct) checked against {unit}; "
          f"socket families used: {' '.join(sorted(seen_families)) or 'none'}")
    for p in problems[:200]:
        print(p)
    if problems:
        print(f"{len(problems)} violations")
        return 1
    print("no violations")
    return 0


if __name__ == "__main__":
    sys.exit(main())
