import assert from 'node:assert/strict';
import { test } from 'node:test';

import { AppProblemKind, appScriptToJson, parseAppScript } from '../../src/scheduling/index.js';
import type { AppProblem } from '../../src/scheduling/index.js';

function problems(text: string): AppProblem[] {
  const parsed = parseAppScript(text);
  assert.equal(parsed.ok, false, 'the script should be refused');
  return parsed.ok ? [] : parsed.problems;
}

/** Wraps one block's lines in a valid entry for tag `t`. */
function withBlock(lines: string): string {
  return `- t:\n    - ${lines.trim().split('\n').join('\n      ')}\n`;
}

const DESIGN_EXAMPLE = `
- tag_a:
    - workers: [worker1, worker2]   # Worker names, or "*" for all
      strategy: best-first
      invalidate:
        capacity_used: 50%
        max_concurrent_invocations: 3
      affinity: [tag_b, "!tag_c"]
    - workers: "*"
  followup: default
- default:
    - workers: "*"
      strategy: platform
`;

test('the example of docs/scheduling.md parses with every field and default', () => {
  const parsed = parseAppScript(DESIGN_EXAMPLE);
  assert.ok(parsed.ok);
  assert.deepEqual(parsed.script, {
    entries: [
      {
        tag: 'tag_a',
        followup: 'default',
        blocks: [
          {
            workers: ['worker1', 'worker2'],
            strategy: 'best-first',
            invalidate: { capacityUsedPercent: 50, maxConcurrentInvocations: 3 },
            affinity: ['tag_b'],
            antiAffinity: ['tag_c'],
          },
          { workers: '*', strategy: 'best-first', invalidate: {}, affinity: [], antiAffinity: [] },
        ],
      },
      {
        tag: 'default',
        followup: 'fail',
        blocks: [{ workers: '*', strategy: 'platform', invalidate: {}, affinity: [], antiAffinity: [] }],
      },
    ],
  });
});

test('the parsed form for the API uses the language words, writes defaults out and survives JSON', () => {
  const parsed = parseAppScript(DESIGN_EXAMPLE);
  assert.ok(parsed.ok);
  const json = appScriptToJson(parsed.script);
  assert.deepEqual(JSON.parse(JSON.stringify(json)), json);
  assert.deepEqual(json[0], {
    tag: 'tag_a',
    followup: 'default',
    blocks: [
      {
        workers: ['worker1', 'worker2'],
        strategy: 'best-first',
        invalidate: { capacity_used: 50, max_concurrent_invocations: 3 },
        affinity: ['tag_b', '!tag_c'],
      },
      {
        workers: '*',
        strategy: 'best-first',
        invalidate: { capacity_used: null, max_concurrent_invocations: null },
        affinity: [],
      },
    ],
  });
});

test('capacity_used accepts 50%, "50", 50 and the bounds 0 and 100', () => {
  for (const [written, percent] of [
    ['50%', 50],
    ['"50"', 50],
    ['50', 50],
    ['"50%"', 50],
    ['12.5%', 12.5],
    ['0', 0],
    ['100%', 100],
  ] as const) {
    const parsed = parseAppScript(withBlock(`workers: "*"\ninvalidate:\n  capacity_used: ${written}`));
    assert.ok(parsed.ok, `capacity_used: ${written} should parse`);
    assert.equal(parsed.script.entries[0]!.blocks[0]!.invalidate.capacityUsedPercent, percent, written);
  }
});

test('capacity_used refuses negatives, more than 100 and non-percentages', () => {
  for (const written of ['-1', '-5%', '101', '100.5%', '"abc"', '"%"', 'true', '[50]', '']) {
    const found = problems(withBlock(`workers: "*"\ninvalidate:\n  capacity_used: ${written}`));
    assert.equal(found.length, 1, written);
    assert.equal(found[0]!.kind, AppProblemKind.BadCapacityUsed, written);
    assert.equal(found[0]!.field, 'invalidate.capacity_used');
    assert.match(found[0]!.expected, /percentage from 0 to 100/);
  }
});

test('max_concurrent_invocations must be a positive integer', () => {
  for (const written of ['1', '12', '+7']) {
    const ok = parseAppScript(
      withBlock(`workers: "*"\ninvalidate:\n  max_concurrent_invocations: ${written}`),
    );
    assert.ok(ok.ok, written);
  }
  for (const written of ['0', '-1', '1.5', '3.0', '3e0', '0x3', '"3"', 'many', '']) {
    const found = problems(withBlock(`workers: "*"\ninvalidate:\n  max_concurrent_invocations: ${written}`));
    assert.equal(found.length, 1, written);
    assert.equal(found[0]!.kind, AppProblemKind.BadMaxConcurrentInvocations, written);
    assert.match(found[0]!.message, /expected a positive integer/);
  }
});

