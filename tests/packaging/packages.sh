#!/usr/bin/env bash
# The .deb and .rpm packages, end to end (docs/packaging.md). Run by ctest:
#   packages.sh STEP BUILD_DIR SOURCE_DIR
# Steps:
#   build    cpack both packages into BUILD_DIR/packages, and the .deb once more under an
#            older version (0.1.0~old1) for the upgrade
#   lint     lintian, and rpmlint on the .rpm signed with a throwaway key, report no
#            errors and only the warnings docs/packaging.md lists; the .rpm's requires, scripts and config files and the .deb's control
#            files are what they should be
#   install  dpkg -i on this machine (root, Debian 12, systemd not PID 1), then users,
#            modes, key, config, enabling, the unit under systemd-analyze, sigmad as user
#            sigmad through a workload under strace (checked by check_sandbox.py against
#            the unit), dpkg -r, dpkg --purge (data and key kept), a reinstall that
#            serves the kept store, a purge with SIGMAD_PURGE_DATA=yes
#   upgrade  the old .deb with its key as an encrypted credential, data, edited
#            conffiles; dpkg -i of the new one keeps all of it and the new sigmad serves it
# install and upgrade change the machine and put it back as it was. They need root, a
# machine without sigmad (no package, user or dirs) and no systemd as PID 1 (there the
# package would start its own sigmad): otherwise they skip (exit 77) rather than touch
# an installation that is not theirs. A run killed before it could clean up leaves
# $marker, and the next run cleans up after it instead of skipping.
set -euo pipefail

step=$1
build=$(realpath "$2")
src=$(realpath "$3")
out=$build/packages
version=$(sed -n 's/^set(CPACK_PACKAGE_VERSION "\(.*\)")$/\1/p' "$build/CPackConfig.cmake")
arch=$(dpkg --print-architecture)
deb=$out/sigmad_${version}_${arch}.deb
old_deb=$out/old/sigmad_0.1.0~old1_${arch}.deb
rpm=$out/sigmad-${version}.$(uname -m).rpm

marker=/var/lib/sigmad-packaging-test.marker

fail() { echo "FAIL: $*" >&2; exit 1; }
note() { echo "--- $*"; }
expect_mode() {  # PATH "MODE USER GROUP"
  local got
  got=$(stat -c '%a %U %G' "$1") || fail "$1 is missing"
  [ "$got" = "$2" ] || fail "$1 is '$got', expected '$2'"
}
expect_absent() { if [ -e "$1" ] || [ -L "$1" ]; then fail "$1 should not exist"; fi; }
expect_in() {  # TEXT PATTERN WHAT
  grep -qE -- "$2" <<<"$1" || { echo "$1" >&2; fail "$3: no '$2' in the output above"; }
}

