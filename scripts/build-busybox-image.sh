#!/bin/sh
# Builds a busybox system-container image from Debian's busybox-static: a unified LXD image tarball.
# Usage: scripts/build-busybox-image.sh OUTPUT.tar.gz [--split META.tar.xz ROOTFS.squashfs]
set -eu

out=${1:?usage: $0 OUTPUT.tar.gz}
busybox=${BUSYBOX:-/bin/busybox}
[ -x "$busybox" ] || { echo "busybox-static is needed ($busybox missing)" >&2; exit 1; }
"$busybox" --list >/dev/null 2>&1 || { echo "$busybox is not a multi-call busybox" >&2; exit 1; }

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
root=$work/rootfs
mkdir -p "$root"/bin "$root"/sbin "$root"/usr/bin "$root"/usr/sbin "$root"/etc/init.d "$root"/proc "$root"/sys \
  "$root"/dev "$root"/tmp "$root"/root "$root"/run "$root"/var/log "$root"/var/run "$root"/mnt "$root"/home
chmod 1777 "$root"/tmp
chmod 700 "$root"/root
cp "$busybox" "$root"/bin/busybox
for applet in $("$busybox" --list); do
  [ -e "$root/bin/$applet" ] || ln -s busybox "$root/bin/$applet"
done
ln -sf ../bin/busybox "$root"/sbin/init
cat > "$root"/etc/passwd <<'P'
root:x:0:0:root:/root:/bin/sh
nobody:x:65534:65534:nobody:/nonexistent:/bin/false
P
cat > "$root"/etc/group <<'G'
root:x:0:
nogroup:x:65534:
G
echo busybox > "$root"/etc/hostname
cat > "$root"/etc/inittab <<'I'
::sysinit:/etc/init.d/rcS
::respawn:/bin/sh -c 'exec sleep 2147483647'
::ctrlaltdel:/bin/reboot
::shutdown:/bin/umount -a -r
I
cat > "$root"/etc/init.d/rcS <<'R'
#!/bin/sh
# Minimal init: hostname, loopback, and DHCP on eth0 when there is one.
[ -r /etc/hostname ] && hostname -F /etc/hostname
ip link set lo up 2>/dev/null
if [ -e /sys/class/net/eth0 ]; then
  ip link set eth0 up
  # Stays in the background and renews its lease, as a distribution's DHCP client does.
  udhcpc -b -i eth0 -s /etc/udhcpc.script -t 10 >/dev/null 2>&1 &
fi
R
chmod 755 "$root"/etc/init.d/rcS
cat > "$root"/etc/udhcpc.script <<'U'
#!/bin/sh
# udhcpc hook: apply the lease to the interface.
case "$1" in
  bound|renew)
    ip addr flush dev "$interface"
    ip addr add "$ip/${mask:-24}" dev "$interface"
    [ -n "$router" ] && ip route replace default via "${router%% *}" dev "$interface"
    [ -n "$dns" ] && { for s in $dns; do echo "nameserver $s"; done; } > /etc/resolv.conf
    ;;
  deconfig) ip addr flush dev "$interface" ;;
esac
U
chmod 755 "$root"/etc/udhcpc.script
: > "$root"/etc/resolv.conf

version=$("$busybox" | head -1 | sed -n 's/^BusyBox v\([0-9.]*\).*/\1/p')
arch=$(uname -m)
cat > "$work"/metadata.yaml <<M
architecture: $arch
creation_date: $(date +%s)
properties:
  architecture: $arch
  description: Busybox $version system container
  name: busybox
  os: busybox
  release: "$version"
templates:
  /etc/hostname:
    when:
    - create
    - copy
    template: hostname.tpl
M
mkdir -p "$work"/templates
echo '{{ instance.name }}' > "$work"/templates/hostname.tpl

tar_opts="--numeric-owner --owner=0 --group=0 --sort=name --mtime=@$(date +%s)"
if [ "${2:-}" = "--split" ]; then
  meta=${3:?}; rootfs=${4:?}
  # shellcheck disable=SC2086
  tar $tar_opts -C "$work" -cJf "$meta" metadata.yaml templates
  rm -f "$rootfs"
  mksquashfs "$root" "$rootfs" -all-root -noappend -quiet >/dev/null
fi
# shellcheck disable=SC2086
tar $tar_opts -C "$work" -czf "$out" metadata.yaml templates rootfs
