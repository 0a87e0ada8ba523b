// A yaml.v2 (v2.4) compatible emitter for Go values, so `show` and `--format yaml` print what lxc prints, byte for byte.
// It follows libyaml's block emitter: the same scalar analysis, style choice, indentation and folding at 80 columns.
import type { GoNode } from './gotypes.js';

const bestIndent = 2;
const bestWidth = 80;

type Style = 'plain' | 'single' | 'double' | 'literal';

const yaml11Specials = new Set(
  'y Y yes Yes YES true True TRUE on On ON n N no No NO false False FALSE off Off OFF ~ null Null NULL .nan .NaN .NAN .inf .Inf .INF +.inf +.Inf +.INF -.inf -.Inf -.INF'.split(' '),
);
const yamlStyleFloat = /^[-+]?(\.[0-9]+|[0-9]+(\.[0-9]*)?)([eE][-+]?[0-9]+)?$/;
const base60Float = /^[-+]?[0-9][0-9_]*(?::[0-5]?[0-9])+(?:\.[0-9_]*)?$/;
const timestampLike = [
  /^\d{4}-\d{1,2}-\d{1,2}[Tt]\d{1,2}:\d{1,2}:\d{1,2}(\.\d{1,9})?(Z|[+-]\d\d:\d\d)$/,
  /^\d{4}-\d{1,2}-\d{1,2} \d{1,2}:\d{1,2}:\d{1,2}(\.\d{1,9})?$/,
  /^\d{4}-\d{1,2}-\d{1,2}$/,
];

function isGoInt(s: string): boolean {
  const plain = s.replace(/_/g, '');
  return /^[-+]?(0[xX][0-9a-fA-F]+|0[oO][0-7]+|0[bB][01]+|0[0-7]*|[1-9][0-9]*)$/.test(plain);
}

/** True when yaml.v2 would read the unquoted string as something other than a string (so it must be quoted). */
export function resolvesToNonString(s: string): boolean {
  if (s === '' || yaml11Specials.has(s)) return true;
  const c = s[0] ?? '';
  if (c === '.') return /^\.[0-9]+([eE][-+]?[0-9]+)?$/.test(s);
  if (!/[-+0-9]/.test(c)) return false;
  if (timestampLike.some((r) => r.test(s))) return true;
  if (isGoInt(s)) return true;
  return yamlStyleFloat.test(s.replace(/_/g, ''));
}

function isPrintable(cp: number): boolean {
  return cp === 0x0a || (cp >= 0x20 && cp <= 0x7e) || (cp >= 0xa0 && cp <= 0xd7ff) || (cp >= 0xe000 && cp <= 0xfffd && cp !== 0xfeff);
}

const isBreak = (c: string | undefined): boolean => c === '\r' || c === '\n' || c === '\u0085' || c === '\u2028' || c === '\u2029';
const isBlankZ = (c: string | undefined): boolean => c === undefined || c === ' ' || c === '\t' || isBreak(c);

interface Analysis {
  multiline: boolean;
  blockPlain: boolean;
  single: boolean;
  block: boolean;
}