# --- build ----------------------------------------------------------------------------
build_packages() {
  rm -rf "$out"
  mkdir -p "$out"
  (cd "$build" && cpack -G "DEB;RPM" -B "$out") || fail "cpack failed"
  (cd "$build" && cpack -G DEB -B "$out/old" -D CPACK_PACKAGE_VERSION=0.1.0~old1) ||
    fail "cpack of the old version failed"
  for f in "$deb" "$rpm" "$old_deb"; do
    [ -s "$f" ] || fail "cpack made no $f"
  done
  ls -l "$out"/*.deb "$out"/*.rpm "$out"/old/*.deb
}

# --- lint -----------------------------------------------------------------------------
# Every warning a linter gives must be listed, with its reason, in docs/packaging.md.
check_listed() {  # LINTER OUTPUT
  local tag missing=0
  while read -r tag; do
    [ -n "$tag" ] || continue
    if ! grep -qF -- "\`$tag\`" "$src/docs/packaging.md"; then
      echo "$1 warning '$tag' is not listed in docs/packaging.md" >&2
      missing=1
    fi
  done <<<"$2"
  [ "$missing" = 0 ] || fail "unlisted $1 warnings"
}

lint() {
  note "lintian $deb"
  local out_l rc=0
  out_l=$(lintian --tag-display-limit 0 "$deb" 2>&1) || rc=$?
  out_l=$(grep -v 'running with root privileges' <<<"$out_l" || true)
  echo "$out_l"
  if grep -q '^E:' <<<"$out_l"; then fail "lintian reports errors"; fi
  [ "$rc" = 0 ] || fail "lintian exited $rc"
  check_listed lintian "$(sed -n 's/^W: sigmad[^:]*: \([a-z0-9-]*\).*/\1/p' <<<"$out_l" | sort -u)"

  # Packages are signed when released, with the vendor's key (rpmsign --addsign): rpmlint
  # checks the package as released, signed here with a throwaway key whose rpm keyring
  # and gpg home live in a temp dir (HOME's .rpmmacros points rpm there), so nothing of
  # this machine's changes.
  note "rpmsign with a throwaway key, rpmkeys --checksig, rpmlint"
  local home signed out_r
  home=$(mktemp -d)
  mkdir -m 0700 "$home/gnupg" "$home/rpmdb"
  printf '%%_dbpath %s\n%%_gpg_name sigmad test signing\n%%__gpg /usr/bin/gpg\n' \
    "$home/rpmdb" >"$home/.rpmmacros"
  signed=$home/$(basename "$rpm")
  cp "$rpm" "$signed"
  (
    export HOME=$home GNUPGHOME=$home/gnupg
    trap 'gpgconf --kill gpg-agent' EXIT
    gpg --batch --quiet --passphrase '' --quick-gen-key \
      "sigmad test signing <test@sigmad.example>" rsa3072 sign never 2>/dev/null
    gpg --batch --armor --export "sigmad test signing" >"$home/key.asc"
    rpmkeys --import "$home/key.asc"
    rpmsign --addsign "$signed" 2>&1 | grep -v GPG_TTY || true
    rpmkeys --checksig "$signed" | grep -q 'signatures OK$'
  ) || fail "the .rpm could not be signed and checked"
  out_r=$(HOME=$home rpmlint "$signed" 2>&1) || true
  rm -rf "$home"
  echo "$out_r"
  if grep -q ': E: ' <<<"$out_r"; then fail "rpmlint reports errors"; fi
  expect_in "$out_r" ' 0 errors' "rpmlint's summary"
  check_listed rpmlint "$(sed -n 's/^sigmad[^:]*: W: \([a-z0-9%-]*\).*/\1/p' <<<"$out_r" | sort -u)"

  note "rpm -qp --requires"
  local req
  req=$(rpm -qp --requires "$rpm")
  for r in '^systemd$' '^libtorch_cpu\.so' '^libPocoNet\.so' '^liblmdb\.so' '^libcrypto\.so\.3' \
           '^libyaml-cpp\.so' '^libsystemd\.so\.0' '^/bin/sh$'; do
    expect_in "$req" "$r" "rpm --requires"
  done
  if grep -qE '/usr/local|/work/|build/' <<<"$req"; then fail "a build path in the requires"; fi
  # The scriptlets run systemd's tools: Requires(post), (preun) and (postun) on systemd.
  local kinds
  kinds=$(rpm -qp --qf '[%{REQUIRENAME} %{REQUIREFLAGS:deptype}\n]' "$rpm" | sed -n 's/^systemd //p')
  for k in post preun postun; do
    expect_in "$kinds" "^$k\$" "Requires($k): systemd"
  done

  note "rpm -qp --scripts"
  local scripts
  scripts=$(rpm -qp --scripts "$rpm")
  expect_in "$scripts" 'postinstall scriptlet' "rpm scripts"
  expect_in "$scripts" '/usr/libexec/sigmad/setup install' "%post"
  expect_in "$scripts" 'preuninstall scriptlet' "rpm scripts"
  expect_in "$scripts" 'systemctl stop sigmad.service' "%preun"
  expect_in "$scripts" 'postuninstall scriptlet' "rpm scripts"
  expect_in "$scripts" 'SIGMAD_PURGE_DATA' "%postun"
  # Each scriptlet parses as sh.
  local dir
  dir=$(mktemp -d)
  awk -v d="$dir" '/scriptlet \(using/ {n++; f=d "/s" n; next} n {print > f}' <<<"$scripts"
  for f in "$dir"/s*; do sh -n "$f" || fail "an rpm scriptlet does not parse: $(head -3 "$f")"; done
  [ "$(ls "$dir" | wc -l)" = 3 ] || fail "expected 3 rpm scriptlets"
  rm -rf "$dir"

  note "rpm -qp --configfiles, and the files"
  local conf files
  conf=$(rpm -qp --configfiles "$rpm")
  files=$(rpm -qlp "$rpm")
  [ "$(grep -vc '^/etc/sigmad/' <<<"$conf")" = 0 ] || fail "config files outside /etc/sigmad: $conf"
  expect_in "$conf" '^/etc/sigmad/sigmad.yaml$' "rpm config files"
  [ "$(grep -c '^/etc/sigmad/policies.d/.*\.yaml$' <<<"$conf")" = \
    "$(ls "$src"/policies/baseline/*.yaml | wc -l)" ] || fail "not every policy is a config file"
  local flags
  flags=$(rpm -qp --qf '[%{FILEFLAGS:fflags} %{FILEMODES:perms} %{FILENAMES}\n]' "$rpm" |
          grep ' -[-rwx]* /etc/')
  [ -n "$flags" ] && ! grep -qv '^cn ' <<<"$flags" ||
    fail "an /etc file is not %config(noreplace): $flags"
  for f in /usr/sbin/sigmad /usr/bin/sigmactl /usr/lib/systemd/system/sigmad.service \
           /usr/lib/sysusers.d/sigmad.conf /usr/lib/tmpfiles.d/sigmad.conf \
           /usr/libexec/sigmad/setup /usr/share/bash-completion/completions/sigmactl \
           /usr/share/man/man8/sigmad.8.gz /usr/share/man/man8/sigmactl.8.gz \
           /usr/share/man/man5/sigmad.yaml.5.gz /usr/share/man/man5/sigmad-policy.5.gz \
           /usr/share/sigmad/policies/meti/30-backup.yaml; do
    expect_in "$files" "^$f\$" "rpm file list"
  done

  note ".deb control files"
  local ctl
  ctl=$(mktemp -d)
  dpkg-deb -e "$deb" "$ctl"
  diff <(sort "$ctl/conffiles") <(rpm -qp --configfiles "$rpm" | sort) ||
    fail ".deb conffiles and .rpm config files differ"
  for s in postinst prerm postrm; do sh -n "$ctl/$s" || fail "$s does not parse"; done
  expect_in "$(dpkg-deb -f "$deb" Depends)" '(^|, )systemd(,|$)' ".deb Depends"
  expect_in "$(dpkg-deb -f "$deb" Depends)" 'libtorch' ".deb Depends (shlibdeps)"
  rm -rf "$ctl"
}

