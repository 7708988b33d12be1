import assert from 'node:assert/strict';
import { after, describe, test } from 'node:test';

import { eventually } from '@funless/testing';
import mqtt from 'mqtt';

import { DIALECTS } from '../support/databases.js';
import { HttpReceiver } from '../support/http-receiver.js';
import { PrometheusText } from '../support/prometheus-text.js';
import { SHARED_MQTT, freeTcpPort, privateMosquitto } from '../support/brokers.js';
import { uniqueName } from '../support/test-core.js';
import {
  Gate,
  activationsOf,
  connectionsOf,
  createWithConnections,
  eventCore,
  invocationsOf,
} from './event-core.js';

/** Publishes each message with QoS 1 (acknowledged by the broker) and disconnects. */
async function publish(port: number, topic: string, ...messages: string[]): Promise<void> {
  const client = await mqtt.connectAsync({ host: '127.0.0.1', port, reconnectPeriod: 0 });
  try {
    for (const message of messages) await client.publishAsync(topic, message, { qos: 1 });
  } finally {
    await client.endAsync();
  }
}

const mqttEvent = (port: number, topic: string, extra: Record<string, unknown> = {}) => ({
  type: 'mqtt',
  params: { host: '127.0.0.1', port, topic, ...extra },
});

for (const dialect of DIALECTS) {
  describe(`mqtt events (${dialect})`, () => {
    const receiver = new HttpReceiver();
    after(() => receiver.close());

    test('a message invokes the function with its JSON payload as args; the result reaches a webhook; GET, the activation and /metrics tell it', async () => {
      await receiver.start();
      const setup = await eventCore(dialect);
      try {
        const topic = `fl-test/${uniqueName('t')}/+`;
        const created = await createWithConnections(setup, 'hello', {
          events: [mqttEvent(SHARED_MQTT.port, topic)],
          sinks: [
            { type: 'webhook', params: { url: `${receiver.url}/hook`, headers: { 'x-secret': 's3' } } },
          ],
        });
        assert.equal(created.status, 201, created.body);
        assert.deepEqual(created.json.data.events, [{ status: 'success' }]);
        assert.deepEqual(created.json.data.sinks_metadata, { successful: 1, failed: 0, total: 1 });

        const sent = topic.replace('+', 'kitchen');
        await publish(SHARED_MQTT.port, sent, '{"temperature":21.5}');
        const hook = await eventually(
          () => receiver.requests.find((r) => r.url === '/hook'),
          'the webhook is called',
        );
        assert.deepEqual(invocationsOf(setup, 'hello'), [{ temperature: 21.5 }]);
        assert.equal(hook.headers['x-secret'], 's3');
        const envelope = JSON.parse(hook.body);
        assert.deepEqual(
          { ...envelope, activation_id: typeof envelope.activation_id, time: typeof envelope.time },
          {
            activation_id: 'string',
            module: setup.module,
            function: 'hello',
            trigger: 'event:mqtt',
            source: sent,
            time: 'string',
            status: 'success',
            result: { echo: { temperature: 21.5 } },
          },
        );

        const activation = await eventually(async () => {
          const all = await activationsOf(setup, 'hello');
          return all.length === 1 ? all[0] : undefined;
        }, 'the activation is recorded');
        assert.equal(activation.activation_id, envelope.activation_id);
        assert.equal(activation.trigger, 'event:mqtt');
        assert.equal(activation.source, sent);
        assert.deepEqual(activation.deliveries, [
          { sink: 0, type: 'webhook', status: 'delivered', attempts: 1 },
        ]);

        const { events, sinks } = await connectionsOf(setup, 'hello');
        assert.equal(events[0].state, 'connected');
        assert.deepEqual(events[0].counters, {
          messages_received: 1,
          invocations_started: 1,
          messages_dropped: 0,
        });
        assert.equal(sinks[0].state, 'connected');
        assert.deepEqual(sinks[0].params.headers, { 'x-secret': '***' }, 'header values are not shown');
        assert.deepEqual(sinks[0].counters, { results_delivered: 1, delivery_failures: 0 });

        const metrics = new PrometheusText((await setup.core.request('GET', '/metrics')).body);
        assert.equal(metrics.value('fl_event_messages_total', { type: 'mqtt' }), 1);
        assert.equal(metrics.value('fl_event_invocations_total', { type: 'mqtt' }), 1);
        assert.equal(metrics.value('fl_sink_deliveries_total', { type: 'webhook', outcome: 'delivered' }), 1);
      } finally {
        await setup.core.close();
      }
    });

    test('a Core restart keeps the subscription and loses no QoS 1 message published while it was down', async () => {
      const broker = await privateMosquitto();
      const first = await eventCore(dialect);
      try {
        const topic = `fl-test/${uniqueName('t')}`;
        const created = await createWithConnections(first, 'hello', {
          events: [mqttEvent(broker.port, topic)],
        });
        assert.equal(created.status, 201, created.body);
        await first.core.close(true);

        await publish(broker.port, topic, '{"n":1}', '{"n":2}', '{"n":3}');
        const second = await eventCore(dialect, { db: first.core.db, module: first.module });
        try {
          await eventually(
            () => invocationsOf(second, 'hello').length === 3,
            'the three messages run after the restart',
          );
          assert.deepEqual(invocationsOf(second, 'hello'), [{ n: 1 }, { n: 2 }, { n: 3 }]);
        } finally {
          await second.core.close();
        }
      } finally {
        await broker.close();
      }
    });
  });
}

