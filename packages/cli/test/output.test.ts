import assert from 'node:assert/strict';
import { test } from 'node:test';

import { cellText, formatRecord, formatTable, Progress } from '../src/output/index.js';

test('formatTable aligns columns under upper-case headers with no trailing spaces', () => {
  const rows = [
    { name: '_', size: 5 },
    { name: 'test_mod', size: 12345 },
  ];
  const text = formatTable(rows, [
    { header: 'name', value: (r) => r.name },
    { header: 'size', value: (r) => r.size, alignRight: true },
  ]);
  assert.equal(text, 'NAME       SIZE\n_             5\ntest_mod  12345\n');
});

test('formatTable with no rows prints the header only', () => {
  assert.equal(formatTable([], [{ header: 'name', value: () => 'x' }]), 'NAME\n');
});

test('cells: missing values show as -, lists joined by commas, objects as JSON, newlines flattened', () => {
  assert.equal(cellText(undefined), '-');
  assert.equal(cellText(null), '-');
  assert.equal(cellText(''), '-');
  assert.equal(cellText(['a', 'b']), 'a,b');
  assert.equal(cellText([]), '-');
  assert.equal(cellText({ k: 1 }), '{"k":1}');
  assert.equal(cellText('two\n  lines'), 'two lines');
  assert.equal(cellText(false), 'false');
});

test('formatRecord aligns keys', () => {
  assert.equal(
    formatRecord([
      ['name', 'hello'],
      ['capacity', 64],
    ]),
    'name:     hello\ncapacity: 64\n',
  );
});

test('a disabled progress indicator writes nothing, an enabled one clears its line and reports', async () => {
  let quiet = '';
  const off = new Progress({ write: (t: string) => (quiet += t) }, false);
  assert.equal(
    await off.run(
      'building',
      () => Promise.resolve(7),
      () => 'built',
    ),
    7,
  );
  assert.equal(quiet, '');

  let drawn = '';
  const on = new Progress({ write: (t: string) => (drawn += t) }, true);
  await on.run(
    'uploading',
    () => Promise.resolve(1),
    () => 'uploaded',
  );
  assert.match(drawn, /uploading/);
  assert.ok(drawn.endsWith('\r\x1b[2K✔ uploaded\n'), 'the line is cleared and the result printed');

  drawn = '';
  await assert.rejects(
    on.run('failing', () => Promise.reject(new Error('boom'))),
    /boom/,
  );
  assert.ok(drawn.endsWith('\r\x1b[2K'), 'the line is cleared when the task fails');
});