# --- install and upgrade: the machine -----------------------------------------------
sigmad_pid=""
creds=""
trace_dir=""
made_secret=0
made_credstore=0
test_users=(sigmad-test-admin sigmad-test-other)

package_state() {
  dpkg-query -W -f='${db:Status-Status}' sigmad 2>/dev/null || echo not-installed
}

require_clean_machine() {
  [ "$(id -u)" = 0 ] || { echo "SKIP: needs root (dpkg -i)"; exit 77; }
  if [ -d /run/systemd/system ]; then
    echo "SKIP: systemd runs this machine: the package would start its own sigmad"; exit 77
  fi
  if [ -e "$marker" ]; then
    echo "--- cleaning up after an earlier run of this test that was killed"
    # shellcheck disable=SC1090
    . "$marker"
    restore_machine_state
    set -e
  fi
  if [ "$(package_state)" != not-installed ]; then
    echo "SKIP: a sigmad package is on this machine ($(package_state)); not touching it"
    exit 77
  fi
  local p
  for p in /etc/sigmad /var/lib/sigmad /var/backups/sigmad /run/sigmad \
           /etc/credstore.encrypted/sigmad-master-key /etc/systemd/system/sigmad.service \
           /etc/systemd/system/multi-user.target.wants/sigmad.service; do
    if [ -e "$p" ]; then echo "SKIP: $p exists; not touching it"; exit 77; fi
  done
  for p in sigmad sigmad-admin "${test_users[@]}"; do
    if getent passwd "$p" >/dev/null || getent group "$p" >/dev/null; then
      echo "SKIP: user or group $p exists; not touching it"; exit 77
    fi
  done
  [ -e /var/lib/systemd/credential.secret ] || made_secret=1
  [ -e /etc/credstore.encrypted ] || made_credstore=1
  printf 'made_secret=%s\nmade_credstore=%s\n' "$made_secret" "$made_credstore" >"$marker"
  trap restore_machine EXIT
}

