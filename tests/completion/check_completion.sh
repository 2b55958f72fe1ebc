#!/usr/bin/env bash
# Tests sigmactl's bash completion (packaging/bash-completion/sigmactl) by simulating TAB
# presses: COMP_WORDS, COMP_CWORD, COMP_LINE and COMP_POINT set as readline sets them,
# then the function the file registers with `complete -F`, then COMPREPLY.
#
#   check_completion.sh cases  COMPLETION_FILE            a handful of known cases
#   check_completion.sh binary COMPLETION_FILE SIGMACTL   the completion against the
#       binary's --help: every command, subcommand and option it lists is offered, with
#       the right kind of value, and nothing is offered that it does not list
#
# Both run in a scratch directory holding data.csv and keys/, to tell file, directory
# and no completion apart. Every failure is printed; the exit status is 1 if any.
set -o pipefail

mode=${1-}
completion_file=${2-}
sigmactl=${3-}
usage="usage: $0 cases COMPLETION_FILE | binary COMPLETION_FILE SIGMACTL"
case $mode in
  cases) [[ $# -eq 2 ]] || { echo "$usage" >&2; exit 2; } ;;
  binary) [[ $# -eq 3 && -x $sigmactl ]] || { echo "$usage" >&2; exit 2; } ;;
  *) echo "$usage" >&2; exit 2 ;;
esac
[[ -f $completion_file ]] || { echo "$0: no completion file $completion_file" >&2; exit 2; }
completion_file=$(realpath "$completion_file")
[[ -z $sigmactl ]] || sigmactl=$(realpath "$sigmactl")

bash_completion=/usr/share/bash-completion/bash_completion
if [[ ! -f $bash_completion ]]; then
  echo "$0: $bash_completion is missing: install bash-completion (scripts/install-deps)" >&2
  exit 1
fi

scratch=$(mktemp -d)
trap 'rm -rf "$scratch"' EXIT
mkdir "$scratch/work" "$scratch/work/keys" "$scratch/bin"
touch "$scratch/work/data.csv"

# A sigmactl on PATH that records being run: completion must never run sigmactl (it
# would talk to the daemon), so in the end its log must not exist.
cat >"$scratch/bin/sigmactl" <<EOF
#!/bin/sh
echo "\$@" >>"$scratch/sigmactl-ran"
EOF
chmod +x "$scratch/bin/sigmactl"
PATH=$scratch/bin:$PATH
export SIGMAD_SOCKET=$scratch/no-such.sock

# bash-completion as an interactive shell loads it, without the user's own completions.
export BASH_COMPLETION_USER_DIR=$scratch/user-completions
export BASH_COMPLETION_USER_FILE=/dev/null
# shellcheck source=/dev/null
source "$bash_completion"

# bash-completion sources a completion file from inside a function (__load_completion),
# so load it the same way: a table declared without -g would then vanish.
load_completion() {
  # shellcheck source=/dev/null
  . "$completion_file"
}
load_completion
complete_spec=$(complete -p sigmactl 2>/dev/null)
if [[ $complete_spec =~ -F\ ([^ ]+) ]]; then
  completion_function=${BASH_REMATCH[1]}
else
  echo "FAIL: $completion_file registers no 'complete -F FUNCTION sigmactl' (got: $complete_spec)"
  exit 1
fi

cd "$scratch/work" || exit 1

failures=0
fail() {
  echo "FAIL: $*"
  failures=$((failures + 1))
}

# press_tab LINE: the TAB press at the end of LINE; the candidates end up in COMPREPLY.
# Words split as readline splits them: at blanks, and '=' is a word of its own
# ("--to=s" is --to, =, s), an empty current word after a trailing blank.
press_tab() {
  local line=$1 token
  local -a tokens
  read -ra tokens <<<"$line"
  COMP_WORDS=()
  for token in "${tokens[@]}"; do
    while [[ $token == *=* ]]; do
      [[ -n ${token%%=*} ]] && COMP_WORDS+=("${token%%=*}")
      COMP_WORDS+=("=")
      token=${token#*=}
    done
    [[ -n $token ]] && COMP_WORDS+=("$token")
  done
  [[ $line == *' ' ]] && COMP_WORDS+=("")
  COMP_CWORD=$((${#COMP_WORDS[@]} - 1))
  COMP_LINE=$line
  COMP_POINT=${#line}
  COMPREPLY=()
  "$completion_function" sigmactl "${COMP_WORDS[COMP_CWORD]}" "${COMP_WORDS[COMP_CWORD - 1]}"
}

# offer LINE: the TAB press at the end of LINE; sets offered (the candidates on one
# line) and is_offered[CANDIDATE].
declare -A is_offered
offer() {
  local c
  press_tab "$1"
  is_offered=()
  for c in "${COMPREPLY[@]}"; do is_offered[$c]=1; done
  offered="${COMPREPLY[*]}"
}

# expect_exactly LINE CANDIDATE...: LINE offers these and nothing else.
expect_exactly() {
  local line=$1 c
  shift
  local -A want=()
  for c in "$@"; do want[$c]=1; done
  offer "$line"
  for c in "$@" "${COMPREPLY[@]}"; do
    if [[ -z ${want[$c]-} || -z ${is_offered[$c]-} ]]; then
      fail "'$line<TAB>' offers [$offered], expected [$*]"
      return
    fi
  done
}

# expect_some LINE CANDIDATE...: LINE offers at least these.
expect_some() {
  local line=$1 c
  shift
  offer "$line"
  for c in "$@"; do
    [[ -n ${is_offered[$c]-} ]] || fail "'$line<TAB>' does not offer $c (offers: $offered)"
  done
}

# expect_none LINE PATTERN: LINE offers nothing matching the glob PATTERN.
expect_none() {
  local c bad=()
  press_tab "$1"
  for c in "${COMPREPLY[@]}"; do
    # shellcheck disable=SC2053
    [[ $c == $2 ]] && bad+=("$c")
  done
  ((${#bad[@]} == 0)) || fail "'$1<TAB>' offers ${bad[*]}"
}

# The kinds of completion a value or argument gets, told apart by the scratch directory.
expect_files() { expect_some "$1" data.csv keys; }
expect_dirs() { expect_exactly "$1" keys; }
expect_nothing() { expect_exactly "$1"; }

run_cases() {
  # The commands, and no options unless asked for with '-'.
  expect_some "sigmactl " status version tenant key dataset predict backup policy
  expect_none "sigmactl " "-*"
  expect_exactly "sigmactl st" status store
  expect_exactly "sigmactl -" --socket --json --timeout --help --version
  expect_exactly "sigmactl --j" --json

  # A command's subcommands.
  expect_exactly "sigmactl backup " run list verify prune restore drill
  expect_exactly "sigmactl backup re" restore
  expect_exactly "sigmactl key rot" rotate rotate-master
  expect_nothing "sigmactl nosuchcommand "
  expect_nothing "sigmactl backup nosuchsubcommand "

  # A subcommand's options, with the global ones that may follow the command (but not
  # --version, which would just print sigmactl's).
  expect_some "sigmactl backup restore -" --to --in-place --help --socket --json --timeout
  expect_none "sigmactl backup restore -" --version
  expect_exactly "sigmactl backup restore 3 --in" --in-place
  expect_exactly "sigmactl backup restore 3 --t" --to --timeout
  # No positional argument to type: the options come without a '-'.
  expect_some "sigmactl backup run " --wait --help
  # A name or id (it would take the daemon to list them): nothing.
  expect_nothing "sigmactl backup restore "

  # --socket PATH: file names, before or after the command, as --socket X or --socket=X.
  expect_files "sigmactl --socket "
  expect_exactly "sigmactl --socket da" data.csv
  expect_exactly "sigmactl --socket=da" data.csv
  expect_files "sigmactl backup list --socket "
  expect_none "sigmactl --socket " "-*"

  # Options taking a value: the value, never options.
  expect_nothing "sigmactl --timeout "
  expect_nothing "sigmactl --timeout -"
  expect_nothing "sigmactl audit tail -n "
  expect_nothing "sigmactl policy show --version "
  expect_exactly "sigmactl audit export --format " jsonl csv
  expect_exactly "sigmactl audit export --format=c" csv
  expect_exactly "sigmactl dataset import t/p d --on-error " reject skip
  expect_files "sigmactl dataset import t/p d --file "
  expect_files "sigmactl key rotate-master --new-key-file "
  expect_dirs "sigmactl backup restore 3 --to "
  expect_dirs "sigmactl backup restore 3 --to="
  expect_exactly "sigmactl backup restore 3 --to=k" keys
  # ... and after the value, the command goes on.
  expect_exactly "sigmactl --socket /run/x.sock --timeout 5 ba" backup
  expect_some "sigmactl audit tail -n 5 -" --follow --tenant
  # A flag is not followed by a value: --schema is one for dataset show (but takes a
  # PATH for dataset import).
  expect_some "sigmactl dataset show t/p/d --schema -" --help
  expect_some "sigmactl dataset show t/p/d --schema --" --help

  # Positional files and directories.
  expect_files "sigmactl policy validate "
  expect_dirs "sigmactl policy plan "
  expect_dirs "sigmactl policy apply "
  expect_files "sigmactl policy validate -- "
  expect_nothing "sigmactl policy validate -- -"
}

# --- the completion against sigmactl's own --help ---------------------------------------

# read_help WORDS...: `sigmactl WORDS --help` into help; fails the test if it fails.
read_help() {
  if ! help=$("$sigmactl" "$@" --help 2>&1); then
    fail "sigmactl${*:+ $*} --help failed: $help"
    help=""
    return 1
  fi
}

# help_section NAME: the lines of section NAME ("Options", "Subcommands", "Positionals")
# of the help read last.
help_section() {
  awk -v s="$1:" '$0 == s { on = 1; next } on && /^$/ { exit } on' <<<"$help"
}

# The globals a command accepts after it (CLI11 fallthrough), offered alongside its own.
fallthrough_globals=(--socket --json --timeout)

# check_options WORDS...: the options `sigmactl WORDS --help` (the help read last) lists
# against what "sigmactl WORDS -<TAB>" offers, then each one's value.
check_options() {
  local words="$*" where="sigmactl${*:+ $*}"
  local line column names type name n
  local -a option_names listed=() types=() choices
  local -A is_listed=()
  while IFS= read -r line; do
    [[ $line == "  -"* ]] || continue # a wrapped description
    # The first column: the names, then a type (a value), then Excludes:, REQUIRED etc.
    column=${line#  }
    column=${column%%  *}
    read -r names type _ <<<"$column"
    case $type in Excludes: | Needs: | REQUIRED) type="" ;; esac
    # Long options; a short one only when it has no long form (-n, not -h or -f).
    IFS=, read -ra option_names <<<"$names"
    name=""
    for n in "${option_names[@]}"; do [[ $n == --* ]] && name=$n; done
    [[ -n $name ]] || name=${option_names[0]}
    listed+=("$name")
    types+=("$type")
    is_listed[$name]=1
  done < <(help_section Options)
  ((${#listed[@]})) || fail "$where --help lists no options (could not parse it?)"

  # Every option listed is offered; nothing else is, but the globals after a command.
  offer "$where -"
  local -A option_offered=()
  for name in "${listed[@]}"; do
    if [[ -n ${is_offered[$name]-} ]]; then
      option_offered[$name]=1
    else
      fail "'$where -<TAB>' does not offer the option $name, which $where --help lists: add it to $completion_file"
    fi
  done
  for name in $offered; do
    [[ -n ${is_listed[$name]-} ]] && continue
    [[ -n $words && " ${fallthrough_globals[*]} " == *" $name "* ]] && continue
    fail "'$where -<TAB>' offers the option $name, which $where --help does not list"
  done
  [[ -z $words ]] || expect_some "$where -" "${fallthrough_globals[@]}"

  # Each offered option's value: none (a flag: options follow), fixed choices, a file, a
  # directory, or free text (nothing); never options in place of a value.
  local i prefix
  for i in "${!listed[@]}"; do
    name=${listed[i]} type=${types[i]} prefix="$where ${listed[i]}"
    [[ -n ${option_offered[$name]-} ]] || continue # reported above
    if [[ -z $type ]]; then
      expect_some "$prefix -" --help
      continue
    elif [[ $type == *:\{*\}* ]]; then
      choices=${type#*:\{}
      choices=${choices%%\}*}
      IFS=, read -ra choices <<<"$choices"
      expect_exactly "$prefix " "${choices[@]}"
    elif [[ $type == PATH* ]]; then
      expect_files "$prefix "
    elif [[ $type == DIR* ]]; then
      expect_dirs "$prefix "
    else
      expect_nothing "$prefix "
    fi
    expect_none "$prefix -" "-*"
  done
}

# check_positionals WORDS...: "sigmactl WORDS <TAB>" completes what the first positional
# argument `sigmactl WORDS --help` (the help read last) lists takes: files for a PATH,
# directories for a DIR, nothing for names and ids, the options when it takes none.
check_positionals() {
  local where="sigmactl $*" first
  first=$(help_section Positionals | awk '/^  [^ ]/ { print $1; exit }')
  case $first in
    "") expect_some "$where " --help ;;
    PATH) expect_files "$where " ;;
    DIR) expect_dirs "$where " ;;
    *) expect_nothing "$where " ;;
  esac
}

# check_listed WHAT WORDS...: the subcommands `sigmactl WORDS --help` (the help read
# last) lists are what "sigmactl WORDS <TAB>" offers; sets present to those of them that
# are offered (the others are reported here, not checked further).
check_listed() {
  local what=$1
  shift
  local where="sigmactl${*:+ $*}" c listed
  local -A is_listed=()
  present=""
  listed=$(help_section Subcommands | awk '/^  [^ ]/ { print $1 }')
  offer "$where "
  for c in $listed; do
    is_listed[$c]=1
    if [[ -n ${is_offered[$c]-} ]]; then
      present+=" $c"
    else
      fail "'$where <TAB>' does not offer the $what $c, which $where --help lists: add it to $completion_file"
    fi
  done
  for c in $offered; do
    [[ -n ${is_listed[$c]-} || $c == -* ]] ||
      fail "'$where <TAB>' offers the $what $c, which $where --help does not list"
  done
}

run_binary() {
  local help present commands command sub checked=0
  read_help || return
  check_options
  check_listed command
  commands=$present
  [[ -n $commands ]] || fail "sigmactl --help lists no commands (could not parse it?)"
  for command in $commands; do
    read_help "$command" || continue
    if [[ -n $(help_section Subcommands) ]]; then
      check_listed "$command subcommand" "$command"
      for sub in $present; do
        read_help "$command" "$sub" || continue
        check_options "$command" "$sub"
        check_positionals "$command" "$sub"
        checked=$((checked + 1))
      done
    else
      check_options "$command"
      check_positionals "$command"
      checked=$((checked + 1))
    fi
  done
  echo "checked $(wc -w <<<"$commands") commands; $checked commands and subcommands with their options"
}

case $mode in
  cases) run_cases ;;
  binary) run_binary ;;
esac
if [[ -e $scratch/sigmactl-ran ]]; then
  fail "completing ran sigmactl: $(cat "$scratch/sigmactl-ran")"
fi

if ((failures)); then
  echo "$failures failure(s)"
  exit 1
fi
echo "ok"
