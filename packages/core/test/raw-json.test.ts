// Finding a member's raw bytes in JSON that was already parsed: exactly what JSON.parse reads.
import assert from 'node:assert/strict';
import { test } from 'node:test';

import fc from 'fast-check';

import { jsonMemberBytes } from '../src/http/raw-json.js';

const span = (json: string, key = 'args') => {
  const bytes = jsonMemberBytes(Buffer.from(json), key);
  return bytes && Buffer.from(bytes).toString();
};

test('the raw bytes of a top-level member are found as written', () => {
  assert.equal(span('{"args":{"n":12345678901234567890}}'), '{"n":12345678901234567890}');
  assert.equal(span(' { "x" : "args" , "args" :\n [1, "]}\\"", {"args":2}] } '), '[1, "]}\\"", {"args":2}]');
  assert.equal(span('{"args":-1.5e3,"b":true}'), '-1.5e3');
  assert.equal(span('{"a":null,"args":"caf\\u00e9"}'), '"caf\\u00e9"');
  assert.equal(span('{"scheduling":{"args":1}}'), undefined, 'only the top level counts');
  assert.equal(span('{}'), undefined);
  // Like JSON.parse: the last of duplicate keys wins, and an escaped key is the key it spells.
  assert.equal(span('{"args":1,"args":2}'), '2');
  assert.equal(span('{"\\u0061rgs":[3]}'), '[3]');
  assert.equal(span('{"ärgs":1,"args":4}'), '4');
});

test('for any JSON object, the bytes found parse to the value JSON.parse gives', () => {
  fc.assert(
    fc.property(
      fc.dictionary(fc.string(), fc.jsonValue()),
      fc.jsonValue(),
      fc.constantFrom('', ' ', '\n\t '),
      (rest, args, space) => {
        const json = JSON.stringify({ ...rest, args }, null, space);
        const found = span(json);
        assert.ok(found !== undefined);
        assert.deepEqual(JSON.parse(found), (JSON.parse(json) as { args: unknown }).args);
      },
    ),
  );
});