# Puts back what install and upgrade changed. Never fails: it goes on past anything it
# cannot undo, so that one problem does not leave the rest behind.
restore_machine_state() {
  set +e
  if [ -n "$sigmad_pid" ]; then
    kill -KILL "$sigmad_pid" 2>/dev/null
    wait "$sigmad_pid" 2>/dev/null
    sigmad_pid=""
  fi
  pkill -KILL -u sigmad 2>/dev/null
  if dpkg-query -W sigmad >/dev/null 2>&1; then
    SIGMAD_PURGE_DATA=yes dpkg --purge sigmad >/dev/null 2>&1
  fi
  rm -rf /etc/sigmad /var/lib/sigmad /var/backups/sigmad /run/sigmad \
         /etc/credstore.encrypted/sigmad-master-key
  [ "$made_credstore" = 1 ] && rmdir /etc/credstore.encrypted 2>/dev/null
  [ "$made_secret" = 1 ] && rm -f /var/lib/systemd/credential.secret
  [ -n "$creds" ] && rm -rf "$creds"
  [ -n "$trace_dir" ] && rm -rf "$trace_dir"  # the trace holds the key's bytes
  rm -f /etc/systemd/system/multi-user.target.wants/sigmad.service \
        /etc/systemd/system/sigmad.service
  rm -rf /var/lib/systemd/deb-systemd-helper-enabled/sigmad.service* \
         /var/lib/systemd/deb-systemd-helper-enabled/multi-user.target.wants/sigmad.service \
         /var/lib/systemd/deb-systemd-helper-masked/sigmad.service
  for u in "${test_users[@]}" sigmad; do
    getent passwd "$u" >/dev/null && userdel "$u"
  done
  for g in "${test_users[@]}" sigmad sigmad-admin; do
    getent group "$g" >/dev/null && groupdel "$g"
  done
  rm -f "$marker"
  return 0
}

restore_machine() {
  local rc=$?
  restore_machine_state
  exit "$rc"
}

# sigmad as systemd would run it (the unit's User=, RuntimeDirectory=, UMask=,
# NoNewPrivileges= and empty capability sets), without systemd. With TRACE set, under
# strace -f into the file $TRACE (which user sigmad must be able to write).
start_sigmad() {
  install -d -m 0755 -o sigmad -g sigmad /run/sigmad
  local env=(PATH=/usr/sbin:/usr/bin:/sbin:/bin)
  if [ -n "$creds" ]; then env+=("CREDENTIALS_DIRECTORY=$creds"); fi
  local tracer=()
  if [ -n "${TRACE:-}" ]; then tracer=(strace -f -y -qq -s 512 -o "$TRACE"); fi
  (umask 0077 && exec setpriv --reuid=sigmad --regid=sigmad --init-groups --no-new-privs \
      --inh-caps=-all --bounding-set=-all env -i "${env[@]}" "${tracer[@]}" \
      /usr/sbin/sigmad --config /etc/sigmad/sigmad.yaml) >"$out/sigmad.log" 2>&1 &
  sigmad_pid=$!
  local i
  for _ in $(seq 1 120); do
    if sigmactl status >/dev/null 2>&1; then return 0; fi
    kill -0 "$sigmad_pid" 2>/dev/null || break
    sleep 0.5
  done
  cat "$out/sigmad.log" >&2
  fail "the installed sigmad did not answer sigmactl status"
}

