#!/usr/bin/env bash
# The style's one hard rule a formatter run can miss: C++ lines of at most 120 characters (not bytes: UTF-8).
# Usage: check_line_length.sh ROOT
set -euo pipefail
cd "$1"
long=$(find core nn autograd ops tests examples tools -name '*.cpp' -o -name '*.hpp' -o -name '*.h' |
  LC_ALL=C.UTF-8 xargs grep -nE '^.{121,}' || true)
[ -z "$long" ] && exit 0
echo "lines longer than 120 characters (clang-format -i --lines=N:N FILE):"
echo "$long" | cut -c1-160
exit 1
