import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';

import { eventually } from '@funless/testing';
import mqtt from 'mqtt';
import pg from 'pg';

import { SHARED_MQTT } from '../support/brokers.js';
import { HttpReceiver } from '../support/http-receiver.js';
import { uniqueName } from '../support/test-core.js';
import { activationsOf, connectionsOf, createWithConnections, eventCore } from './event-core.js';
import type { EventCore, Json } from './event-core.js';

/** Publishes one QoS 1 message to the shared broker. */
async function publish(topic: string, message: string): Promise<void> {
  const client = await mqtt.connectAsync({ ...SHARED_MQTT, reconnectPeriod: 0 });
  try {
    await client.publishAsync(topic, message, { qos: 1 });
  } finally {
    await client.endAsync();
  }
}

const PG_URL =
  process.env.FL_TEST_PG_URL ?? process.env.DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/test';

describe('sinks', () => {
  const receiver = new HttpReceiver();
  let setup: EventCore;
  before(async () => {
    await receiver.start();
    setup = await eventCore('sqlite');
  });
  after(async () => {
    await setup.core.close();
    await receiver.close();
  });

  /** A function fed by a topic of its own, with `sinks`. */
  async function fed(
    sinks: unknown[],
  ): Promise<{ name: string; send: (message: string) => Promise<void>; created: Json }> {
    const name = uniqueName('f');
    const topic = `fl-test/${name}`;
    const created = await createWithConnections(setup, name, {
      events: [{ type: 'mqtt', params: { ...SHARED_MQTT, topic } }],
      sinks,
    });
    return { name, send: (message) => publish(topic, message), created: created.json };
  }

  test('mqtt: the envelope is published to the topic', async () => {
    const topic = `fl-test/${uniqueName('out')}`;
    const listener = await mqtt.connectAsync({ ...SHARED_MQTT, reconnectPeriod: 0 });
    try {
      await listener.subscribeAsync(topic, { qos: 1 });
      const got: Buffer[] = [];
      listener.on('message', (_t, payload) => got.push(payload));
      const fn = await fed([
        { type: 'mqtt', params: { ...SHARED_MQTT, port: String(SHARED_MQTT.port), topic, qos: 1 } },
      ]);
      assert.equal(fn.created.data.sinks_metadata.successful, 1);
      await fn.send('{"v":1}');
      const payload = await eventually(() => got[0], 'the sink publishes');
      const envelope = JSON.parse(payload.toString());
      assert.equal(envelope.function, fn.name);
      assert.deepEqual(envelope.result, { echo: { v: 1 } });
    } finally {
      await listener.endAsync();
    }
  });

  test('couchdb: one document per result, with basic auth, in a database it creates (a local server speaking the document API)', async () => {
    const database = uniqueName('db').toLowerCase();
    const fn = await fed([
      { type: 'couchdb', params: { url: `${receiver.url}/`, database, username: 'ada', password: 'secret' } },
    ]);
    assert.equal(fn.created.data.sinks_metadata.successful, 1, JSON.stringify(fn.created));
    await fn.send('{"v":2}');
    const post = await eventually(
      () => receiver.requests.find((r) => r.method === 'POST' && r.url === `/${database}`),
      'a document is posted',
    );
    const put = receiver.requests.find((r) => r.method === 'PUT' && r.url === `/${database}`);
    assert.ok(put, 'the database is created first');
    assert.equal(post.headers.authorization, `Basic ${Buffer.from('ada:secret').toString('base64')}`);
    assert.deepEqual(JSON.parse(post.body).result, { echo: { v: 2 } });
    const { sinks } = await connectionsOf(setup, fn.name);
    assert.equal(sinks[0].params.password, '***', 'the password is not shown');
  });

  test('postgres: one row per result in a table it creates', async () => {
    const table = uniqueName('fl_sink');
    const fn = await fed([{ type: 'postgres', params: { url: PG_URL, table } }]);
    assert.equal(fn.created.data.sinks_metadata.successful, 1, JSON.stringify(fn.created));
    const client = new pg.Client({ connectionString: PG_URL });
    await client.connect();
    try {
      await fn.send('{"v":3}');
      const rows = await eventually(async () => {
        const r = await client.query<{ function: string; envelope: { result: unknown } }>(
          `select function, envelope from "${table}"`,
        );
        return r.rows[0];
      }, 'a row is inserted');
      assert.equal(rows.function, fn.name);
      assert.deepEqual(rows.envelope.result, { echo: { v: 3 } });
    } finally {
      await client.query(`drop table if exists "${table}"`);
      await client.end();
    }
  });

  test('webhook: a non-2xx answer is a failed delivery after every attempt, recorded and counted', async () => {
    const path = `/${uniqueName('fail')}`;
    const previous = receiver.answer;
    receiver.answer = (request, response) => {
      if (request.url === path) response.writeHead(500).end('no');
      else previous(request, response);
    };
    const fn = await fed([{ type: 'webhook', params: { url: `${receiver.url}${path}` } }]);
    await fn.send('{"v":4}');
    const activation = await eventually(
      async () => (await activationsOf(setup, fn.name))[0],
      'the activation',
    );
    assert.deepEqual(activation.deliveries, [
      {
        sink: 0,
        type: 'webhook',
        status: 'failed',
        attempts: 3,
        error: `POST ${receiver.url}${path} answered 500`,
      },
    ]);
    assert.equal(receiver.requests.filter((r) => r.url === path).length, 3);
    const { sinks } = await connectionsOf(setup, fn.name);
    assert.deepEqual(sinks[0].counters, { results_delivered: 0, delivery_failures: 1 });
  });

  test('on: errors go only to sinks that ask for them', async () => {
    const ok = `/${uniqueName('ok')}`;
    const errors = `/${uniqueName('err')}`;
    const fn = await fed([
      { type: 'webhook', params: { url: `${receiver.url}${ok}` } },
      { type: 'webhook', params: { url: `${receiver.url}${errors}`, on: 'error' } },
    ]);
    await fn.send('{"fail":"boom"}');
    const failed = await eventually(
      () => receiver.requests.find((r) => r.url === errors),
      'the error sink gets it',
    );
    const envelope = JSON.parse(failed.body);
    assert.equal(envelope.status, 'error');
    assert.match(envelope.error.message, /boom/);
    await fn.send('{"v":5}');
    await eventually(() => receiver.requests.find((r) => r.url === ok), 'the success sink gets the success');
    assert.equal(
      receiver.requests.filter((r) => r.url === errors).length,
      1,
      'the error sink got no success',
    );
    assert.equal(receiver.requests.filter((r) => r.url === ok).length, 1, 'the success sink got no error');
  });
});
