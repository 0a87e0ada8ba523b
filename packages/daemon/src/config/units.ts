// LXD size units: kB/MB/GB are powers of 1000, KiB/MiB/GiB powers of 1024.
const multipliers: Record<string, bigint> = {
  '': 1n,
  B: 1n,
  ' bytes': 1n,
  kB: 1000n,
  MB: 1000n ** 2n,
  GB: 1000n ** 3n,
  TB: 1000n ** 4n,
  PB: 1000n ** 5n,
  EB: 1000n ** 6n,
  KiB: 1024n,
  MiB: 1024n ** 2n,
  GiB: 1024n ** 3n,
  TiB: 1024n ** 4n,
  PiB: 1024n ** 5n,
  EiB: 1024n ** 6n,
};

const int64Max = 2n ** 63n - 1n;

/** Parses "256MB", "1GiB", "1024" into bytes; throws on anything else or on overflow. */
export function parseByteSize(input: string): number {
  if (input === '') return 0;
  const m = /^(\d+)(.*)$/.exec(input);
  if (!m?.[1]) throw new Error(`Invalid value: ${input}`);
  const mult = multipliers[m[2] ?? ''];
  if (mult === undefined) throw new Error(`Invalid value: ${input}`);
  const bytes = BigInt(m[1]) * mult;
  if (bytes > int64Max) throw new Error(`Overflow: ${input}`);
  return Number(bytes);
}

const binarySuffixes = ['B', 'KiB', 'MiB', 'GiB', 'TiB', 'PiB', 'EiB'];
const decimalSuffixes = ['B', 'kB', 'MB', 'GB', 'TB', 'PB', 'EB'];

/** Formats bytes the way lxc prints sizes ("1.50MiB", "3.20MB"). */
export function formatByteSize(bytes: number, precision = 2, binary = false): string {
  const base = binary ? 1024 : 1000;
  const suffixes = binary ? binarySuffixes : decimalSuffixes;
  let value = bytes;
  let i = 0;
  while (value >= base && i < suffixes.length - 1) {
    value /= base;
    i++;
  }
  return i === 0 ? `${bytes}${suffixes[0]}` : `${value.toFixed(precision)}${suffixes[i]}`;
}
