import assert from 'node:assert/strict';
import { describe, test } from 'node:test';

import { eventually } from '@funless/testing';
import { connect } from 'nats';

import { SHARED_NATS, privateNats } from '../support/brokers.js';
import { uniqueName } from '../support/test-core.js';
import {
  Gate,
  activationsOf,
  connectionsOf,
  createWithConnections,
  eventCore,
  invocationsOf,
} from './event-core.js';

describe('nats events', () => {
  test('a message invokes the function and the result is published to a NATS sink', async () => {
    const setup = await eventCore('sqlite');
    const nc = await connect({ servers: SHARED_NATS });
    try {
      const subject = `fl.test.${uniqueName('s')}`;
      const results = nc.subscribe(`${subject}.results`, { max: 1 });
      const created = await createWithConnections(setup, 'hello', {
        events: [{ type: 'nats', params: { servers: SHARED_NATS, subject: `${subject}.in.*` } }],
        sinks: [{ type: 'nats', params: { servers: [SHARED_NATS], subject: `${subject}.results` } }],
      });
      assert.equal(created.status, 201, created.body);
      nc.publish(`${subject}.in.one`, '42');
      let envelope: Record<string, unknown> | undefined;
      for await (const message of results) envelope = message.json();
      assert.equal(envelope?.trigger, 'event:nats');
      assert.equal(envelope?.source, `${subject}.in.one`);
      assert.deepEqual(
        envelope?.result,
        { echo: { payload: 42 } },
        'a payload that is not an object comes as {"payload": …}',
      );
      const activation = await eventually(
        async () => (await activationsOf(setup, 'hello'))[0],
        'the activation',
      );
      assert.equal(activation.trigger, 'event:nats');
      assert.equal(activation.deliveries[0].status, 'delivered');
    } finally {
      await nc.close();
      await setup.core.close();
    }
  });

  test('a NATS server that goes down and comes back: the subscription resumes', async () => {
    const server = await privateNats();
    const setup = await eventCore('sqlite');
    try {
      const subject = `fl.test.${uniqueName('s')}`;
      const created = await createWithConnections(setup, 'hello', {
        events: [{ type: 'nats', params: { servers: server.url, subject } }],
      });
      assert.equal(created.status, 201, created.body);
      await server.stop();
      await eventually(
        async () => (await connectionsOf(setup, 'hello')).events[0].state === 'retrying',
        'the event is retrying',
      );
      await server.start();
      await eventually(
        async () => (await connectionsOf(setup, 'hello')).events[0].state === 'connected',
        'it reconnects',
        {
          timeoutMs: 60_000,
        },
      );
      const nc = await connect({ servers: server.url });
      try {
        nc.publish(subject, '{"after":"restart"}');
        await nc.flush();
      } finally {
        await nc.close();
      }
      await eventually(
        () => invocationsOf(setup, 'hello').length === 1,
        'the message after the restart runs',
      );
      assert.deepEqual(invocationsOf(setup, 'hello'), [{ after: 'restart' }]);
    } finally {
      await setup.core.close();
      await server.close();
    }
  });

  test('a server that refuses the connection is a per-entry error', async () => {
    const setup = await eventCore('sqlite');
    try {
      const created = await createWithConnections(setup, 'hello', {
        events: [{ type: 'nats', params: { servers: 'nats://127.0.0.1:1', subject: 'x' } }],
      });
      assert.equal(created.status, 207, created.body);
      assert.match(created.json.data.events[0].message, /nats:\/\/127\.0\.0\.1:1/);
    } finally {
      await setup.core.close();
    }
  });
});

describe('schedule events', () => {
  test('a schedule runs the function with its args; a run due while the previous one runs is skipped', async () => {
    const gate = new Gate();
    gate.open = false;
    const setup = await eventCore('sqlite', { gate });
    try {
      const created = await createWithConnections(setup, 'hello', {
        events: [
          {
            type: 'schedule',
            params: { cron: '* * * * * *', timezone: 'Europe/Rome', args: { job: 'tick' } },
          },
        ],
      });
      assert.equal(created.status, 201, created.body);
      await eventually(() => invocationsOf(setup, 'hello').length === 1, 'the first run starts', {
        timeoutMs: 5_000,
      });
      await eventually(
        async () => (await connectionsOf(setup, 'hello')).events[0].counters.messages_dropped >= 1,
        'a later run is skipped while the first is held',
        { timeoutMs: 5_000 },
      );
      assert.equal(invocationsOf(setup, 'hello').length, 1, 'no two runs at once');
      gate.release();
      await eventually(() => invocationsOf(setup, 'hello').length >= 2, 'runs go on once it ended', {
        timeoutMs: 5_000,
      });
      assert.deepEqual(invocationsOf(setup, 'hello')[0], { job: 'tick' });
      const activation = await eventually(
        async () => (await activationsOf(setup, 'hello')).at(-1),
        'a recorded run',
      );
      assert.equal(activation.trigger, 'event:schedule');
      assert.equal(activation.source, '* * * * * *');
    } finally {
      gate.release();
      await setup.core.close();
    }
  });

  test('a bad time zone is a per-entry error', async () => {
    const setup = await eventCore('sqlite');
    try {
      const created = await createWithConnections(setup, 'hello', {
        events: [{ type: 'schedule', params: { cron: '*/5 * * * *', timezone: 'Mars/Olympus' } }],
      });
      assert.equal(created.status, 207, created.body);
      assert.match(
        created.json.data.events[0].message,
        /events\[0\]\.params\.timezone is not an IANA time zone/,
      );
    } finally {
      await setup.core.close();
    }
  });
});
