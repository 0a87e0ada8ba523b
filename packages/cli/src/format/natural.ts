// Row ordering as lxc sorts its tables: fvbommel/sortorder natural order, empty cells last.

const isDigit = (c: number): boolean => c >= 0x30 && c <= 0x39;

/** sortorder.NaturalLess, on UTF-8 bytes like Go. */
export function naturalLess(a: string, b: string): boolean {
  const s1 = Buffer.from(a);
  const s2 = Buffer.from(b);
  let i1 = 0;
  let i2 = 0;
  while (i1 < s1.length && i2 < s2.length) {
    const c1 = s1[i1] as number;
    const c2 = s2[i2] as number;
    const d1 = isDigit(c1);
    const d2 = isDigit(c2);
    if (d1 !== d2) return d1;
    if (!d1) {
      if (c1 !== c2) return c1 < c2;
      i1++;
      i2++;
      continue;
    }
    while (i1 < s1.length && s1[i1] === 0x30) i1++;
    while (i2 < s2.length && s2[i2] === 0x30) i2++;
    const nz1 = i1;
    const nz2 = i2;
    while (i1 < s1.length && isDigit(s1[i1] as number)) i1++;
    while (i2 < s2.length && isDigit(s2[i2] as number)) i2++;
    if (i1 - nz1 !== i2 - nz2) return i1 - nz1 < i2 - nz2;
    const n1 = s1.subarray(nz1, i1).toString();
    const n2 = s2.subarray(nz2, i2).toString();
    if (n1 !== n2) return n1 < n2;
    if (nz1 !== nz2) return nz1 < nz2;
  }
  return s1.length < s2.length;
}

function compareCells(a: string, b: string): number {
  if (a === b) return 0;
  if (a === '') return 1;
  if (b === '') return -1;
  return naturalLess(a, b) ? -1 : naturalLess(b, a) ? 1 : 0;
}

/** utils.ByName: the first differing column decides. */
export function byName(a: string[], b: string[]): number {
  for (let k = 0; k < a.length; k++) {
    if (a[k] !== b[k]) return compareCells(a[k] ?? '', b[k] ?? '');
  }
  return 0;
}

/** utils.StringList: like ByName, but an empty first differing cell sorts last even against another empty one. */
export function stringList(a: string[], b: string[]): number {
  let x = 0;
  for (x = 0; x < a.length - 1; x++) if (a[x] !== b[x]) break;
  return compareCells(a[x] ?? '', b[x] ?? '');
}

export function sortRows(rows: string[][], order: (a: string[], b: string[]) => number = byName): string[][] {
  return [...rows].sort(order);
}
