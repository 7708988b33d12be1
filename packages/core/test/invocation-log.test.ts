// Each invocation's log lines carry its request id and the function they are about
// (docs/configuration.md, "Logs").
import assert from 'node:assert/strict';
import { test } from 'node:test';

import { ErrorCode, FlError } from '@funless/protocol';
import { watFixture } from '@funless/testing';
import { pino } from 'pino';

import { RecordingCluster } from './support/recording-cluster.js';
import { createTestCore } from './support/test-core.js';

test('every log line of an invocation carries its request id, module and function', async () => {
  const lines: Record<string, unknown>[] = [];
  const logger = pino({ level: 'info' }, { write: (line: string) => lines.push(JSON.parse(line)) });
  const cluster = new RecordingCluster((_fn, args) =>
    (args as { fail?: boolean }).fail
      ? Promise.reject(new FlError(ErrorCode.NoWorker, 'no Worker can run it'))
      : Promise.resolve('ok'),
  );
  const core = await createTestCore('sqlite', { cluster, logger });
  try {
    const created = await core.request('POST', '/v1/fn/_', {
      form: { name: 'hello', code: await watFixture('hello') },
    });
    assert.equal(created.status, 201);
    const ok = await core.request('POST', '/v1/fn/_/hello', { headers: { 'x-request-id': 'invocation-ok' } });
    assert.equal(ok.status, 200);
    const failed = await core.request('POST', '/v1/fn/_/hello', {
      json: { args: { fail: true } },
      headers: { 'x-request-id': 'invocation-failed' },
    });
    assert.equal(failed.status, 503);

    for (const reqId of ['invocation-ok', 'invocation-failed']) {
      const mine = lines.filter((l) => l.reqId === reqId);
      assert.ok(
        mine.some((l) => l.msg === 'request completed'),
        `${reqId}: a request completed line`,
      );
      // Every line after the route read the names (Fastify's incoming request comes before).
      for (const line of mine.filter((l) => l.msg !== 'incoming request')) {
        assert.equal(line.module, '_', `${reqId}: ${String(line.msg)}`);
        assert.equal(line.function, 'hello', `${reqId}: ${String(line.msg)}`);
      }
    }
    const warning = lines.find((l) => l.reqId === 'invocation-failed' && l.code === ErrorCode.NoWorker);
    assert.ok(warning, 'the 503 is logged with the request id');
    assert.equal(warning.function, 'hello');
    // And with its activation id, as its answer names it.
    assert.equal(warning.activationId, failed.headers['x-fl-activation-id']);
    const completed = lines.find((l) => l.reqId === 'invocation-ok' && l.msg === 'request completed');
    assert.equal(completed?.activationId, ok.headers['x-fl-activation-id']);
    assert.match(String(completed?.activationId), /^[0-9a-f]{32}$/);
    // Another request's lines do not get it: the bindings are the invocation's own.
    const other = await core.request('GET', '/v1/fn', { headers: { 'x-request-id': 'a-list' } });
    assert.equal(other.status, 200);
    const listed = lines.filter((l) => l.reqId === 'a-list');
    assert.ok(listed.length > 0);
    assert.ok(listed.every((l) => l.activationId === undefined));
  } finally {
    await core.close();
  }
});
