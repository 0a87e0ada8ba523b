// PCI Vital Product Data (the sysfs "vpd" file): product name and the keyword entries LXD reports.
import type { ResourcesPCIVPD } from '@lodge/api';

const knownFields = new Set(['CC', 'EC', 'FC', 'FN', 'MN', 'NA', 'PN', 'RM', 'SN']);

/** Vendor-specific (V*, Y*, Z*) keywords and the standard ones LXD keeps. */
function knownKey(key: string): boolean {
  return key !== '' && (['V', 'Y', 'Z'].includes(key[0] ?? '') || knownFields.has(key));
}

/** A little-endian integer of n bytes; reading past the end yields 0 and consumes everything. */
function readInt(buf: Buffer, pos: number, n: number): [number, number] {
  if (pos + n > buf.length) return [buf.length, 0];
  let v = 0;
  for (let i = 0; i < n; i++) v += (buf[pos + i] ?? 0) * 2 ** (8 * i);
  return [pos + n, v];
}

/** A string of up to n bytes, with NULs and spaces trimmed from both ends. */
function readString(buf: Buffer, pos: number, n: number): [number, string] {
  const end = Math.min(buf.length, pos + n);
  return [end, buf.toString('utf8', pos, end).replace(/^[\0 ]+|[\0 ]+$/g, '')];
}

/** Keyword entries: 2-byte key, 1-byte length, value. */
function readEntries(buf: Buffer, pos: number, length: number, into: Record<string, string>): number {
  const end = Math.min(buf.length, pos + length);
  const section = buf.subarray(pos, end);
  let p = 0;
  while (p < section.length) {
    let key: string;
    let len: number;
    [p, key] = readString(section, p, 2);
    [p, len] = readInt(section, p, 1);
    if (len === 0) continue;
    let value: string;
    [p, value] = readString(section, p, len);
    if (knownKey(key)) into[key] = value;
  }
  return end;
}

/**
 * Walks the resource tags: 0x82 is the product name, 0x90/0x91 the read-only and read-write
 * keyword sections; other tags are skipped. A length running past the end is not skipped,
 * so the walk carries on from the next byte, as LXD's does.
 */
export function parseVpd(buf: Buffer): ResourcesPCIVPD {
  const entries: Record<string, string> = {};
  let productName = '';
  let pos = 0;
  while (pos < buf.length) {
    let tag: number;
    let length: number;
    [pos, tag] = readInt(buf, pos, 1);
    if ((tag & 0x80) === 0x80) {
      if (buf.length - pos < 2) break;
      [pos, length] = readInt(buf, pos, 2);
    } else {
      length = tag & 0x07;
    }
    if (tag === 0x82) [pos, productName] = readString(buf, pos, length);
    else if (tag === 0x90 || tag === 0x91) pos = readEntries(buf, pos, length, entries);
    else if (buf.length - pos >= length) pos += length;
  }
  const vpd: ResourcesPCIVPD = {};
  if (productName) vpd.product_name = productName;
  if (Object.keys(entries).length) vpd.entries = entries;
  return vpd;
}