daemon_pid() {  # sigmad's own pid: strace's child when traced
  local pid=$sigmad_pid
  if [ -n "${TRACE:-}" ]; then pid=$(pgrep -P "$sigmad_pid" -x sigmad || true); fi
  [ -n "$pid" ] || { cat "$out/sigmad.log" >&2; fail "sigmad is not running"; }
  echo "$pid"
}

stop_sigmad() {
  local pid rc=0
  pid=$(daemon_pid)
  kill -TERM "$pid"
  wait "$sigmad_pid" || rc=$?
  sigmad_pid=""
  [ "$rc" = 0 ] || { cat "$out/sigmad.log" >&2; fail "sigmad exited $rc on SIGTERM"; }
}

# What systemd's LoadCredentialEncrypted=master-key:sigmad-master-key does: decrypt the
# credential into a directory only the service's user can read.
load_credential() {
  creds=$(mktemp -d)
  systemd-creds decrypt --name=master-key /etc/credstore.encrypted/sigmad-master-key \
    "$creds/master-key" || fail "systemd-creds cannot decrypt the packaged credential"
  chown -R sigmad:sigmad "$creds"
  chmod 0400 "$creds/master-key"
  chmod 0500 "$creds"
}

# A tenant and project, the example dataset imported into it and a small model trained
# on it: create_data TENANT/PROJECT DATASET MODEL FOLDS.
create_data() {
  local ex=$src/examples/formulation
  sigmactl tenant create "${1%%/*}" >/dev/null
  sigmactl project create "$1" >/dev/null
  sigmactl dataset import "$1" "$2" --file "$ex/experiments.csv" --schema "$ex/schema.yaml" \
    >/dev/null
  sigmactl model train "$1/$2" --name "$3" --ensemble 2 --epochs 10 --folds "$4" --wait \
    >/dev/null
}

check_installed_layout() {  # [fresh: the policies are the shipped baseline]
  local pw
  pw=$(getent passwd sigmad) || fail "no user sigmad"
  expect_in "$pw" '^sigmad:x:[0-9]+:[0-9]+:sigmad analysis appliance:/var/lib/sigmad:/usr/sbin/nologin$' \
    "the sigmad user"
  [ "$(id -u sigmad)" -lt 1000 ] || fail "sigmad is not a system user"
  getent group sigmad-admin >/dev/null || fail "no group sigmad-admin"
  expect_in "$(id -nG sigmad)" '(^| )sigmad-admin( |$)' "sigmad's groups"
  expect_mode /etc/sigmad "750 root sigmad"
  expect_mode /etc/sigmad/policies.d "750 root sigmad"
  expect_mode /etc/sigmad/sigmad.yaml "644 root root"
  expect_mode /var/lib/sigmad "700 sigmad sigmad"
  expect_mode /var/backups/sigmad "700 sigmad sigmad"
  expect_mode /usr/sbin/sigmad "755 root root"
  expect_mode /usr/bin/sigmactl "755 root root"
  expect_mode /usr/libexec/sigmad/setup "755 root root"
  expect_mode /usr/lib/systemd/system/sigmad.service "644 root root"
  if [ "${1:-}" = fresh ]; then
    diff -r /etc/sigmad/policies.d /usr/share/sigmad/policies/baseline >/dev/null ||
      fail "/etc/sigmad/policies.d is not the baseline set"
  fi
  expect_in "$(/usr/sbin/sigmad --check-config /etc/sigmad/sigmad.yaml)" ': ok$' "--check-config"
  [ -L /etc/systemd/system/multi-user.target.wants/sigmad.service ] ||
    fail "sigmad.service is not enabled"
  for page in sigmad.8 sigmactl.8 sigmad.yaml.5 sigmad-policy.5; do
    [ -s "/usr/share/man/man${page##*.}/$page.gz" ] || fail "no man page $page"
  done
  bash -c '. /usr/share/bash-completion/completions/sigmactl && complete -p sigmactl' \
    >/dev/null || fail "the bash completion does not load"
}

