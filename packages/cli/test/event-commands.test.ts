// fl fn create --event/--sink/--events/--sinks and fl fn get against the one-command platform (a
// Core and a Worker in this process), an MQTT message going through a real Worker to a webhook.
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { writeFile } from 'node:fs/promises';
import { createServer } from 'node:http';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';

import { eventually, watFixture } from '@funless/testing';
import mqtt from 'mqtt';

import { parseEventSpec, parseSinkSpec } from '../src/args/index.js';
import type { RunningPlatform } from '../src/platform/index.js';
import { runCli } from '../src/program.js';
import { startInProcessPlatform } from './support/in-process-platform.js';
import { memoryIo } from './support/memory-io.js';
import { tempDir } from './support/temp-dir.js';

const ADMIN = 'event-cli-admin-token-0123456789';

let work: { dir: string; cleanup: () => Promise<void> };
let platform: RunningPlatform;
let env: NodeJS.ProcessEnv;
const hooks: string[] = [];
const hookServer = createServer((request, response) => {
  const chunks: Buffer[] = [];
  request.on('data', (c: Buffer) => chunks.push(c));
  request.on('end', () => {
    hooks.push(Buffer.concat(chunks).toString('utf8'));
    response.writeHead(204).end();
  });
});

before(async () => {
  work = await tempDir('fl-event-cli-');
  await new Promise<void>((resolve) => hookServer.listen(0, '127.0.0.1', resolve));
  ({ platform, env } = await startInProcessPlatform(work.dir, ADMIN));
  await writeFile(join(work.dir, 'hello.wasm'), await watFixture('hello'));
});

after(async () => {
  await platform?.close();
  hookServer.close();
  await work?.cleanup();
});

async function fl(...args: string[]): Promise<{ code: number; out: string; err: string }> {
  const io = memoryIo(env, work.dir);
  const code = await runCli(args, io);
  return { code, out: io.out(), err: io.err() };
}

describe('fl fn create with events and sinks', () => {
  test('--event and --sink shorthands, and an --events file: an MQTT message runs on a Worker and its result reaches the webhook; fn get shows the state', async () => {
    const topic = `fl-test/cli-${randomBytes(5).toString('hex')}`;
    const { port } = hookServer.address() as { port: number };
    await writeFile(
      join(work.dir, 'events.json'),
      JSON.stringify([{ type: 'schedule', params: { cron: '0 0 1 1 *' } }]),
    );
    const created = await fl(
      'fn',
      'create',
      'sensor',
      'hello.wasm',
      '--events',
      'events.json',
      '--event',
      `mqtt:127.0.0.1:1883/${topic}`,
      '--sink',
      `webhook:http://127.0.0.1:${port}/hook`,
    );
    assert.equal(created.code, 0, created.err);
    assert.match(created.out, /^created function sensor in module _/);
    assert.match(created.out, /events: 2 of 2 connected/);
    assert.match(created.out, /sinks: 1 of 1 connected/);

    const client = await mqtt.connectAsync({ host: '127.0.0.1', port: 1883, reconnectPeriod: 0 });
    await client.publishAsync(topic, '{"name":"Ada"}', { qos: 1 });
    await client.endAsync();
    const hook = await eventually(() => hooks[0], 'the webhook gets the result', { timeoutMs: 20_000 });
    assert.deepEqual(JSON.parse(hook).result, { payload: 'Hello Ada!' });

    const shown = await fl('fn', 'get', 'sensor');
    assert.equal(shown.code, 0, shown.err);
    assert.match(shown.out, /event 0:\s+schedule \{"cron":"0 0 1 1 \*"\} connected/);
    assert.match(
      shown.out,
      /event 1:\s+mqtt .* connected \(messages received 1, invocations started 1, messages dropped 0\)/,
    );
    assert.match(shown.out, /sink 0:\s+webhook .* connected \(results delivered 1, delivery failures 0\)/);
  });

  test('an entry the Core refuses is a warning naming it; the function is created', async () => {
    const result = await fl('fn', 'create', 'partial', 'hello.wasm', '--sink', 'postgres:nonsense#t');
    assert.equal(result.code, 0, result.err);
    assert.match(result.err, /warning: sinks\[0\]: sinks\[0\]\.params\.url is not a valid URL/);
    assert.match(result.out, /sinks: 0 of 1 connected/);
  });

  test('a malformed shorthand fails before any request', async () => {
    const result = await fl('fn', 'create', 'x', 'hello.wasm', '--event', 'mqtt:nohost');
    assert.equal(result.code, 1);
    assert.match(result.err, /--event "mqtt:nohost": expected mqtt:<host>:<port>\/<topic>/);
  });
});

test('shorthands map to the API entries', () => {
  assert.deepEqual(parseEventSpec('mqtt:broker:1883/sensors/+/t'), {
    type: 'mqtt',
    params: { host: 'broker', port: 1883, topic: 'sensors/+/t' },
  });
  assert.deepEqual(parseEventSpec('nats:127.0.0.1:4222/a.>'), {
    type: 'nats',
    params: { servers: 'nats://127.0.0.1:4222', subject: 'a.>' },
  });
  assert.deepEqual(parseEventSpec('schedule:*/5 * * * *'), {
    type: 'schedule',
    params: { cron: '*/5 * * * *' },
  });
  assert.deepEqual(parseSinkSpec('postgres:postgres://u@h:5432/db#results'), {
    type: 'postgres',
    params: { url: 'postgres://u@h:5432/db', table: 'results' },
  });
  assert.deepEqual(parseSinkSpec('couchdb:http://h:5984#docs'), {
    type: 'couchdb',
    params: { url: 'http://h:5984', database: 'docs' },
  });
  assert.deepEqual(parseSinkSpec('webhook:https://example.org/hook'), {
    type: 'webhook',
    params: { url: 'https://example.org/hook' },
  });
});
