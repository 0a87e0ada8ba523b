// Unit tests: network cards from /sys/class/net and the PCI bus: ports, link state, virtio, USB and InfiniBand.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { fakeHost, pciFunction, type Tree } from './fake-tree.js';
import { readNetwork } from './network.js';

/** An interface below a device directory (relative to sys/devices/pci0000:00) and its /sys/class/net link. */
function iface(deviceDir: string, name: string, attrs: Record<string, string>): Tree {
  const dir = `sys/devices/pci0000:00/${deviceDir}/net/${name}`;
  const tree: Tree = {
    [`sys/class/net/${name}`]: { link: `../../devices/pci0000:00/${deviceDir}/net/${name}` },
    [`${dir}/device`]: { link: '../..' },
  };
  for (const [k, v] of Object.entries(attrs)) tree[`${dir}/${k}`] = `${v}\n`;
  return tree;
}

test('virtio, multi-port, InfiniBand, USB and unbound cards, as LXD lists them', async (t) => {
  const host = await fakeHost(t, {
    // virtio: the netdev hangs off virtio2, whose PCI parent gives the address.
    ...pciFunction('0000:00:03.0', { vendor: '0x1af4', device: '0x1041', class: '0x020000', driver: 'virtio-pci' }),
    'sys/devices/pci0000:00/0000:00:03.0/virtio2/vendor': '0x1af4\n',
    'sys/devices/pci0000:00/0000:00:03.0/virtio2/device': '0x0001\n',
    'sys/devices/pci0000:00/0000:00:03.0/virtio2/subsystem': { link: '../../../../bus/virtio' },
    'sys/bus/virtio/drivers/virtio_net/bind': '',
    'sys/devices/pci0000:00/0000:00:03.0/virtio2/driver': { link: '../../../../bus/virtio/drivers/virtio_net' },
    ...iface('0000:00:03.0/virtio2', 'eth0', { type: '1', address: '02:fc:00:00:00:01', dev_port: '0', carrier: '1', speed: '-1', duplex: 'unknown' }),
    // Two functions of one Intel card: each is its own card; the second port is down (no carrier).
    ...pciFunction('0000:02:00.0', { vendor: '0x8086', device: '0x1533', class: '0x020000', driver: 'igb' }),
    ...pciFunction('0000:02:00.1', { vendor: '0x8086', device: '0x1533', class: '0x020000', driver: 'igb' }),
    'sys/bus/pci/drivers/igb/module': { link: '../../../../module/igb' },
    'sys/module/igb/version': '5.6.0-k\n',
    ...iface('0000:02:00.0', 'eno1', { type: '1', address: 'a0:36:9f:00:00:01', dev_port: '0', carrier: '1', speed: '1000', duplex: 'full' }),
    ...iface('0000:02:00.1', 'eno2', { type: '1', address: 'a0:36:9f:00:00:02', dev_port: '0', speed: '-1', duplex: 'unknown' }),
    // One function, two netdevs: an Ethernet port and an InfiniBand port.
    ...pciFunction('0000:03:00.0', {
      vendor: '0x15b3',
      device: '0x1003',
      class: '0x020000',
      driver: 'mlx4_core',
      extra: {
        'infiniband/mlx4_0/node_type': '1: CA\n',
        'infiniband_mad/umad0/port': '2\n',
        'infiniband_mad/umad0/dev': '231:0\n',
        'infiniband_mad/issm0/port': '2\n',
        'infiniband_mad/issm0/dev': '231:64\n',
        'infiniband_mad/umad1/port': '1\n',
        'infiniband_mad/umad1/dev': '231:1\n',
        'infiniband_verbs/uverbs0/dev': '231:192\n',
      },
    }),
    ...iface('0000:03:00.0', 'eth3', { type: '1', address: '00:02:c9:00:00:01', dev_port: '0', carrier: '0' }),
    ...iface('0000:03:00.0', 'ib0', { type: '32', address: '80:00:02:08:fe:80', dev_port: '1', carrier: '1', speed: '40000', duplex: 'full' }),
    // A USB modem: no PCI address, a USB one; raw-IP link type has no protocol name.
    'sys/devices/pci0000:00/0000:00:14.0/usb1/1-2/busnum': '1\n',
    'sys/devices/pci0000:00/0000:00:14.0/usb1/1-2/devnum': '3\n',
    'sys/devices/pci0000:00/0000:00:14.0/usb1/1-2/1-2:1.0/subsystem': { link: '../../../../../../bus/usb' },
    'sys/bus/usb/drivers/qmi_wwan/bind': '',
    'sys/devices/pci0000:00/0000:00:14.0/usb1/1-2/1-2:1.0/driver': { link: '../../../../../../bus/usb/drivers/qmi_wwan' },
    ...iface('0000:00:14.0/usb1/1-2/1-2:1.0', 'wwan0', { type: '519', dev_port: '0' }),
    // Virtual interfaces have no device and are not cards.
    'sys/class/net/lo': { link: '../../devices/virtual/net/lo' },
    'sys/devices/virtual/net/lo/type': '772\n',
    // A controller bound to vfio-pci: listed from the PCI bus, without ports.
    ...pciFunction('0000:04:00.0', { vendor: '0x8086', device: '0x10fb', class: '0x020000', driver: 'vfio-pci' }),
  });
  const net = await readNetwork(host);
  assert.equal(net.total, 6);
  assert.deepEqual(
    net.cards.map((c) => [c.pci_address ?? c.usb_address, c.driver, c.ports?.map((p) => p.id)]),
    [
      ['0000:02:00.0', 'igb', ['eno1']],
      ['0000:02:00.1', 'igb', ['eno2']],
      ['0000:00:03.0', 'virtio_net', ['eth0']],
      ['0000:03:00.0', 'mlx4_core', ['eth3', 'ib0']],
      ['1:3', 'qmi_wwan', ['wwan0']],
      ['0000:04:00.0', 'vfio-pci', undefined],
    ],
  );
  const [eno1, eno2, virtio, mlx, wwan] = net.cards;
  assert.deepEqual(eno1, {
    driver: 'igb',
    driver_version: '5.6.0-k',
    ports: [{ id: 'eno1', address: 'a0:36:9f:00:00:01', port: 0, protocol: 'ethernet', auto_negotiation: false, link_detected: true, link_speed: 1000, link_duplex: 'full' }],
    numa_node: 0,
    pci_address: '0000:02:00.0',
    vendor_id: '8086',
    product_id: '1533',
  });
  assert.deepEqual(eno2?.ports, [{ id: 'eno2', address: 'a0:36:9f:00:00:02', port: 0, protocol: 'ethernet', auto_negotiation: false, link_detected: false }]);
  // The virtio device's own ids (vendor 1af4, device 1 = network), as LXD reports them.
  assert.deepEqual(virtio, {
    driver: 'virtio_net',
    driver_version: '6.1.0-test',
    ports: [{ id: 'eth0', address: '02:fc:00:00:00:01', port: 0, protocol: 'ethernet', auto_negotiation: false, link_detected: true }],
    numa_node: 0,
    pci_address: '0000:00:03.0',
    vendor_id: '1af4',
    product_id: '0001',
  });
  assert.deepEqual(mlx?.ports?.[1], {
    id: 'ib0',
    address: '80:00:02:08:fe:80',
    port: 1,
    protocol: 'infiniband',
    auto_negotiation: false,
    link_detected: true,
    link_speed: 40000,
    link_duplex: 'full',
    infiniband: { issm_name: 'issm0', issm_device: '231:64', mad_name: 'umad0', mad_device: '231:0', verb_name: 'uverbs0', verb_device: '231:192' },
  });
  assert.equal(mlx?.ports?.[0]?.infiniband, undefined);
  assert.deepEqual(wwan, {
    driver: 'qmi_wwan',
    driver_version: '6.1.0-test',
    ports: [{ id: 'wwan0', port: 0, protocol: '', auto_negotiation: false, link_detected: false }],
    numa_node: 0,
    usb_address: '1:3',
  });
});

test('no network class and no PCI bus: no cards', async (t) => {
  assert.deepEqual(await readNetwork(await fakeHost(t, {})), { cards: [], total: 0 });
});
