#!/bin/sh
# Installs what Lodge needs on Debian 12 (apt packages, npm dependencies) and builds it.
# Idempotent and quick when everything is already there. Usage: scripts/prepare.sh [--test]
set -eu
cd "$(dirname "$0")/.."

# Runtime: LXC and the tools lodged drives. Tests also need the real LXD client and server for
# compatibility checks, pylxd, and the image tools.
packages="lxc uidmap busybox-static squashfs-tools xz-utils rsync openssl iproute2 nftables dnsmasq-base criu btrfs-progs gcc make libc6-dev lxc-dev"
if [ "${1:-}" = "--test" ]; then
  # setcap/getcap and setfacl/getfacl: the lodge-helper shift test makes capabilities and ACLs.
  packages="$packages lxd lxd-client lxd-tools python3-pylxd debootstrap acl libcap2-bin"
fi

missing=""
for p in $packages; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing="$missing $p"
done
if [ -n "$missing" ]; then
  echo "Installing system packages:$missing" >&2
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -q >/dev/null
  # Packages must not start their services (LXD's daemon, dnsmasq): lodged owns the machine.
  guard=""
  if [ ! -e /usr/sbin/policy-rc.d ]; then
    printf '#!/bin/sh\nexit 101\n' > /usr/sbin/policy-rc.d && chmod 755 /usr/sbin/policy-rc.d && guard=1
  fi
  apt-get install -y -q --no-install-recommends $missing >/dev/null || { [ -n "$guard" ] && rm -f /usr/sbin/policy-rc.d; exit 1; }
  [ -n "$guard" ] && rm -f /usr/sbin/policy-rc.d
fi

# Unprivileged containers map ids from root's subordinate ranges.
grep -q '^root:' /etc/subuid 2>/dev/null || usermod --add-subuids 1000000-1999999999 root
grep -q '^root:' /etc/subgid 2>/dev/null || usermod --add-subgids 1000000-1999999999 root

stamp=node_modules/.lodge-lock-stamp
want=$(sha256sum package-lock.json | cut -d' ' -f1)
if [ ! -f "$stamp" ] || [ "$(cat "$stamp")" != "$want" ]; then
  echo "Installing npm dependencies (builds better-sqlite3 from source, about a minute)" >&2
  npm ci --no-audit --no-fund >/dev/null
  echo "$want" > "$stamp"
fi

npm run --silent build