/** yaml_emitter_analyze_scalar, for block context. */
function analyze(value: string): Analysis {
  if (value === '') return { multiline: false, blockPlain: true, single: true, block: false };
  const ch = [...value];
  let blockInd = value.startsWith('---') || value.startsWith('...');
  let lineBreaks = false;
  let special = false;
  let leadingSpace = false;
  let leadingBreak = false;
  let trailingSpace = false;
  let trailingBreak = false;
  let breakSpace = false;
  let spaceBreak = false;
  let prevSpace = false;
  let prevBreak = false;
  let precededByWs = true;
  ch.forEach((c, i) => {
    const followedByWs = isBlankZ(ch[i + 1]);
    if (i === 0) {
      if ('#,[]{}&*!|>\'"%@`'.includes(c)) blockInd = true;
      else if ((c === '?' || c === ':' || c === '-') && followedByWs) blockInd = true;
    } else if ((c === ':' && followedByWs) || (c === '#' && precededByWs)) blockInd = true;
    if (!isPrintable(c.codePointAt(0) ?? 0)) special = true;
    if (c === ' ') {
      if (i === 0) leadingSpace = true;
      if (i === ch.length - 1) trailingSpace = true;
      if (prevBreak) breakSpace = true;
      prevSpace = true;
      prevBreak = false;
    } else if (isBreak(c)) {
      lineBreaks = true;
      if (i === 0) leadingBreak = true;
      if (i === ch.length - 1) trailingBreak = true;
      if (prevSpace) spaceBreak = true;
      prevSpace = false;
      prevBreak = true;
    } else {
      prevSpace = false;
      prevBreak = false;
    }
    precededByWs = isBlankZ(c);
  });
  const a: Analysis = { multiline: lineBreaks, blockPlain: true, single: true, block: true };
  if (leadingSpace || leadingBreak || trailingSpace || trailingBreak) a.blockPlain = false;
  if (trailingSpace) a.block = false;
  if (breakSpace) a.blockPlain = a.single = false;
  if (spaceBreak || special) a.blockPlain = a.single = a.block = false;
  if (lineBreaks || blockInd) a.blockPlain = false;
  return a;
}

function chooseStyle(value: string, requested: Style, simpleKey: boolean): Style {
  const a = analyze(value);
  let style = requested;
  if (simpleKey && a.multiline) style = 'double';
  if (style === 'plain' && (!a.blockPlain || (value === '' && simpleKey))) style = 'single';
  if (style === 'single' && !a.single) style = 'double';
  if (style === 'literal' && (!a.block || simpleKey)) style = 'double';
  return style;
}

const namedEscapes: Record<number, string> = {
  0x00: '0', 0x07: 'a', 0x08: 'b', 0x09: 't', 0x0a: 'n', 0x0b: 'v', 0x0c: 'f', 0x0d: 'r', 0x1b: 'e',
  0x22: '"', 0x5c: '\\', 0x85: 'N', 0xa0: '_', 0x2028: 'L', 0x2029: 'P',
};

function escapeChar(cp: number): string {
  const named = namedEscapes[cp];
  if (named) return `\\${named}`;
  const hex = cp.toString(16).toUpperCase();
  if (cp <= 0xff) return `\\x${hex.padStart(2, '0')}`;
  if (cp <= 0xffff) return `\\u${hex.padStart(4, '0')}`;
  return `\\U${hex.padStart(8, '0')}`;
}

class Emitter {
  private readonly out: string[] = [];
  private column = 0;
  private whitespace = true;
  private indention = true;
  private indent = -1;
  private readonly indents: number[] = [];
  private openEnded = false;

  text(): string {
    this.writeIndent();
    if (this.openEnded) {
      this.indicator('...', true, false, false);
      this.writeIndent();
    }
    return this.out.join('');
  }

  node(n: GoNode, ctx: { mapping?: boolean; simpleKey?: boolean } = {}): void {
    switch (n.t) {
      case 'list':
        if (n.items.length === 0) return this.flowEmpty('[', ']');
        return this.sequence(n.items, ctx.mapping === true);
      case 'map': {
        if (n.entries.length === 0) return this.flowEmpty('{', '}');
        const entries = [...n.entries].sort((a, b) => (yamlKeyLess(a[0], b[0]) ? -1 : yamlKeyLess(b[0], a[0]) ? 1 : 0));
        return this.mapping(entries.map(([k, v]) => [{ t: 'str', v: k }, v]));
      }
      case 'struct': {
        const fs = n.fields.filter((f) => !f.omitYaml);
        if (fs.length === 0) return this.flowEmpty('{', '}');
        return this.mapping(fs.map((f) => [{ t: 'str', v: f.yaml }, f.node]));
      }
      case 'str': {
        const requested: Style = n.v.includes('\n') ? 'literal' : resolvesToNonString(n.v) || base60Float.test(n.v) ? 'double' : 'plain';
        return this.scalar(n.v, requested, ctx.simpleKey === true);
      }
      default:
        return this.scalar(plainText(n), 'plain', ctx.simpleKey === true);
    }
  }

