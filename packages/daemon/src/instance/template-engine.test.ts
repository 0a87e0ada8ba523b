// Unit tests for the image template subset.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { renderTemplate } from './template-engine.js';

const ctx = { instance: { name: 'c1', ephemeral: false }, config: { 'user.x': 'hello' }, trigger: 'create', path: '/etc/hostname', properties: {} };

test('variables, config_get with defaults, if/elif/else', () => {
  assert.equal(renderTemplate('{{ instance.name }}\n', ctx), 'c1\n');
  assert.equal(renderTemplate('{{ config_get("user.x", "d") }} {{ config_get("user.y", "d") }}', ctx), 'hello d');
  assert.equal(renderTemplate('{% if trigger == "create" %}new{% else %}old{% endif %}', ctx), 'new');
  assert.equal(renderTemplate('{% if config_get("user.y", "") == "" %}none{% elif 1 %}x{% endif %}', ctx), 'none');
  assert.equal(renderTemplate('{% if not instance.ephemeral %}keep{% endif %}', ctx), 'keep');
  assert.equal(renderTemplate('{% if 0 %}a{% if 1 %}b{% endif %}{% else %}c{% endif %}', ctx), 'c');
});

test('unsupported syntax is an error', () => {
  assert.throws(() => renderTemplate('{% for x in y %}{% endfor %}', ctx), /Unsupported/);
  assert.throws(() => renderTemplate('{{ a | upper }}', ctx), /Unsupported/);
  assert.throws(() => renderTemplate('{% if 1 %}', ctx), /Unterminated/);
});
