// The pci.ids and usb.ids databases (vendor, product and class names), parsed once per file version.
import { statSync } from 'node:fs';
import type { Host } from './host.js';

/** Where LXD's PCI database library looks, in order. */
export const pciIdsPaths = ['/usr/share/hwdata/pci.ids', '/usr/share/misc/pci.ids'];
export const usbIdsPath = '/usr/share/misc/usb.ids';

export interface IdVendor {
  name: string;
  /** Product id (lowercase hex as in the file) to name. */
  products: Map<string, string>;
}

export interface PciIds {
  vendors: Map<string, IdVendor>;
}

export interface UsbClass {
  name: string;
  subclasses: Map<number, string>;
}

export interface UsbIds {
  /** Keyed by the numeric id, so "046d" and "046D" meet. */
  vendors: Map<number, { name: string; products: Map<number, string> }>;
  classes: Map<number, UsbClass>;
}

const cache = new Map<string, { version: string; value: unknown }>();

/** Parses a file at most once per (size, mtime), since the databases are a megabyte or more. */
function cached<T>(host: Host, path: string, parse: (text: string) => T): T | undefined {
  const real = host.real(path);
  let version: string;
  try {
    const st = statSync(real);
    if (!st.isFile()) return undefined;
    version = `${st.size}:${st.mtimeMs}`;
  } catch {
    return undefined;
  }
  const hit = cache.get(real);
  if (hit?.version === version) return hit.value as T;
  const text = host.text(path);
  if (text === undefined) return undefined;
  const value = parse(text);
  cache.set(real, { version, value });
  return value;
}

export function loadPciIds(host: Host): PciIds | undefined {
  for (const path of pciIdsPaths) {
    const db = cached(host, path, parsePciIds);
    if (db) return db;
  }
  return undefined;
}

export function loadUsbIds(host: Host): UsbIds | undefined {
  return cached(host, usbIdsPath, parseUsbIds);
}

/** Vendor and product names for PCI ids; empty strings when unknown. */
export function pciNames(db: PciIds | undefined, vendorId: string, productId: string): { vendor: string; product: string } {
  const vendor = db?.vendors.get(vendorId);
  return { vendor: vendor?.name ?? '', product: vendor?.products.get(productId) ?? '' };
}

/**
 * pci.ids: "vvvv  Vendor", "\tdddd  Device", "\t\tssss ssss  Subsystem", and a trailing
 * class section ("C cc  Class") whose indented lines are not devices. As in the Go
 * library LXD uses, a vendor's devices are attached when the next vendor line starts, so
 * the last vendor before the class section ends up without devices.
 */
export function parsePciIds(text: string): PciIds {
  const vendors = new Map<string, IdVendor>();
  let current: IdVendor | undefined;
  let pending = new Map<string, string>();
  let inClass = false;
  for (const line of text.split('\n')) {
    if (line === '' || line.startsWith('#')) continue;
    if (line.startsWith('C')) {
      inClass = true;
      continue;
    }
    if (!line.startsWith('\t')) {
      if (current) current.products = pending;
      pending = new Map();
      inClass = false;
      current = { name: line.slice(6), products: new Map() };
      vendors.set(line.slice(0, 4), current);
      continue;
    }
    if (inClass || line.startsWith('\t\t') || !current) continue;
    const id = line.slice(1, 5);
    if (!pending.has(id)) pending.set(id, line.slice(7));
  }
  return { vendors };
}

/** usb.ids: vendors with products (and interfaces), then "C cc  Class" with subclasses; other sections ignored. */
export function parseUsbIds(text: string): UsbIds {
  const vendors: UsbIds['vendors'] = new Map();
  const classes = new Map<number, UsbClass>();
  let section: 'vendor' | 'class' | 'other' = 'vendor';
  let vendor: { name: string; products: Map<number, string> } | undefined;
  let cls: UsbClass | undefined;
  for (const raw of text.split('\n')) {
    const line = raw.replace(/\r$/, '');
    if (line === '' || line.startsWith('#')) continue;
    const m = /^(\t*)(?:(\S+) )?([0-9a-fA-F]+) {2}(.*)$/.exec(line);
    if (!m) continue;
    const [, tabs = '', kind, hex = '', name = ''] = m;
    const level = tabs.length;
    const id = Number.parseInt(hex, 16);
    // A kind ("C", "AT", "HID", ...) starts a section that lasts until the next kind.
    if (kind !== undefined) section = kind === 'C' ? 'class' : 'other';
    if (level === 0) {
      if (section === 'vendor') vendors.set(id, (vendor = { name, products: new Map() }));
      if (section === 'class') classes.set(id, (cls = { name, subclasses: new Map() }));
      continue;
    }
    if (level !== 1) continue;
    if (section === 'vendor') vendor?.products.set(id, name);
    else if (section === 'class') cls?.subclasses.set(id, name);
  }
  return { vendors, classes };
}
