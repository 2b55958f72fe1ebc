#!/bin/sh
# Renders a man page source the way man(1) shows it and fails if man or groff says
# anything on standard error (a warning, an unknown macro), if man fails, if the text is
# shorter than MIN_BYTES (default 2000: a page that lost its body), or if a section the
# sigmad pages all have is missing.
# Usage: check_man_renders.sh PAGE [MIN_BYTES]
set -u

page=${1:?usage: check_man_renders.sh PAGE [MIN_BYTES]}
min_bytes=${2:-2000}

if ! command -v man >/dev/null 2>&1; then
  echo "$0: man is not installed (scripts/install-deps installs man-db and groff-base)" >&2
  exit 1
fi

out=$(mktemp) && err=$(mktemp) || exit 1
trap 'rm -f "$out" "$err"' EXIT

# MANOPT and MANROFFOPT from the caller's environment would change what is checked.
LC_ALL=C.UTF-8 MANWIDTH=80 MANOPT= MANROFFOPT= \
  man --warnings -E UTF-8 -l "$page" >"$out" 2>"$err"
rc=$?

failed=0
if [ "$rc" -ne 0 ]; then
  echo "$page: man exited $rc" >&2
  failed=1
fi
if [ -s "$err" ]; then
  echo "$page: man printed on standard error:" >&2
  cat "$err" >&2
  failed=1
fi
bytes=$(wc -c <"$out")
if [ "$bytes" -lt "$min_bytes" ]; then
  echo "$page: rendered to $bytes bytes, fewer than $min_bytes" >&2
  failed=1
fi
for section in NAME SYNOPSIS DESCRIPTION 'EXIT STATUS' FILES 'SEE ALSO'; do
  if ! grep -qx "$section" "$out"; then
    echo "$page: no $section section" >&2
    failed=1
  fi
done
if [ "$failed" -eq 0 ]; then
  echo "$page: renders to $bytes bytes without warnings"
fi
exit "$failed"