describe('mqtt events and faults', () => {
  test('a broker that goes down and comes back: the subscription resumes by itself, and GET shows it retrying meanwhile', async () => {
    const broker = await privateMosquitto();
    const setup = await eventCore('sqlite');
    try {
      const topic = `fl-test/${uniqueName('t')}`;
      assert.equal(
        (await createWithConnections(setup, 'hello', { events: [mqttEvent(broker.port, topic)] })).status,
        201,
      );
      await broker.stop();
      const down = await eventually(async () => {
        const [event] = (await connectionsOf(setup, 'hello')).events;
        return event.state === 'retrying' && event;
      }, 'the event is retrying');
      assert.match(down.last_error, /ECONNREFUSED|closed/);
      assert.ok(!Number.isNaN(Date.parse(down.next_attempt_at)));
      await broker.start();
      await eventually(
        async () => (await connectionsOf(setup, 'hello')).events[0].state === 'connected',
        'it reconnects',
        {
          timeoutMs: 60_000,
        },
      );
      await publish(broker.port, topic, '{"after":"restart"}');
      await eventually(
        () => invocationsOf(setup, 'hello').length === 1,
        'the message after the restart runs',
      );
    } finally {
      await setup.core.close();
      await broker.close();
    }
  });

  test('207: a refused connection is an error of its entry, stored and retried in the background until it connects', async () => {
    const port = await freeTcpPort();
    const setup = await eventCore('sqlite');
    try {
      const created = await createWithConnections(setup, 'hello', {
        events: [
          mqttEvent(port, `fl-test/${uniqueName('t')}`),
          { type: 'schedule', params: { cron: '0 0 1 1 *' } },
        ],
      });
      assert.equal(created.status, 207, created.body);
      assert.equal(created.json.data.events[0].status, 'error');
      assert.match(created.json.data.events[0].message, new RegExp(`127\\.0\\.0\\.1:${port}.*ECONNREFUSED`));
      assert.deepEqual(created.json.data.events[1], { status: 'success' });
      assert.deepEqual(created.json.data.events_metadata, { successful: 1, failed: 1, total: 2 });
      const { events } = await connectionsOf(setup, 'hello');
      assert.equal(events.length, 2, 'both are stored');
      assert.equal(events[0].state, 'retrying');
      const broker = await privateMosquitto(port);
      try {
        await eventually(
          async () => (await connectionsOf(setup, 'hello')).events[0].state === 'connected',
          'it connects once the broker is there',
          {
            timeoutMs: 60_000,
          },
        );
      } finally {
        await broker.close();
      }
    } finally {
      await setup.core.close();
    }
  });

  test('bad entries are per-item errors naming what is wrong, and are not stored; a numeric string port is a port', async () => {
    const setup = await eventCore('sqlite');
    try {
      const topic = `fl-test/${uniqueName('t')}`;
      const created = await createWithConnections(setup, 'hello', {
        events: [
          { type: 'kafka', params: {} },
          { type: 'mqtt', params: { host: '127.0.0.1', port: 1883 } },
          { type: 'mqtt', params: { host: '127.0.0.1', port: 'eighteen', topic } },
          { type: 'mqtt', params: { host: '127.0.0.1', port: String(SHARED_MQTT.port), topic } },
          { type: 'schedule', params: { cron: 'every minute' } },
          { type: 'mqtt', params: { host: '127.0.0.1', port: 1883, topic, colour: 'red' } },
          'not an object',
        ],
        sinks: [
          { type: 'webhook', params: { url: 'not a url' } },
          { type: 'postgres', params: { url: 'postgres://127.0.0.1/test', table: 'drop table x' } },
          { type: 'webhook', params: { url: 'http://127.0.0.1:1/', on: 'sometimes' } },
        ],
      });
      assert.equal(created.status, 207, created.body);
      const messages = created.json.data.events.map((r: { message?: string }) => r.message ?? 'success');
      assert.match(
        messages[0],
        /events\[0\]\.type "kafka" is not a known event type: use one of "mqtt", "nats", "schedule"/,
      );
      assert.match(messages[1], /events\[1\]\.params\.topic is missing/);
      assert.match(messages[2], /events\[2\]\.params\.port must be a port number .* got "eighteen"/);
      assert.equal(messages[3], 'success');
      assert.match(messages[4], /events\[4\]\.params\.cron is not a valid cron expression/);
      assert.match(messages[5], /events\[5\]\.params has unknown param "colour"/);
      assert.match(messages[6], /events\[6\] must be an object/);
      const sinkMessages = created.json.data.sinks.map((r: { message?: string }) => r.message);
      assert.match(sinkMessages[0], /sinks\[0\]\.params\.url is not a valid URL/);
      assert.match(sinkMessages[1], /sinks\[1\]\.params\.table must be a plain identifier/);
      assert.match(sinkMessages[2], /sinks\[2\]\.params\.on must be one of "success", "error", "all"/);
      const { events, sinks } = await connectionsOf(setup, 'hello');
      assert.deepEqual(
        events.map((e) => e.params.port),
        [String(SHARED_MQTT.port)],
        'only the valid entry is stored',
      );
      assert.deepEqual(sinks, []);
    } finally {
      await setup.core.close();
    }
  });

  test('an update keeps the unchanged subscription running and replaces the others; delete stops them', async () => {
    const setup = await eventCore('sqlite');
    try {
      const [a, b, c] = ['a', 'b', 'c'].map((x) => `fl-test/${uniqueName(x)}`) as [string, string, string];
      const created = await createWithConnections(setup, 'hello', {
        events: [mqttEvent(SHARED_MQTT.port, a), mqttEvent(SHARED_MQTT.port, b)],
      });
      assert.equal(created.status, 201, created.body);
      await publish(SHARED_MQTT.port, a, '{"to":"a"}');
      await eventually(() => invocationsOf(setup, 'hello').length === 1, 'a runs');

      const updated = await setup.core.request('PUT', `/v1/fn/${setup.module}/hello`, {
        form: { events: JSON.stringify([mqttEvent(SHARED_MQTT.port, c), mqttEvent(SHARED_MQTT.port, a)]) },
      });
      assert.equal(updated.status, 200, updated.body);
      const { events } = await connectionsOf(setup, 'hello');
      assert.deepEqual(
        events.map((e) => [e.params.topic, e.counters.messages_received]),
        [
          [c, 0],
          [a, 1],
        ],
        'a kept its subscription (and its counters); b is gone',
      );
      await publish(SHARED_MQTT.port, b, '{"to":"b"}');
      await publish(SHARED_MQTT.port, c, '{"to":"c"}');
      await publish(SHARED_MQTT.port, a, '{"to":"a2"}');
      await eventually(() => invocationsOf(setup, 'hello').length === 3, 'c and a run');
      assert.deepEqual(
        new Set(invocationsOf(setup, 'hello').map((i) => (i as { to: string }).to)),
        new Set(['a', 'c', 'a2']),
        'b no longer runs the function',
      );

      assert.equal((await setup.core.request('DELETE', `/v1/fn/${setup.module}/hello`)).status, 204);
      const other = await createWithConnections(setup, 'other', { events: [mqttEvent(SHARED_MQTT.port, a)] });
      assert.equal(other.status, 201, other.body);
      await publish(SHARED_MQTT.port, a, '{"to":"after delete"}');
      await eventually(() => invocationsOf(setup, 'other').length === 1, 'the new function gets the message');
      assert.equal(invocationsOf(setup, 'hello').length, 3, 'the deleted function got nothing more');
    } finally {
      await setup.core.close();
    }
  });

  test('back-pressure: beyond FL_EVENT_CONCURRENCY, messages wait unacknowledged, then all run', async () => {
    const gate = new Gate();
    gate.open = false;
    const setup = await eventCore('sqlite', { gate, eventConcurrency: 1 });
    try {
      const topic = `fl-test/${uniqueName('t')}`;
      assert.equal(
        (await createWithConnections(setup, 'hello', { events: [mqttEvent(SHARED_MQTT.port, topic)] }))
          .status,
        201,
      );
      await publish(SHARED_MQTT.port, topic, ...['1', '2', '3', '4', '5'].map((n) => `{"n":${n}}`));
      // The second message is in, waiting for the one slot: it was not acknowledged, so the broker
      // holds the other three.
      await eventually(
        async () => (await connectionsOf(setup, 'hello')).events[0].counters.messages_received === 2,
        'the second message waits',
      );
      assert.equal(invocationsOf(setup, 'hello').length, 1, 'one invocation at a time');
      gate.release();
      await eventually(() => invocationsOf(setup, 'hello').length === 5, 'all five run');
    } finally {
      gate.release();
      await setup.core.close();
    }
  });

  test("deleting the module stops its functions' subscriptions", async () => {
    const setup = await eventCore('sqlite');
    try {
      const topic = `fl-test/${uniqueName('t')}`;
      assert.equal(
        (await createWithConnections(setup, 'hello', { events: [mqttEvent(SHARED_MQTT.port, topic)] }))
          .status,
        201,
      );
      assert.equal((await setup.core.request('DELETE', `/v1/fn/${setup.module}`)).status, 204);
      const other = uniqueName('mod');
      assert.equal(
        (await setup.core.request('POST', '/v1/fn', { json: { module: { name: other } } })).status,
        201,
      );
      const again = await createWithConnections({ ...setup, module: other }, 'hello', {
        events: [mqttEvent(SHARED_MQTT.port, topic)],
      });
      assert.equal(again.status, 201, again.body);
      await publish(SHARED_MQTT.port, topic, '{"n":1}');
      await eventually(
        () => setup.cluster.invocations.some((i) => i.fn.module === other),
        'the new module runs it',
      );
      assert.equal(
        setup.cluster.invocations.filter((i) => i.fn.module === setup.module).length,
        0,
        'the deleted one does not',
      );
    } finally {
      await setup.core.close();
    }
  });
});
