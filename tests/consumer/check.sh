#!/usr/bin/env bash
# Builds and runs tests/consumer against Nabla: `check.sh install BUILD_DIR` installs BUILD_DIR's
# library into a temporary prefix and uses find_package; `check.sh subdirectory SOURCE_DIR` uses
# add_subdirectory on the source tree; `check.sh package BUILD_DIR` builds the libnabla-dev .deb, unpacks it,
# checks that its declared Debian dependencies are installed here, and builds TUTORIAL.md's program against the
# unpacked tree with find_package and with pkg-config, then runs both builds briefly.
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
  package)
    (cd "$dir" && cpack -G DEB >/dev/null)
    deb=$(ls "$dir"/package/libnabla-dev_*.deb)
    dpkg-deb -x "$deb" "$work/root"
    for dep in $(dpkg-deb -f "$deb" Depends | sed 's/([^)]*)//g; s/,/ /g'); do
      dpkg-query -W -f='${Status}' "$dep" 2>/dev/null | grep -q "install ok installed" ||
        { echo "check.sh: $deb depends on $dep, which is not installed" >&2; exit 1; }
    done
    "$here/../../tools/doc-blocks" -v dir="$work/tutorial" "$here/../../TUTORIAL.md"
    cmake -S "$work/tutorial" -B "$work/build" -DCMAKE_PREFIX_PATH="$work/root/usr" >/dev/null
    cmake --build "$work/build" -j"$(nproc)" >/dev/null
    flags=$(PKG_CONFIG_PATH="$work/root/usr/lib/pkgconfig" pkg-config --cflags --libs nabla)
    g++ -std=c++20 -O2 "$work/tutorial/main.cpp" -o "$work/pkg_config_build" $flags
    cd "$work"  # where the tutorial writes its checkpoint; the second run resumes from the first's
    data=/usr/share/datasets/fashion-mnist
    "$work/build/first_training" "$data" 1 2000
    "$work/pkg_config_build" "$data" 1 2000 | tee "$work/second.log"
    grep -q "resumed from first_training.safetensors" "$work/second.log"
    exit 0 ;;
  *) echo "usage: $0 install BUILD_DIR | subdirectory SOURCE_DIR | package BUILD_DIR" >&2; exit 2 ;;
esac
cmake --build "$work/build" -j"$(nproc)" >/dev/null
"$work/build/consumer"
