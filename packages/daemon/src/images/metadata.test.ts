// Unit tests for metadata.yaml parsing.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { parseImageMetadata } from './metadata.js';

test('a complete metadata.yaml parses', () => {
  const m = parseImageMetadata(
    'architecture: amd64\ncreation_date: 1700000000\nproperties:\n  os: busybox\n  release: 1.35\ntemplates:\n  /etc/hostname:\n    when: [create]\n    template: hostname.tpl\n',
  );
  assert.equal(m.architecture, 'x86_64');
  assert.equal(m.properties.release, '1.35');
  assert.deepEqual(m.templates['/etc/hostname']?.when, ['create']);
});

test('missing creation date, bad architecture and bad templates are refused', () => {
  assert.throws(() => parseImageMetadata('architecture: x86_64\n'), /Missing creation date/);
  assert.throws(() => parseImageMetadata('architecture: vax\ncreation_date: 1\n'), /unknown architecture/);
  assert.throws(() => parseImageMetadata('architecture: x86_64\ncreation_date: 1\ntemplates:\n  etc/x:\n    template: a\n'), /absolute/);
  assert.throws(() => parseImageMetadata('architecture: x86_64\ncreation_date: 1\ntemplates:\n  /etc/x:\n    template: ../../x\n'), /file name/);
  assert.throws(() => parseImageMetadata('- a list'), /not a YAML map/);
  assert.throws(() => parseImageMetadata(': : :'), /Invalid image metadata/);
});