  private put(s: string): void {
    this.out.push(s);
    this.column += [...s].length;
  }

  private newline(): void {
    this.out.push('\n');
    this.column = 0;
  }

  private writeIndent(): void {
    const indent = Math.max(this.indent, 0);
    if (!this.indention || this.column > indent || (this.column === indent && !this.whitespace)) this.newline();
    while (this.column < indent) this.put(' ');
    this.whitespace = true;
    this.indention = true;
  }

  private indicator(s: string, needWs: boolean, isWs: boolean, isIndention: boolean): void {
    if (needWs && !this.whitespace) this.put(' ');
    this.put(s);
    this.whitespace = isWs;
    this.indention = this.indention && isIndention;
    this.openEnded = false;
  }

  private pushIndent(flow: boolean, indentless: boolean): void {
    this.indents.push(this.indent);
    if (this.indent < 0) this.indent = flow ? bestIndent : 0;
    else if (!indentless) this.indent += bestIndent;
  }

  private popIndent(): void {
    this.indent = this.indents.pop() ?? -1;
  }

  private flowEmpty(open: string, close: string): void {
    this.indicator(open, true, true, false);
    this.indicator(close, false, false, false);
  }

  private sequence(items: GoNode[], mappingContext: boolean): void {
    this.pushIndent(false, mappingContext && !this.indention);
    for (const item of items) {
      this.writeIndent();
      this.indicator('-', true, false, true);
      this.node(item);
    }
    this.popIndent();
  }

  private mapping(entries: [GoNode, GoNode][]): void {
    this.pushIndent(false, false);
    for (const [k, v] of entries) {
      this.writeIndent();
      this.node(k, { simpleKey: true });
      this.indicator(':', false, false, false);
      this.node(v, { mapping: true });
    }
    this.popIndent();
  }

  private scalar(value: string, requested: Style, simpleKey: boolean): void {
    const style = chooseStyle(value, requested, simpleKey);
    this.pushIndent(true, false);
    if (style === 'plain') this.plain(value, !simpleKey);
    else if (style === 'single') this.single(value, !simpleKey);
    else if (style === 'double') this.double(value, !simpleKey);
    else this.literal(value);
    this.popIndent();
  }

  private plain(value: string, allowBreaks: boolean): void {
    if (!this.whitespace) this.put(' ');
    this.quotedBody([...value], allowBreaks, { quote: '', foldAtEnds: true });
    this.whitespace = false;
    this.indention = false;
  }

  private single(value: string, allowBreaks: boolean): void {
    this.indicator("'", true, false, false);
    this.quotedBody([...value], allowBreaks, { quote: "'", foldAtEnds: false });
    this.indicator("'", false, false, false);
    this.whitespace = false;
    this.indention = false;
  }

  /** The shared loop of the plain and single-quoted writers (folding at spaces past the width, breaks doubled). */
  private quotedBody(ch: string[], allowBreaks: boolean, o: { quote: string; foldAtEnds: boolean }): void {
    let spaces = false;
    let breaks = false;
    ch.forEach((c, i) => {
      if (c === ' ') {
        const inside = o.foldAtEnds || (i > 0 && i < ch.length - 1);
        if (allowBreaks && !spaces && this.column > bestWidth && inside && ch[i + 1] !== ' ') this.writeIndent();
        else this.put(c);
        spaces = true;
      } else if (isBreak(c)) {
        if (!breaks && c === '\n') this.newline();
        this.writeBreak(c);
        this.indention = true;
        breaks = true;
      } else {
        if (breaks) this.writeIndent();
        if (o.quote && c === o.quote) this.put(o.quote);
        this.put(c);
        this.indention = false;
        spaces = false;
        breaks = false;
      }
    });
  }

  private writeBreak(c: string): void {
    if (c === '\n') this.newline();
    else {
      this.out.push(c);
      this.column = 0;
    }
  }

