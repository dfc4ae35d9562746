#!/usr/bin/env bash
# Builds and runs tests/consumer against Nabla: `check.sh install BUILD_DIR` installs BUILD_DIR's
# library into a temporary prefix and uses find_package; `check.sh subdirectory SOURCE_DIR` uses
# add_subdirectory on the source tree.
set -euo pipefail
mode=$1 dir=$2
here=$(cd "$(dirname "$0")" && pwd)
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
case $mode in
  install)
    cmake --install "$dir" --prefix "$work/prefix" >/dev/null
    cmake -S "$here" -B "$work/build" -DCMAKE_PREFIX_PATH="$work/prefix" >/dev/null ;;
  subdirectory)
    cmake -S "$here" -B "$work/build" -DNABLA_SOURCE_DIR="$dir" >/dev/null ;;
  *) echo "usage: $0 install BUILD_DIR | subdirectory SOURCE_DIR" >&2; exit 2 ;;
esac
cmake --build "$work/build" -j"$(nproc)" >/dev/null
"$work/build/consumer"
