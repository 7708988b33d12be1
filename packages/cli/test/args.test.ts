import assert from 'node:assert/strict';
import { test } from 'node:test';

import {
  checkName,
  invocationArgs,
  parseCapacity,
  parseJsonArgs,
  parseKeyValueArgs,
} from '../src/args/index.js';
import { parseLanguage } from '../src/build/index.js';
import { CliError } from '../src/errors/index.js';

test('-a values keep their JSON type, anything else is a string', () => {
  assert.deepEqual(
    parseKeyValueArgs([
      'name=Test',
      'n=3',
      'f=-1.5e2',
      'ok=true',
      'no=false',
      'x=null',
      'l=[1,"a"]',
      'o={"k":1}',
    ]),
    { name: 'Test', n: 3, f: -150, ok: true, no: false, x: null, l: [1, 'a'], o: { k: 1 } },
  );
  assert.deepEqual(parseKeyValueArgs(['s="3"', 'zip=007', 'e=', 'eq=a=b', 'sp=hello world']), {
    s: '3',
    zip: '007',
    e: '',
    eq: 'a=b',
    sp: 'hello world',
  });
});

test('-a with the same key twice keeps the last value', () => {
  assert.deepEqual(parseKeyValueArgs(['a=1', 'a=2']), { a: 2 });
});

test('-a without = or with an empty key is an error quoting the argument', () => {
  assert.throws(() => parseKeyValueArgs(['name']), /-a expects key=value, got "name"/);
  assert.throws(() => parseKeyValueArgs(['=3']), /non-empty key, got "=3"/);
});

test('-j must be a valid JSON object; bad JSON is an error quoting the parser', () => {
  assert.deepEqual(parseJsonArgs('{"name":"Test","n":[1]}'), { name: 'Test', n: [1] });
  assert.throws(
    () => parseJsonArgs('{name: Test}'),
    (error: unknown) => error instanceof CliError && /^-j is not valid JSON: /.test(error.message),
  );
  assert.throws(() => parseJsonArgs('[1,2]'), /-j must be a JSON object .* got an array/);
  assert.throws(() => parseJsonArgs('"x"'), /got a string/);
  assert.throws(() => parseJsonArgs('null'), /got null/);
});

test('invocationArgs takes -j or -a, refuses both, and defaults to {}', () => {
  assert.deepEqual(invocationArgs({}), {});
  assert.deepEqual(invocationArgs({ json: '{"a":1}' }), { a: 1 });
  assert.deepEqual(invocationArgs({ arg: ['a=1'] }), { a: 1 });
  assert.throws(() => invocationArgs({ json: '{}', arg: ['a=1'] }), /either -j .* or -a .*, not both/);
});

test('names follow the platform rule and the error names what kind of name', () => {
  assert.equal(checkName('hello_test', 'function'), 'hello_test');
  assert.throws(() => checkName('hello-test', 'function'), /invalid function name "hello-test": names are/);
  assert.throws(() => checkName('', 'module'), /invalid module name ""/);
  assert.throws(() => checkName('a'.repeat(161), 'module'), /invalid module name/);
  assert.throws(() => checkName('../x', 'module'), /invalid module name/);
});

test('--capacity takes a positive whole number of MiB', () => {
  assert.equal(parseCapacity('64'), 64);
  assert.equal(parseCapacity('128MiB'), 128);
  for (const bad of ['0', '-1', '1.5', 'lots', '']) {
    assert.throws(() => parseCapacity(bad), /--capacity must be a positive whole number of MiB/, bad);
  }
});

test('-l accepts the languages and their long names, and lists them for an unknown one', () => {
  assert.equal(parseLanguage('assemblyscript'), 'as');
  assert.equal(parseLanguage('C'), 'c');
  assert.equal(parseLanguage('rs'), 'rust');
  // ts is TypeScript on the JavaScript engine; AssemblyScript is as.
  assert.equal(parseLanguage('ts'), 'ts');
  assert.equal(parseLanguage('TypeScript'), 'ts');
  assert.equal(parseLanguage('javascript'), 'js');
  assert.throws(
    () => parseLanguage('cobol'),
    /unknown language "cobol": use one of js, ts, as, c, wat, rust/,
  );
});
