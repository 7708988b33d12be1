import assert from 'node:assert/strict';
import { test } from 'node:test';

import { ConfigError, envChoice, envInt, envValue, FlError } from '../src/index.js';

test('envValue trims and treats blank as unset', () => {
  assert.equal(envValue({ A: '  x ' }, 'A'), 'x');
  assert.equal(envValue({ A: '   ' }, 'A'), undefined);
  assert.equal(envValue({}, 'A'), undefined);
});

test('envInt reads whole numbers, blanks around them ignored; unset or blank is undefined', () => {
  assert.equal(envInt({ N: '42' }, 'N'), 42);
  assert.equal(envInt({ N: ' 7 ' }, 'N', { min: 1, max: 10 }), 7);
  assert.equal(envInt({ N: '0' }, 'N'), 0);
  assert.equal(envInt({ N: '65535' }, 'N', { min: 1, max: 65_535 }), 65_535);
  assert.equal(envInt({}, 'N', { min: 1 }), undefined);
  assert.equal(envInt({ N: '' }, 'N', { min: 1 }), undefined);
  assert.equal(envInt({ N: '  ' }, 'N', { min: 1 }), undefined);
});

test('envInt refuses a bad value with a ConfigError naming the variable, the rule and the value', () => {
  const cases: [string, { min?: number; max?: number }, RegExp][] = [
    ['eighty', {}, /^FL_X must be a whole number, got "eighty"$/],
    ['-5', {}, /^FL_X must be a whole number, got "-5"$/],
    ['1.5', {}, /^FL_X must be a whole number, got "1.5"$/],
    ['1e3', {}, /^FL_X must be a whole number, got "1e3"$/],
    ['0x10', {}, /^FL_X must be a whole number, got "0x10"$/],
    ['12 34', {}, /^FL_X must be a whole number, got "12 34"$/],
    ['99999999999999999999', {}, /^FL_X must be a whole number, got "99999999999999999999"$/],
    ['0', { min: 1 }, /^FL_X must be a positive whole number, got "0"$/],
    ['5', { min: 10 }, /^FL_X must be a whole number of at least 10, got "5"$/],
    ['70000', { min: 1, max: 65_535 }, /^FL_X must be an integer from 1 to 65535, got "70000"$/],
    ['0', { min: 1, max: 65_535 }, /^FL_X must be an integer from 1 to 65535, got "0"$/],
    ['20000', { max: 10_000 }, /^FL_X must be an integer from 0 to 10000, got "20000"$/],
  ];
  for (const [raw, range, message] of cases) {
    assert.throws(
      () => envInt({ FL_X: raw }, 'FL_X', range),
      (error: unknown) => {
        assert.ok(error instanceof ConfigError, `ConfigError for ${raw}`);
        assert.ok(error instanceof FlError);
        assert.equal(error.code, 'bad_request');
        assert.equal(error.name, 'ConfigError');
        assert.match(error.message, message);
        return true;
      },
    );
  }
});

test('envChoice reads one of its choices, blanks around it ignored, and refuses others naming them', () => {
  const formats = ['json', 'pretty'] as const;
  assert.equal(envChoice({ F: ' pretty ' }, 'F', formats), 'pretty');
  assert.equal(envChoice({ F: '' }, 'F', formats), undefined);
  assert.equal(envChoice({}, 'F', formats), undefined);
  assert.throws(
    () => envChoice({ F: 'yaml' }, 'F', formats),
    (error: unknown) =>
      error instanceof ConfigError && error.message === 'F must be one of json, pretty, got "yaml"',
  );
});
