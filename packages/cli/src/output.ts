// Output formats shared by every command: lxc's ASCII table (tablewriter), compact, csv, json and yaml.
import { goJson } from './format/gojson.js';
import { goYaml } from './format/goyaml.js';
import { toGo, type Shape } from './format/gotypes.js';

export const listFormats = ['csv', 'json', 'table', 'yaml', 'compact'] as const;
export type ListFormat = (typeof listFormats)[number];

// eslint-disable-next-line no-control-regex
const ansi = /\x1b\[[0-9;]*[A-Za-z]/g;

function isWide(cp: number): boolean {
  return (
    (cp >= 0x1100 && cp <= 0x115f) ||
    (cp >= 0x2e80 && cp <= 0xa4cf && cp !== 0x303f) ||
    (cp >= 0xac00 && cp <= 0xd7a3) ||
    (cp >= 0xf900 && cp <= 0xfaff) ||
    (cp >= 0xfe30 && cp <= 0xfe4f) ||
    (cp >= 0xff00 && cp <= 0xff60) ||
    (cp >= 0xffe0 && cp <= 0xffe6) ||
    (cp >= 0x1f300 && cp <= 0x1faff) ||
    (cp >= 0x20000 && cp <= 0x3fffd)
  );
}

/** Terminal columns of a string (what go-runewidth counts, for the common cases). */
export function displayWidth(s: string): number {
  let w = 0;
  for (const c of s.replace(ansi, '')) {
    const cp = c.codePointAt(0) ?? 0;
    if (/\p{Mn}|\p{Me}/u.test(c) || cp === 0x200b) continue;
    w += isWide(cp) ? 2 : 1;
  }
  return w;
}

const padRight = (s: string, width: number): string => s + ' '.repeat(Math.max(0, width - displayWidth(s)));

function padCenter(s: string, width: number): string {
  const gap = width - displayWidth(s);
  if (gap <= 0) return s;
  const left = Math.floor(gap / 2);
  return ' '.repeat(left) + s + ' '.repeat(gap - left);
}

/** tablewriter's header formatting: underscores (and dots not between digits) become spaces, then upper case. */
export function headerTitle(name: string): string {
  const rs = [...name];
  const numOrSpace = (c: string | undefined): boolean => c !== undefined && /[0-9 ]/.test(c);
  const out = rs.map((r, i) => {
    if (r === '_') return ' ';
    if (r === '.' && ((i !== 0 && !numOrSpace(rs[i - 1])) || (i !== rs.length - 1 && !numOrSpace(rs[i + 1])))) return ' ';
    return r;
  });
  const t = out.join('').trim();
  return (t === '' && name.length > 0 ? ' ' : t).toUpperCase();
}

function columnWidths(header: string[], rows: string[][][]): number[] {
  return header.map((h, i) => {
    let w = displayWidth(h);
    for (const row of rows) for (const line of row[i] ?? ['']) w = Math.max(w, displayWidth(line));
    return w;
  });
}

/** Rows of cells split into lines; short cells are filled with two spaces, as tablewriter does. */
function cellLines(rows: string[][], columns: number): { lines: string[][][]; heights: number[] } {
  const lines = rows.map((r) => Array.from({ length: columns }, (_, i) => (r[i] ?? '').split('\n')));
  const heights = lines.map((r) => Math.max(1, ...r.map((c) => c.length)));
  lines.forEach((r, ri) => r.forEach((c) => c.push(...Array<string>(Math.max(0, (heights[ri] ?? 1) - c.length)).fill('  '))));
  return { lines, heights };
}

/** The table lxc prints: borders, centred headers, left-aligned cells, a rule after every row. */
export function renderTable(header: string[], rows: string[][]): string {
  const { lines, heights } = cellLines(rows, header.length);
  const widths = columnWidths(header, lines);
  const rule = `+${widths.map((w) => '-'.repeat(w + 2)).join('+')}+\n`;
  let out = rule;
  out += `|${header.map((h, i) => ` ${padCenter(headerTitle(h), widths[i] ?? 0)} |`).join('')}\n`;
  out += rule;
  lines.forEach((row, ri) => {
    for (let x = 0; x < (heights[ri] ?? 1); x++) {
      out += `|${row.map((cell, i) => ` ${padRight(cell[x] ?? '', widths[i] ?? 0)} |`).join('')}\n`;
    }
    out += rule;
  });
  return out;
}

/** The "compact" format: the same layout without borders or separators. */
export function renderCompact(header: string[], rows: string[][]): string {
  const { lines, heights } = cellLines(rows, header.length);
  const widths = columnWidths(header, lines);
  const last = header.length - 1;
  let out = ` ${header.map((h, i) => ` ${padCenter(headerTitle(h), widths[i] ?? 0)} ${i === last ? ' ' : ''}`).join('')}\n`;
  lines.forEach((row, ri) => {
    for (let x = 0; x < (heights[ri] ?? 1); x++) {
      out += `${row.map((cell, i) => `${i === 0 ? ' ' : ''} ${padRight(cell[x] ?? '', widths[i] ?? 0)} `).join('')} \n`;
    }
  });
  return out;
}

/** encoding/csv: quote fields with separators, quotes, line breaks or a leading space. */
export function renderCsv(rows: string[][]): string {
  const quote = (f: string): string => {
    if (f === '' || !(/[",\r\n]/.test(f) || /^\s/u.test(f))) return f;
    return `"${f.replace(/"/g, '""')}"`;
  };
  return rows.map((r) => `${r.map(quote).join(',')}\n`).join('');
}

export function toJson(shape: Shape, value: unknown): string {
  return `${goJson(toGo(shape, value))}\n`;
}

export function toYaml(shape: Shape, value: unknown): string {
  return goYaml(toGo(shape, value));
}

export function isListFormat(f: string): f is ListFormat {
  return (listFormats as readonly string[]).includes(f);
}

/** utils.RenderTable: rows for table/compact/csv, the raw value (decoded as `rawShape`) for json/yaml. */
export function renderList(format: string, header: string[], rows: string[][], raw: unknown, rawShape: Shape): string {
  switch (format) {
    case 'table':
      return renderTable(header, rows);
    case 'compact':
      return renderCompact(header, rows);
    case 'csv':
      return renderCsv(rows);
    case 'json':
      return toJson(rawShape, raw);
    case 'yaml':
      return toYaml(rawShape, raw);
    default:
      throw new Error(`Invalid format "${format}"`);
  }
}
