// yaml.v2 compatibility: scalar quoting, folding, literal blocks and key order checked against real lxc output.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { anyToGo, toGo } from './gotypes.js';
import { goFloat, goYaml, resolvesToNonString, yamlKeyLess } from './goyaml.js';
import { profile } from './shapes.js';

/** Config values chosen to hit every quoting rule; the expected text is what `lxc profile show` printed for them. */
const trickyConfig: Record<string, string> = {
  "user.a": "yes",
  "user.amp": "&x",
  "user.b": "[::]:8443",
  "user.bang": "!x",
  "user.base60": "1:20",
  "user.bin": "0b101",
  "user.brace": "{x}",
  "user.bt": "`x",
  "user.c": "1.0",
  "user.colon": "a:b",
  "user.comma": "a,b",
  "user.dash2": "- x",
  "user.dot": ".",
  "user.e": "x: y",
  "user.emptyline": "a\n\nb",
  "user.f": " lead",
  "user.f2": "3.",
  "user.g": "trail ",
  "user.gt": ">x",
  "user.h": "#c",
  "user.i": "a #b",
  "user.j": "null",
  "user.k": "2021-01-01",
  "user.l": "0x1F",
  "user.long": "This is a very long description that goes on and on and on past the eighty column limit for sure yes indeed it does",
  "user.long2": "averylongwordwithoutanyspacesaverylongwordwithoutanyspacesaverylongwordwithoutanyspacesaverylongword and then some more words to go on",
  "user.m": "~",
  "user.ml2": "  indented first\nsecond",
  "user.ml3": "line with trailing space \nnext",
  "user.n": "-dash",
  "user.n2": "NO",
  "user.neg": "-1.5",
  "user.nul": "Null",
  "user.o": "multi\nline",
  "user.oct": "0o17",
  "user.oct2": "017",
  "user.p": "multi\nline\n",
  "user.pct": "%x",
  "user.pipe": "|x",
  "user.plus": "+1",
  "user.q": "é ünicode",
  "user.q2": "'q",
  "user.qm": "? x",
  "user.r": "it's",
  "user.s": "say \"hi\"",
  "user.t": "on",
  "user.u": "1e3",
  "user.under": "1_000",
  "user.v": ".inf",
  "user.w": "tab\tin",
  "user.x": "*star",
  "user.y": "100",
  "user.y2": "Y",
  "user.z": "@at"
};

const lxcProfileShow = "config:\n  user.a: \"yes\"\n  user.amp: '&x'\n  user.b: '[::]:8443'\n  user.bang: '!x'\n  user.base60: \"1:20\"\n  user.bin: \"0b101\"\n  user.brace: '{x}'\n  user.bt: '`x'\n  user.c: \"1.0\"\n  user.colon: a:b\n  user.comma: a,b\n  user.dash2: '- x'\n  user.dot: .\n  user.e: 'x: y'\n  user.emptyline: |-\n    a\n\n    b\n  user.f: ' lead'\n  user.f2: \"3.\"\n  user.g: 'trail '\n  user.gt: '>x'\n  user.h: '#c'\n  user.i: 'a #b'\n  user.j: \"null\"\n  user.k: \"2021-01-01\"\n  user.l: \"0x1F\"\n  user.long: This is a very long description that goes on and on and on past the eighty\n    column limit for sure yes indeed it does\n  user.long2: averylongwordwithoutanyspacesaverylongwordwithoutanyspacesaverylongwordwithoutanyspacesaverylongword\n    and then some more words to go on\n  user.m: \"~\"\n  user.ml2: |2-\n      indented first\n    second\n  user.ml3: \"line with trailing space \\nnext\"\n  user.n: -dash\n  user.n2: \"NO\"\n  user.neg: \"-1.5\"\n  user.nul: \"Null\"\n  user.o: |-\n    multi\n    line\n  user.oct: \"0o17\"\n  user.oct2: \"017\"\n  user.p: |\n    multi\n    line\n  user.pct: '%x'\n  user.pipe: '|x'\n  user.plus: \"+1\"\n  user.q: é ünicode\n  user.q2: '''q'\n  user.qm: '? x'\n  user.r: it's\n  user.s: say \"hi\"\n  user.t: \"on\"\n  user.u: \"1e3\"\n  user.under: \"1_000\"\n  user.v: \".inf\"\n  user.w: \"tab\\tin\"\n  user.x: '*star'\n  user.y: \"100\"\n  user.y2: \"Y\"\n  user.z: '@at'\ndescription: \"\"\ndevices: {}\nname: tricky\nused_by: []\n";

test('a profile with awkward values prints exactly as lxc prints it', () => {
  const p = { name: 'tricky', description: '', config: trickyConfig, devices: {}, used_by: [] };
  assert.equal(goYaml(toGo(profile, p)), lxcProfileShow);
});

test('strings that YAML 1.1 would read as other types are quoted', () => {
  for (const s of ['', 'yes', 'No', 'on', 'OFF', '~', 'null', '1', '-1.5', '1e3', '0x1F', '0o17', '0b101', '1_000', '2021-01-01', '.5', '3.']) {
    assert.equal(resolvesToNonString(s), true, s);
  }
  for (const s of ['1.35.0', 'abc', '-dash', '.', 'x86_64', 'a:b', '<<']) assert.equal(resolvesToNonString(s), false, s);
});

test('map keys sort like yaml.v2 (numbers by value, letters after other characters)', () => {
  const keys = ['b', 'a10', 'a2', 'a_b', 'aB', 'A'];
  const sorted = [...keys].sort((x, y) => (yamlKeyLess(x, y) ? -1 : yamlKeyLess(y, x) ? 1 : 0));
  assert.deepEqual(sorted, ['A', 'a_b', 'a2', 'a10', 'aB', 'b']);
});

test('floats print as strconv.FormatFloat(v, g, -1)', () => {
  assert.equal(goFloat(103), '103');
  assert.equal(goFloat(1036809), '1.036809e+06');
  assert.equal(goFloat(0.5), '0.5');
  assert.equal(goFloat(0.00001), '1e-05');
  assert.equal(goFloat(Infinity), '.inf');
});

test('empty and nil collections, nested sequences and mappings in sequences', () => {
  const v = { a: [], b: {}, c: null, d: [{ x: 1, y: ['p', 'q'] }], e: [['n']] };
  assert.equal(goYaml(anyToGo(v)), 'a: []\nb: {}\nc: null\nd:\n- x: 1\n  "y":\n  - p\n  - q\ne:\n- - "n"\n');
});

test('a value ending in several newlines keeps them and ends the document', () => {
  assert.equal(goYaml(anyToGo({ k: 'a\n\n' })), 'k: |+\n  a\n\n...\n');
});

test('non-printable characters force double quotes with escapes', () => {
  assert.equal(goYaml(anyToGo({ k: 'tab\there', e: 'smile \u{1F600}' })), 'e: "smile \\U0001F600"\nk: "tab\\there"\n');
});