install_test() {
  require_clean_machine
  note "dpkg -i $deb"
  local log
  log=$(dpkg -i "$deb" 2>&1) || { echo "$log" >&2; fail "dpkg -i failed"; }
  echo "$log"
  expect_in "$log" 'new master key: /etc/sigmad/master.key' "postinst without systemd as PID 1"
  check_installed_layout fresh
  expect_mode /etc/sigmad/master.key "400 sigmad sigmad"
  [ "$(stat -c %s /etc/sigmad/master.key)" = 32 ] || fail "the master key is not 32 bytes"
  expect_absent /etc/credstore.encrypted/sigmad-master-key
  local key_sum
  key_sum=$(sha256sum /etc/sigmad/master.key)

  note "the unit under systemd-analyze, as installed"
  systemd-analyze verify /usr/lib/systemd/system/sigmad.service || fail "systemd-analyze verify"
  local sec
  sec=$(systemd-analyze security --offline=true --no-pager /usr/lib/systemd/system/sigmad.service 2>&1)
  echo "$sec" | tail -1
  local score
  score=$(sed -n 's/.*Overall exposure level for sigmad.service: \([0-9.]*\) .*/\1/p' <<<"$sec")
  [ -n "$score" ] || fail "no exposure score"
  awk -v s="$score" 'BEGIN { exit !(s <= 2.0) }' || fail "exposure $score is above 2.0"

  note "sigmad as user sigmad with the installed paths, traced by strace"
  # Training on every CPU (libtorch's intra-op threads), as a busy site would set it.
  sed -i 's/^  threads: 1 /  threads: 0 /' /etc/sigmad/sigmad.yaml
  grep -q '^  threads: 0 ' /etc/sigmad/sigmad.yaml || fail "could not set jobs.threads: 0"
  trace_dir=$(mktemp -d)
  chown sigmad "$trace_dir"
  TRACE=$trace_dir/strace.log
  start_sigmad
  local st
  st=$(sigmactl status)
  echo "$st"
  expect_in "$st" '^sigmad +[0-9.~a-z]+ \(system mode\)' "status"
  expect_in "$st" '^state dir +/var/lib/sigmad$' "status"
  expect_in "$st" '^socket +/run/sigmad/control.sock$' "status"
  expect_in "$st" '^config +/etc/sigmad/sigmad.yaml$' "status"
  expect_in "$st" '^admin group +sigmad-admin$' "status"
  expect_in "$st" '^backups +0 in /var/backups/sigmad' "status"
  [ "$(stat -c '%U' /proc/"$(daemon_pid)")" = sigmad ] || fail "sigmad does not run as sigmad"
  expect_mode /run/sigmad/control.sock "660 sigmad sigmad-admin"
  expect_mode /var/lib/sigmad/store "700 sigmad sigmad"
  expect_in "$(stat -c '%a %U' /var/lib/sigmad/store/data.mdb)" '^600 sigmad$' "the store's mode"
  expect_in "$(sigmactl policy history)" '^1 .* policies.d /etc/sigmad/policies.d$' \
    "the active policy set"
  # An admin (member of sigmad-admin) may use sigmactl; any other user may not.
  useradd -r -M -U -s /usr/sbin/nologin -G sigmad-admin sigmad-test-admin
  useradd -r -M -U -s /usr/sbin/nologin sigmad-test-other
  setpriv --reuid=sigmad-test-admin --regid=sigmad-test-admin --init-groups sigmactl status \
    >/dev/null || fail "a member of sigmad-admin cannot use sigmactl"
  # Anyone else cannot even connect: the socket is 0660 sigmad:sigmad-admin.
  local rc=0 err
  err=$(setpriv --reuid=sigmad-test-other --regid=sigmad-test-other --init-groups \
          sigmactl status 2>&1 >/dev/null) || rc=$?
  [ "$rc" = 4 ] && grep -q 'no permission to connect' <<<"$err" ||
    fail "a user outside sigmad-admin got exit $rc ($err), not 4 (access denied)"
  note "a workload: import, train and predict (libtorch), back up and verify, reload"
  create_data acme/lab runs m 2
  sigmactl predict acme/lab/m --file "$src/examples/formulation/new-inputs.csv" >/dev/null
  sigmactl backup run --wait >/dev/null
  sigmactl backup verify --all >/dev/null
  sigmactl backup drill >/dev/null
  local id
  id=$(sigmactl --json backup list |
       /usr/bin/python3 -c 'import json, sys; print(json.load(sys.stdin)["backups"][0]["id"])')
  [ -n "$id" ] || fail "no backup listed"
  sigmactl backup restore "$id" --to /var/lib/sigmad/restore-check >/dev/null
  kill -HUP "$(daemon_pid)"
  for _ in $(seq 1 40); do
    grep -q 'reload: /etc/sigmad/sigmad.yaml unchanged' "$out/sigmad.log" && break
    sleep 0.25
  done
  grep -q 'reload: /etc/sigmad/sigmad.yaml unchanged' "$out/sigmad.log" ||
    fail "sigmad did not reload on SIGHUP"
  sigmactl store verify >/dev/null
  sigmactl audit verify >/dev/null
  for f in /var/backups/sigmad/* /var/lib/sigmad/restore-check/store/data.mdb; do
    expect_in "$(stat -c '%a %U' "$f")" '^600 sigmad$' "$f's mode (UMask=0077)"
  done
  stop_sigmad
  unset TRACE

  note "what sigmad did, against the unit's sandbox"
  /usr/bin/python3 "$src/tests/packaging/check_sandbox.py" \
    /usr/lib/systemd/system/sigmad.service "$trace_dir/strace.log" ||
    fail "sigmad did something its unit's sandbox refuses"
  rm -rf "$trace_dir"

  note "dpkg -r: config, data and key stay"
  echo "# an operator's edit" >>/etc/sigmad/sigmad.yaml
  local conf_sum
  conf_sum=$(sha256sum /etc/sigmad/sigmad.yaml)
  dpkg -r sigmad
  [ "$(package_state)" = config-files ] || fail "sigmad is $(package_state) after dpkg -r"
  expect_absent /usr/sbin/sigmad
  expect_absent /usr/bin/sigmactl
  [ "$(sha256sum /etc/sigmad/sigmad.yaml)" = "$conf_sum" ] || fail "dpkg -r changed the config"
  [ "$(sha256sum /etc/sigmad/master.key)" = "$key_sum" ] || fail "dpkg -r changed the key"
  [ -s /var/lib/sigmad/store/data.mdb ] || fail "dpkg -r lost the store"
  [ -d /var/backups/sigmad ] || fail "dpkg -r removed the backups"

  note "dpkg --purge: config goes; store, backups and key stay without SIGMAD_PURGE_DATA=yes"
  log=$(dpkg --purge sigmad 2>&1)
  echo "$log"
  expect_in "$log" 'kept the store, backups and master key' "purge"
  expect_in "$log" 'SIGMAD_PURGE_DATA=yes' "purge"
  [ "$(package_state)" = not-installed ] || fail "sigmad is $(package_state) after purge"
  expect_absent /etc/sigmad/sigmad.yaml
  expect_absent /etc/sigmad/policies.d
  expect_absent /etc/systemd/system/multi-user.target.wants/sigmad.service
  expect_absent /etc/systemd/system/sigmad.service
  [ "$(sha256sum /etc/sigmad/master.key)" = "$key_sum" ] || fail "purge changed the key"
  [ -s /var/lib/sigmad/store/data.mdb ] || fail "purge lost the store"
  [ -d /var/backups/sigmad ] || fail "purge removed the backups"

  note "a reinstall keeps the key and serves the kept store"
  log=$(dpkg -i "$deb" 2>&1) || { echo "$log" >&2; fail "reinstall failed"; }
  expect_in "$log" 'keeping the existing master key /etc/sigmad/master.key' "reinstall"
  [ "$(sha256sum /etc/sigmad/master.key)" = "$key_sum" ] || fail "reinstall replaced the key"
  start_sigmad
  expect_in "$(sigmactl project list acme)" 'lab' "the kept store"
  stop_sigmad

  note "SIGMAD_PURGE_DATA=yes dpkg --purge deletes store, backups and key"
  log=$(SIGMAD_PURGE_DATA=yes dpkg --purge sigmad 2>&1)
  echo "$log"
  for p in /var/lib/sigmad /var/backups/sigmad /etc/sigmad/master.key /etc/sigmad; do
    expect_absent "$p"
  done
  expect_in "$log" 'deleted /var/lib/sigmad' "purge with SIGMAD_PURGE_DATA=yes"
}

upgrade_test() {
  require_clean_machine
  note "the old package, its key an encrypted systemd credential"
  local log
  log=$(SIGMAD_MASTER_KEY_STORE=credential dpkg -i "$old_deb" 2>&1) ||
    { echo "$log" >&2; fail "dpkg -i of the old package failed"; }
  echo "$log"
  expect_in "$log" 'new master key: systemd encrypted credential' "postinst"
  expect_mode /etc/credstore.encrypted "700 root root"
  expect_mode /etc/credstore.encrypted/sigmad-master-key "400 root root"
  expect_absent /etc/sigmad/master.key
  load_credential
  start_sigmad
  grep -q "master key $creds/master-key (systemd credential)" "$out/sigmad.log" ||
    fail "sigmad did not take the credential"
  create_data acme/formulation experiments resin 0
  local ex=$src/examples/formulation
  local before
  before=$(sigmactl predict acme/formulation/resin --file "$ex/new-inputs.csv")
  [ "$(wc -l <<<"$before")" -ge 4 ] || fail "the prediction printed no rows: $before"
  stop_sigmad

  note "an operator edits conffiles"
  sed -i 's/^  level: info /  level: debug/' /etc/sigmad/sigmad.yaml
  echo "# site note" >>/etc/sigmad/policies.d/30-backup.yaml
  local sums
  sums=$(sha256sum /etc/sigmad/sigmad.yaml /etc/sigmad/policies.d/30-backup.yaml \
         /etc/credstore.encrypted/sigmad-master-key)

  note "dpkg -i of the new package"
  log=$(dpkg -i "$deb" 2>&1) || { echo "$log" >&2; fail "the upgrade failed"; }
  echo "$log"
  expect_in "$(dpkg-query -W -f='${Version}' sigmad)" "^$version\$" "the installed version"
  expect_in "$log" 'keeping the existing master key /etc/credstore.encrypted/sigmad-master-key' \
    "the upgrade's postinst"
  [ "$(sha256sum /etc/sigmad/sigmad.yaml /etc/sigmad/policies.d/30-backup.yaml \
       /etc/credstore.encrypted/sigmad-master-key)" = "$sums" ] ||
    fail "the upgrade changed an edited conffile or the key"
  expect_absent /etc/sigmad/master.key
  if ls /etc/sigmad/*.dpkg-* /etc/sigmad/policies.d/*.dpkg-* >/dev/null 2>&1; then
    fail "the upgrade left .dpkg-* files"
  fi
  check_installed_layout

  note "the new sigmad serves the old store"
  start_sigmad
  expect_in "$(sigmactl status)" '^log level +debug$' "the edited config"
  expect_in "$(sigmactl dataset list acme/formulation)" 'experiments' "the old dataset"
  [ "$(sigmactl predict acme/formulation/resin --file "$ex/new-inputs.csv")" = "$before" ] ||
    fail "the old model predicts differently after the upgrade"
  sigmactl store verify >/dev/null || fail "store verify after the upgrade"
  sigmactl audit verify >/dev/null || fail "audit verify after the upgrade"
  stop_sigmad
}

case "$step" in
  build) build_packages ;;
  lint) lint ;;
  install) install_test ;;
  upgrade) upgrade_test ;;
  *) fail "unknown step '$step'" ;;
esac
echo "ok: $step"