/** One case per kind of problem of docs/scheduling.md ("Validation"), with where it must be reported. */
const PROBLEM_CASES: {
  name: string;
  text: string;
  kind: AppProblem['kind'];
  where: Partial<AppProblem>;
}[] = [
  { name: 'not YAML', text: '- t: [workers: \n  - : :', kind: 'not_yaml', where: {} },
  { name: 'a mapping instead of a list', text: 't:\n  - workers: "*"\n', kind: 'not_tag_list', where: {} },
  { name: 'a scalar document', text: 'hello', kind: 'not_tag_list', where: {} },
  { name: 'an empty document', text: '', kind: 'not_tag_list', where: {} },
  {
    name: 'an entry that is not a mapping',
    text: '- just_a_name\n',
    kind: 'not_tag_list',
    where: { entry: 1 },
  },
  {
    name: 'two tags in one entry',
    text: '- a:\n    - workers: "*"\n  b:\n    - workers: "*"\n',
    kind: 'not_tag_list',
    where: { entry: 1 },
  },
  {
    name: 'a number as the tag',
    text: '- 42:\n    - workers: "*"\n',
    kind: 'not_tag_list',
    where: { entry: 1, line: 1 },
  },
  {
    name: 'an empty tag',
    text: '- "":\n    - workers: "*"\n',
    kind: 'not_tag_list',
    where: { entry: 1 },
  },
  { name: 'a tag with nothing', text: '- t:\n', kind: 'no_blocks', where: { tag: 't', entry: 1 } },
  { name: 'a tag with an empty list', text: '- t: []\n', kind: 'no_blocks', where: { tag: 't' } },
  { name: 'a tag with a string', text: '- t: fast\n', kind: 'no_blocks', where: { tag: 't' } },
  {
    name: 'a block that is a string',
    text: '- t:\n    - "*"\n',
    kind: 'bad_block',
    where: { tag: 't', block: 1 },
  },
  {
    name: 'a block without workers',
    text: '- t:\n    - strategy: random\n',
    kind: 'missing_workers',
    where: { tag: 't', block: 1, field: 'workers' },
  },
  {
    name: 'workers a single name',
    text: '- t:\n    - workers: worker1\n',
    kind: 'bad_workers',
    where: { tag: 't', block: 1, field: 'workers' },
  },
  {
    name: 'workers a mapping',
    text: '- t:\n    - workers: {a: 1}\n',
    kind: 'bad_workers',
    where: { tag: 't', block: 1, field: 'workers' },
  },
  {
    name: 'workers with a number',
    text: '- t:\n    - workers: [w1, 42]\n',
    kind: 'bad_workers',
    where: { tag: 't', block: 1, field: 'workers[1]' },
  },
  {
    name: 'workers with "*" inside a list',
    text: '- t:\n    - workers: [w1, "*"]\n',
    kind: 'bad_workers',
    where: { field: 'workers[1]' },
  },
  {
    name: 'workers with a name twice',
    text: '- t:\n    - workers: [w1, w1]\n',
    kind: 'bad_workers',
    where: { field: 'workers[1]' },
  },
  {
    name: 'an unknown strategy',
    text: '- t:\n    - workers: "*"\n      strategy: fastest\n',
    kind: 'unknown_strategy',
    where: { tag: 't', block: 1, field: 'strategy', line: 3 },
  },
  {
    name: 'an unknown followup',
    text: '- t:\n    - workers: "*"\n  followup: retry\n',
    kind: 'unknown_followup',
    where: { tag: 't', field: 'followup', line: 3 },
  },
  {
    name: 'invalidate not a mapping',
    text: '- t:\n    - workers: "*"\n      invalidate: 50%\n',
    kind: 'bad_invalidate',
    where: { field: 'invalidate' },
  },
  {
    name: 'affinity not a list',
    text: '- t:\n    - workers: "*"\n      affinity: tag_b\n',
    kind: 'bad_affinity',
    where: { field: 'affinity' },
  },
  {
    name: 'affinity with an unquoted !tag (a YAML tag, empty value)',
    text: '- t:\n    - workers: "*"\n      affinity: [!tag_c]\n',
    kind: 'bad_affinity',
    where: { field: 'affinity[0]' },
  },
  {
    name: 'affinity with a bare "!"',
    text: '- t:\n    - workers: "*"\n      affinity: ["!"]\n',
    kind: 'bad_affinity',
    where: { field: 'affinity[0]' },
  },
  {
    name: 'affinity that contradicts itself',
    text: '- t:\n    - workers: "*"\n      affinity: [a, "!a"]\n',
    kind: 'bad_affinity',
    where: { field: 'affinity[1]' },
  },
  {
    name: 'an unknown key in a block',
    text: '- t:\n    - workers: "*"\n      colour: red\n',
    kind: 'unknown_key',
    where: { tag: 't', block: 1, line: 3 },
  },
  {
    name: 'an unknown key in invalidate',
    text: '- t:\n    - workers: "*"\n      invalidate:\n        cpu: 3\n',
    kind: 'unknown_key',
    where: { field: 'invalidate', line: 4 },
  },
  {
    name: 'a duplicate tag',
    text: '- t:\n    - workers: "*"\n- t:\n    - workers: "*"\n',
    kind: 'duplicate_tag',
    where: { tag: 't', entry: 2, line: 3 },
  },
];