  private double(value: string, allowBreaks: boolean): void {
    this.indicator('"', true, false, false);
    const ch = [...value];
    let spaces = false;
    ch.forEach((c, i) => {
      const cp = c.codePointAt(0) ?? 0;
      if (!isPrintable(cp) || cp === 0xfeff || isBreak(c) || c === '"' || c === '\\') {
        this.put(escapeChar(cp));
        spaces = false;
      } else if (c === ' ') {
        if (allowBreaks && !spaces && this.column > bestWidth && i > 0 && i < ch.length - 1) {
          this.writeIndent();
          if (ch[i + 1] === ' ') this.put('\\');
        } else this.put(c);
        spaces = true;
      } else {
        this.put(c);
        spaces = false;
      }
    });
    this.indicator('"', false, false, false);
  }

  private literal(value: string): void {
    this.indicator('|', true, false, false);
    this.blockHints(value);
    this.newline();
    this.indention = true;
    this.whitespace = true;
    let breaks = true;
    for (const c of value) {
      if (isBreak(c)) {
        this.writeBreak(c);
        this.indention = true;
        breaks = true;
      } else {
        if (breaks) this.writeIndent();
        this.put(c);
        this.indention = false;
        breaks = false;
      }
    }
  }

  private blockHints(value: string): void {
    const ch = [...value];
    if (ch[0] === ' ' || isBreak(ch[0])) this.indicator(String(bestIndent), false, false, false);
    this.openEnded = false;
    const last = ch[ch.length - 1];
    let chomp = '';
    if (!isBreak(last)) chomp = '-';
    else if (ch.length === 1 || isBreak(ch[ch.length - 2])) chomp = '+';
    if (chomp) this.indicator(chomp, false, false, false);
    if (chomp === '+') this.openEnded = true;
  }
}

function plainText(n: GoNode): string {
  switch (n.t) {
    case 'int':
    case 'str':
    case 'time':
      return String(n.v);
    case 'float':
      return goFloat(n.v);
    case 'bool':
      return n.v ? 'true' : 'false';
    default:
      return 'null';
  }
}

/** strconv.FormatFloat(v, 'g', -1, 64) with yaml.v2's spellings of infinities and NaN. */
export function goFloat(v: number): string {
  if (Number.isNaN(v)) return '.nan';
  if (!Number.isFinite(v)) return v > 0 ? '.inf' : '-.inf';
  if (v === 0) return Object.is(v, -0) ? '-0' : '0';
  const [mant = '0', expStr = '0'] = v.toExponential().split('e');
  const exp = Number(expStr);
  if (exp < -4 || exp >= 6) {
    return `${mant}e${exp < 0 ? '-' : '+'}${String(Math.abs(exp)).padStart(2, '0')}`;
  }
  return String(v);
}

const isLetter = (c: string): boolean => /\p{L}/u.test(c);
const isDigit = (c: string | undefined): boolean => c !== undefined && c >= '0' && c <= '9';

/** yaml.v2's keyList.Less: letters after other characters, digit runs compared as numbers. */
export function yamlKeyLess(a: string, b: string): boolean {
  const ar = [...a];
  const br = [...b];
  for (let i = 0; i < ar.length && i < br.length; i++) {
    const ac = ar[i] as string;
    const bc = br[i] as string;
    if (ac === bc) continue;
    const al = isLetter(ac);
    const bl = isLetter(bc);
    if (al && bl) return ac < bc;
    if (al || bl) return bl;
    let an = 0;
    let bn = 0;
    if (ac === '0' || bc === '0') {
      for (let j = i - 1; j >= 0 && isDigit(ar[j]); j--) {
        if (ar[j] !== '0') {
          an = bn = 1;
          break;
        }
      }
    }
    let ai = i;
    let bi = i;
    for (; ai < ar.length && isDigit(ar[ai]); ai++) an = an * 10 + Number(ar[ai]);
    for (; bi < br.length && isDigit(br[bi]); bi++) bn = bn * 10 + Number(br[bi]);
    if (an !== bn) return an < bn;
    if (ai !== bi) return ai < bi;
    return ac < bc;
  }
  return ar.length < br.length;
}

/** yaml.Marshal of a Go value. */
export function goYaml(n: GoNode): string {
  const e = new Emitter();
  e.node(n);
  return e.text();
}
