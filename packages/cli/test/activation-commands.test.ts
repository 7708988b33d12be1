// fl activation … and fl fn invoke --async/--logs against the one-command platform (a Core and a
// Worker in this process, joined by the real link), with fl running in-process.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';

import { ActivationIds, ActivationTrigger } from '@funless/core';
import { ErrorCode, LogStream } from '@funless/protocol';
import { asFixture, eventually, watFixture } from '@funless/testing';

import type { RunningPlatform } from '../src/platform/index.js';
import { runCli } from '../src/program.js';
import { startInProcessPlatform } from './support/in-process-platform.js';
import { memoryIo } from './support/memory-io.js';
import { tempDir } from './support/temp-dir.js';

const ADMIN = 'activation-cli-admin-token-0123';

let work: { dir: string; cleanup: () => Promise<void> };
let platform: RunningPlatform;
let env: NodeJS.ProcessEnv;

before(async () => {
  work = await tempDir('fl-activation-cli-');
  ({ platform, env } = await startInProcessPlatform(work.dir, ADMIN));
  const form = new FormData();
  form.set('name', 'hello');
  form.set('code', new Blob([await watFixture('hello')]), 'hello.wasm');
  const trap = new FormData();
  trap.set('name', 'trap');
  trap.set('code', new Blob([await watFixture('trap')]), 'trap.wasm');
  const noisy = new FormData();
  noisy.set('name', 'noisy');
  noisy.set('code', new Blob([await watFixture('log-then-trap')]), 'noisy.wasm');
  const chatty = new FormData();
  chatty.set('name', 'chatty');
  chatty.set('code', new Blob([await asFixture('console-log')]), 'chatty.wasm');
  for (const body of [form, trap, noisy, chatty]) {
    const res = await fetch(`${platform.core.url}/v1/fn/_`, {
      method: 'POST',
      headers: { authorization: `Bearer ${ADMIN}` },
      body,
    });
    assert.equal(res.status, 201, await res.text());
  }
});

after(async () => {
  await platform?.close();
  await work?.cleanup();
});

async function fl(...args: string[]): Promise<{ code: number; out: string; err: string }> {
  const io = memoryIo(env, work.dir);
  const code = await runCli(args, io);
  return { code, out: io.out(), err: io.err() };
}

function ok(result: { code: number; out: string; err: string }): string {
  assert.equal(result.code, 0, `exit code 0 expected; stderr: ${result.err}`);
  return result.out;
}

