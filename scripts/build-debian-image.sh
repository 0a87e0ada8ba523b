#!/bin/sh
# Builds a Debian 12 (bookworm) system-container image with systemd, from debootstrap.
# The debootstrap tree is cached in $LODGE_IMAGE_CACHE (default /var/cache/lodge-test) and reused.
# Usage: scripts/build-debian-image.sh META.tar.xz ROOTFS.squashfs [UNIFIED.tar.xz]
set -eu

meta=${1:?usage: $0 META.tar.xz ROOTFS.squashfs [UNIFIED.tar.xz]}
rootfs=${2:?usage: $0 META.tar.xz ROOTFS.squashfs [UNIFIED.tar.xz]}
unified=${3:-}
cache=${LODGE_IMAGE_CACHE:-/var/cache/lodge-test}
tree=$cache/bookworm-rootfs
mirror=${DEBIAN_MIRROR:-http://deb.debian.org/debian}

mkdir -p "$cache"
if [ ! -f "$tree/.lodge-complete" ]; then
  rm -rf "$tree"
  debootstrap --variant=minbase --include=systemd,systemd-sysv,dbus,iproute2,ifupdown,isc-dhcp-client,procps \
    bookworm "$tree" "$mirror" >"$cache/debootstrap.log" 2>&1 || { tail -20 "$cache/debootstrap.log" >&2; exit 1; }
  # A container's hostname and network come from lodge; keep the image generic.
  : > "$tree/etc/hostname"
  printf 'auto lo\niface lo inet loopback\n\nauto eth0\niface eth0 inet dhcp\n' > "$tree/etc/network/interfaces"
  rm -f "$tree/etc/machine-id" && : > "$tree/etc/machine-id"
  rm -rf "$tree/var/cache/apt/archives/"*.deb "$tree/var/lib/apt/lists/"*
  touch "$tree/.lodge-complete"
fi

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
mkdir -p "$work/templates"
cat > "$work/metadata.yaml" <<M
architecture: $(uname -m)
creation_date: $(stat -c %Y "$tree/.lodge-complete")
properties:
  architecture: $(uname -m)
  description: Debian bookworm with systemd
  os: debian
  release: bookworm
  variant: default
templates:
  /etc/hostname:
    when:
    - create
    - copy
    template: hostname.tpl
  /etc/hosts:
    when:
    - create
    - copy
    template: hosts.tpl
M
echo '{{ instance.name }}' > "$work/templates/hostname.tpl"
printf '127.0.0.1\tlocalhost\n127.0.1.1\t{{ instance.name }}\n::1\tlocalhost ip6-localhost ip6-loopback\n' > "$work/templates/hosts.tpl"

tar --numeric-owner -C "$work" -cJf "$meta" metadata.yaml templates
rm -f "$rootfs"
mksquashfs "$tree" "$rootfs" -noappend -quiet -e .lodge-complete >/dev/null
if [ -n "$unified" ]; then
  ln -s "$tree" "$work/rootfs"
  tar --numeric-owner --xattrs --xattrs-include='*' -C "$work" -cJhf "$unified" --exclude=rootfs/.lodge-complete metadata.yaml templates rootfs
fi
