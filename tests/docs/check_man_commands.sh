#!/usr/bin/env bash
# Checks that sigmactl.8 keeps up with sigmactl: every command and subcommand that
# `sigmactl --help` and `sigmactl CMD --help` list is the tag of an entry under COMMANDS
# ("CMD SUB" at the start of a tag or after ", "), every long option of a subcommand
# appears in that entry's tag, and every global option is a tag under OPTIONS.
# Usage: check_man_commands.sh SIGMACTL MANPAGE
set -euo pipefail

ctl=${1:?usage: check_man_commands.sh SIGMACTL MANPAGE}
page=${2:?usage: check_man_commands.sh SIGMACTL MANPAGE}

# The tags (the line after each .TP) of section $1, as plain text: macro names, font
# escapes and quotes removed, \- as -, blanks squeezed.
tags() {
  awk -v want="$1" '
    /^\.SH / { sub(/^\.SH +/, ""); gsub(/"/, ""); in_section = ($0 == want); next }
    in_section && tag { print; tag = 0; next }
    in_section && /^\.TP/ { tag = 1 }
  ' "$page" | sed -E 's/^\.[A-Z]+ +//; s/\\f(\[[^]]*\]|\(..|.)//g; s/\\-/-/g; s/\\\(..//g;
                      s/"//g; s/[[:space:]]+/ /g; s/^ //; s/ $//'
}

# `sigmactl ARGS --help`: the names listed under "Subcommands:".
subcommands() {
  "$ctl" "$@" --help | awk '/^Subcommands:/ { on = 1; next } /^[^ ]/ { on = 0 }
                           on && /^  [a-z]/ { print $1 }'
}

# `sigmactl ARGS --help`: the long options listed under "Options:", --help left out.
long_options() {
  "$ctl" "$@" --help | awk '/^Options:/ { on = 1; next } /^[^ ]/ { on = 0 } on' |
    grep -oE '^  (-[A-Za-z],)?--[a-z][a-z-]*' | grep -oE -- '--[a-z][a-z-]*' |
    grep -vx -- '--help' || true
}

command_tags=$(tags COMMANDS)
option_tags=$(tags OPTIONS)
if [ -z "$command_tags" ] || [ -z "$option_tags" ]; then
  echo "$page: found no .TP entries under COMMANDS or OPTIONS" >&2
  exit 1
fi

missing=()
checked=0

# The tags that document "$1" ("backup run"): it starts the tag or follows ", ".
entry_tags() {
  grep -E "(^|, )$1([^a-z-]|\$)" <<<"$command_tags" || true
}

check_entry() {
  local entry="$1"
  shift
  checked=$((checked + 1))
  local found
  found=$(entry_tags "$entry")
  if [ -z "$found" ]; then
    missing+=("command '$entry' has no entry under COMMANDS")
    return
  fi
  local opt
  for opt in $(long_options "$@"); do
    if ! grep -qE -- "(^|[^a-z-])$opt([^a-z-]|\$)" <<<"$found"; then
      missing+=("option $opt of '$entry' is not in its COMMANDS entry")
    fi
  done
}

top=$(subcommands)
for cmd in $top; do
  subs=$(subcommands "$cmd")
  if [ -z "$subs" ]; then
    check_entry "$cmd" "$cmd"
    continue
  fi
  for sub in $subs; do
    check_entry "$cmd $sub" "$cmd" "$sub"
  done
done

for opt in $(long_options); do
  if ! grep -qE -- "(^|[^a-z-])$opt([^a-z-]|\$)" <<<"$option_tags"; then
    missing+=("global option $opt has no entry under OPTIONS")
  fi
done

# sigmactl has 14 commands and over 40 subcommands: far fewer means the help output was
# not parsed, and the check above would pass without checking anything.
if [ "$checked" -lt 30 ]; then
  echo "$0: found only $checked commands in '$ctl --help'; has its format changed?" >&2
  exit 1
fi
if [ ${#missing[@]} -gt 0 ]; then
  for m in "${missing[@]}"; do echo "$page: $m" >&2; done
  exit 1
fi
echo "$page: names all $checked commands and subcommands of sigmactl and their options"