describe('fl activation', () => {
  test('fl fn invoke --async prints the id; get, result and list show what ran', async () => {
    const id = ok(await fl('fn', 'invoke', 'hello', '-a', 'name=Ada', '--async')).trim();
    assert.match(id, /^[0-9a-f]{32}$/);
    await eventually(
      async () => (await fl('activation', 'get', id, '--json')).out.includes('"status": "success"'),
      'the activation ran',
    );
    assert.equal(ok(await fl('activation', 'result', id)), '{"payload":"Hello Ada!"}\n');
    const shown = ok(await fl('activation', 'get', id));
    assert.match(shown, new RegExp(`^id: +${id}$`, 'm'));
    assert.match(shown, /^function: +_\/hello$/m);
    assert.match(shown, /^status: +success$/m);
    assert.match(shown, /^trigger: +async$/m);
    assert.match(shown, /^duration: +[\d.]+ ms$/m);

    const table = ok(await fl('activation', 'list', '--fn', 'hello', '-m', '_', '--limit', '5'));
    const [header, first] = table.split('\n');
    assert.match(header!, /^ID +FUNCTION +STATUS +START +DURATION$/);
    assert.match(first!, new RegExp(`^${id}  _/hello +success +\\d{4}-\\d\\d-\\d\\dT[\\d:.]+Z +[\\d.]+ ms$`));
  });

  test('list filters by status and limit; a failed activation has no result and says why', async () => {
    const failed = await fl('fn', 'invoke', 'trap');
    assert.equal(failed.code, 1);
    const listed = ok(await fl('activation', 'list', '--status', 'trap', '--json'));
    const rows = JSON.parse(listed) as { activation_id: string; status: string; function: string }[];
    assert.ok(rows.length >= 1);
    assert.ok(rows.every((r) => r.status === 'trap' && r.function === 'trap'));
    const result = await fl('activation', 'result', rows[0]!.activation_id);
    assert.equal(result.code, 1);
    assert.match(result.err, /^fl: error: activation [0-9a-f]{32} failed \(trap\): the function trapped/);

    ok(await fl('fn', 'invoke', 'hello', '-a', 'name=A'));
    ok(await fl('fn', 'invoke', 'hello', '-a', 'name=B'));
    const two = ok(await fl('activation', 'list', '--limit', '2'));
    assert.equal(two.trimEnd().split('\n').length, 3, 'a header and two rows');
  });

  test('fl activation logs prints each line with its stream, in order, and says when they were cut', async () => {
    const id = new ActivationIds().next();
    await platform.core.store.activations.insert([
      {
        id,
        module: '_',
        function: 'hello',
        trigger: ActivationTrigger.Http,
        subject: 'admin',
        status: ErrorCode.Trap,
        worker: null,
        hash: null,
        durationMs: null,
        totalMs: null,
        error: 'unreachable',
        result: null,
        resultTruncated: false,
        logs: [
          { stream: LogStream.Console, text: 'starting' },
          { stream: LogStream.Stdout, text: 'to stdout' },
          { stream: LogStream.Stderr, text: 'to stderr' },
        ],
        logsTruncated: true,
      },
    ]);
    const logs = await fl('activation', 'logs', id);
    assert.equal(logs.code, 0);
    assert.equal(logs.out, 'console: starting\nstdout: to stdout\nstderr: to stderr\n');
    assert.match(logs.err, /logs were cut/);
  });

  test('fl fn invoke --logs prints the result, then the lines the function printed', async () => {
    const out = ok(await fl('fn', 'invoke', 'chatty', '--logs'));
    assert.equal(
      out,
      '{"logged":3}\nconsole: first line\nconsole: second line, with unicode: héllo ✓\nconsole: third line\n',
    );
    assert.equal(
      ok(await fl('fn', 'invoke', 'hello', '-a', 'name=Logs', '--logs')),
      '{"payload":"Hello Logs!"}\n',
    );
  });

  test('fl fn invoke --logs of a function that fails prints its lines on stderr, before the error', async () => {
    const failed = await fl('fn', 'invoke', 'noisy', '--logs');
    assert.equal(failed.code, 1);
    assert.equal(failed.out, '');
    assert.match(
      failed.err,
      /^console: from console\nstdout: to stdout\nstderr: to stderr, no line break\nfl: error: .*the function trapped: unreachable\n$/,
    );
    const id = JSON.parse(ok(await fl('activation', 'list', '--fn', 'noisy', '--limit', '1', '--json')))[0]
      .activation_id as string;
    assert.equal(
      ok(await fl('activation', 'logs', id)),
      'console: from console\nstdout: to stdout\nstderr: to stderr, no line break\n',
    );
  });

  test('bad ids and options are refused before any request', async () => {
    for (const [args, message] of [
      [['activation', 'get', 'nope'], /"nope" is not an activation id: ids are 32 lowercase hex digits/],
      [['activation', 'logs', 'A'.repeat(32)], /is not an activation id/],
      [['activation', 'list', '--limit', '0'], /--limit must be a whole number from 1 to 1000, got "0"/],
      [['activation', 'list', '--fn', 'a/b'], /invalid function name "a\/b"/],
      [['activation', 'poll', '--interval', 'x'], /--interval must be a number of seconds/],
      [['fn', 'invoke', 'hello', '--async', '--logs'], /--async and --logs do not go together/],
    ] as const) {
      const io = memoryIo({ ...env, FL_API_HOST: 'http://127.0.0.1:9' }, work.dir);
      assert.equal(await runCli([...args], io), 1, args.join(' '));
      assert.match(io.err(), message);
    }
    const unknown = await fl('activation', 'get', 'f'.repeat(32));
    assert.equal(unknown.code, 1);
    assert.match(unknown.err, /activation f{32} not found/);
  });

  test('fl activation poll prints new activations once they have finished, until stopped', async () => {
    ok(await fl('fn', 'invoke', 'hello', '-a', 'name=Before'));
    const controller = new AbortController();
    const io = { ...memoryIo(env, work.dir), signal: controller.signal };
    const polling = runCli(['activation', 'poll', '--fn', 'hello', '--interval', '0.1'], io);
    await eventually(() => io.err().includes('following new activations'), 'poll started');
    const ids = [
      ok(await fl('fn', 'invoke', 'hello', '-a', 'name=One', '--async')).trim(),
      ok(await fl('fn', 'invoke', 'hello', '-a', 'name=Two', '--async')).trim(),
    ];
    await fl('fn', 'invoke', 'trap');
    await eventually(
      () => ids.every((id) => io.out().includes(id)),
      () => `both printed: ${io.out()}`,
    );
    controller.abort();
    assert.equal(await polling, 0);
    const lines = io.out().trimEnd().split('\n');
    assert.equal(lines.length, 2, 'only the new ones, once each, of the function asked for');
    assert.ok(lines[0]!.startsWith(ids[0]!), 'in the order they were accepted');
    assert.match(lines[1]!, new RegExp(`^${ids[1]}  _/hello +success `));
  });
});