for (const c of PROBLEM_CASES) {
  test(`refused with a located problem: ${c.name}`, () => {
    const found = problems(c.text);
    const match = found.find((p) => p.kind === c.kind);
    assert.ok(match, `expected a ${c.kind} problem, got ${JSON.stringify(found)}`);
    for (const [key, value] of Object.entries(c.where)) {
      assert.equal(match[key as keyof AppProblem], value, `${key} of ${JSON.stringify(match)}`);
    }
    assert.ok(match.expected.length > 0);
    assert.match(match.message, /expected|not valid YAML/);
  });
}

test('every problem is listed, not just the first, in the order of the text', () => {
  const text = [
    '- tag_a:',
    '    - workers: worker1', // 2: workers
    '      strategy: fastest', // 3: strategy
    '      invalidate:',
    '        capacity_used: 150%', // 5
    '        max_concurrent_invocations: 0', // 6
    '        foo: 1', // 7: unknown key
    '      colour: red', // 8: unknown key
    '    - strategy: random', // 9: no workers
    '  followup: maybe', // 10
    '- tag_a:', // 11: duplicate
    '    - workers: "*"',
    '- tag_b: []', // 13: no blocks
    '',
  ].join('\n');
  const found = problems(text);
  assert.deepEqual(
    found.map((p) => [p.kind, p.line]),
    [
      ['bad_workers', 2],
      ['unknown_strategy', 3],
      ['bad_capacity_used', 5],
      ['bad_max_concurrent_invocations', 6],
      ['unknown_key', 7],
      ['unknown_key', 8],
      ['missing_workers', 9],
      ['unknown_followup', 10],
      ['duplicate_tag', 11],
      ['no_blocks', 13],
    ],
  );
  assert.match(
    found[1]!.message,
    /^tag "tag_a" \(entry 1\), block 1, strategy, line 3, column \d+: expected one of "best-first", "random", "platform", got "fastest"$/,
  );
});

test('a YAML syntax error is reported with its line', () => {
  const found = problems('- t:\n    - workers: [a, b\n');
  assert.ok(found.every((p) => p.kind === 'not_yaml'));
  assert.ok(found[0]!.line !== undefined && found[0]!.line >= 1);
  assert.match(found[0]!.message, /^line \d+, column \d+: not valid YAML: /);
});

test('a tag that is not a string is reported once', () => {
  const found = problems('- 42:\n    - workers: "*"\n');
  assert.equal(found.length, 1);
  assert.match(
    found[0]!.message,
    /expected a tag name \(a non-empty string; quote numbers\) as the key, got 42/,
  );
});

test('several YAML documents are refused', () => {
  const found = problems('- a:\n    - workers: "*"\n---\n- b:\n    - workers: "*"\n');
  assert.match(found[0]!.message, /several YAML documents/);
});

test('anchors and aliases are followed', () => {
  const parsed = parseAppScript(
    '- a:\n    - &b\n      workers: [w1]\n      strategy: random\n- b:\n    - *b\n',
  );
  assert.ok(parsed.ok);
  assert.deepEqual(parsed.script.entries[1]!.blocks[0]!.workers, ['w1']);
  assert.equal(parsed.script.entries[1]!.blocks[0]!.strategy, 'random');
});

test('an empty list of workers is allowed (the block never finds one)', () => {
  const parsed = parseAppScript('- t:\n    - workers: []\n    - workers: "*"\n');
  assert.ok(parsed.ok);
  assert.deepEqual(parsed.script.entries[0]!.blocks[0]!.workers, []);
});
