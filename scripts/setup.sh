#!/bin/sh
# One-step setup: installs what lodged needs, builds it, starts it with state in /var/lib/lodge
# (or $LODGE_DIR) and imports a local "busybox" image, so `bin/lodge launch busybox c1` works offline.
set -eu
cd "$(dirname "$0")/.."
repo=$(pwd)
dir=${LODGE_DIR:-/var/lib/lodge}

[ "$(id -u)" = 0 ] || { echo "setup.sh must run as root (lodged manages containers, mounts and networks)" >&2; exit 1; }
scripts/prepare.sh

mkdir -p "$dir/logs"
if bin/lodged waitready --dir "$dir" --timeout 1 >/dev/null 2>&1; then
  echo "Restarting the running lodged so it runs this build (containers keep running)" >&2
  bin/lodged shutdown --dir "$dir" --timeout 60
fi
# setsid + nohup: the daemon outlives this shell and its terminal.
setsid nohup "$repo/bin/lodged" --dir "$dir" >>"$dir/logs/lodged.out" 2>&1 </dev/null &
bin/lodged waitready --dir "$dir" --timeout 60

export LODGE_DIR="$dir"
if ! bin/lodge image info busybox >/dev/null 2>&1; then
  tmp=$(mktemp -d)
  trap 'rm -rf "$tmp"' EXIT
  scripts/build-busybox-image.sh "$tmp/busybox.tar.gz"
  bin/lodge image import "$tmp/busybox.tar.gz" --alias busybox
fi
echo "lodged is running (state in $dir, pid $(cat "$dir/lodged.pid")). Try: bin/lodge launch busybox c1"
