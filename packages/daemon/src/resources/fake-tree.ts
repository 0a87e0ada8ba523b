// Fake /sys, /proc and /dev trees in a temp dir for the readers' unit tests.
import { mkdir, mkdtemp, rm, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import type { TestContext } from 'node:test';
import { Host } from './host.js';

/** A file's content, or a symlink target (relative, as sysfs links are, so it resolves inside the tree). */
export type Node = string | Buffer | { link: string };

/** Path (without leading slash) to node. */
export type Tree = Record<string, Node>;

export async function writeTree(root: string, tree: Tree): Promise<void> {
  for (const [path, node] of Object.entries(tree)) {
    const full = join(root, path);
    await mkdir(dirname(full), { recursive: true });
    if (typeof node === 'object' && 'link' in node) await symlink(node.link, full);
    else await writeFile(full, node);
  }
}

/** A Host over a new temp tree, removed when the test ends. */
export async function fakeHost(t: TestContext, tree: Tree): Promise<Host> {
  const root = await mkdtemp(join(tmpdir(), 'lodge-res-'));
  t.after(() => rm(root, { recursive: true, force: true }));
  await writeTree(root, tree);
  return new Host(root, { machine: 'x86_64', release: '6.1.0-test' });
}

export interface PciFunction {
  vendor: string;
  device: string;
  /** PCI class code, e.g. 0x030000 (display). */
  class: string;
  driver?: string;
  /** Further entries, relative to the function's directory. */
  extra?: Tree;
}

/** A PCI function at sys/devices/pci0000:00/<addr>, linked from sys/bus/pci/devices, with its subsystem and driver links. */
export function pciFunction(addr: string, f: PciFunction): Tree {
  const dir = `sys/devices/pci0000:00/${addr}`;
  const tree: Tree = {
    [`sys/bus/pci/devices/${addr}`]: { link: `../../../devices/pci0000:00/${addr}` },
    [`${dir}/vendor`]: `${f.vendor}\n`,
    [`${dir}/device`]: `${f.device}\n`,
    [`${dir}/class`]: `${f.class}\n`,
    [`${dir}/numa_node`]: '-1\n',
    [`${dir}/subsystem`]: { link: '../../../bus/pci' },
  };
  if (f.driver) {
    tree[`sys/bus/pci/drivers/${f.driver}/bind`] = '';
    tree[`${dir}/driver`] = { link: `../../../bus/pci/drivers/${f.driver}` };
  }
  for (const [path, node] of Object.entries(f.extra ?? {})) tree[`${dir}/${path}`] = node;
  return tree;
}
