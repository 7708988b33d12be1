import assert from 'node:assert/strict';
import { createSocket } from 'node:dgram';
import type { Socket } from 'node:dgram';
import { afterEach, beforeEach, describe, test } from 'node:test';

import { ConfigError, verifyAnnouncement } from '@funless/protocol';
import type { Announcement } from '@funless/protocol';
import { eventually, freeUdpPort } from '@funless/testing';

import { MulticastAnnouncer, announcerFromEnv } from '../../src/discovery/index.js';

const SECRET = 'a-cluster-secret-of-enough-length';
const GROUP = '239.255.70.78';

/** A raw listener on the group over loopback, keeping every datagram with its source. */
async function rawListener(
  port: number,
): Promise<{ packets: { data: Buffer; from: string }[]; socket: Socket }> {
  const packets: { data: Buffer; from: string }[] = [];
  const socket = createSocket({ type: 'udp4', reuseAddr: true });
  socket.on('message', (data, info) => packets.push({ data, from: info.address }));
  await new Promise<void>((resolve) => socket.bind(port, resolve));
  socket.addMembership(GROUP, '127.0.0.1');
  return { packets, socket };
}

describe('MulticastAnnouncer over loopback', () => {
  let port: number;
  let listener: Awaited<ReturnType<typeof rawListener>>;
  let announcer: MulticastAnnouncer | undefined;

  beforeEach(async () => {
    port = await freeUdpPort();
    listener = await rawListener(port);
  });

  afterEach(async () => {
    await announcer?.close();
    announcer = undefined;
    await new Promise<void>((resolve) => listener.socket.close(resolve));
  });

  const verified = (): Announcement[] =>
    listener.packets.map(({ data, from }) => {
      const check = verifyAnnouncement(data, SECRET, { maxAgeMs: 5000, sourceAddress: from });
      assert.ok(check.ok, `announcement rejected: ${check.ok ? '' : check.detail}`);
      return check.announcement;
    });

  test('announces at start and every interval, signed with the cluster secret, fresh each time', async () => {
    announcer = new MulticastAnnouncer({
      secret: SECRET,
      corePort: 4321,
      group: GROUP,
      port,
      intervalMs: 50,
      interfaces: ['127.0.0.1'],
    });
    await announcer.start();
    await eventually(() => listener.packets.length >= 3, 'three announcements');
    const announcements = verified();
    for (const a of announcements) {
      assert.equal(a.port, 4321);
      assert.equal(a.scheme, 'ws');
      assert.equal(a.url, undefined, 'no advertised URL: Workers use the address it names');
      assert.equal(a.address, '127.0.0.1', 'it names the address it is sent from');
      assert.equal(a.coreId, announcer.coreId);
      assert.equal(a.intervalMs, 50);
    }
    assert.equal(
      new Set(announcements.map((a) => a.nonce)).size,
      announcements.length,
      'a fresh nonce each time',
    );
    assert.equal(listener.packets[0]!.from, '127.0.0.1');
    const other = verifyAnnouncement(listener.packets[0]!.data, 'another-secret-entirely', {
      maxAgeMs: 5000,
      sourceAddress: '127.0.0.1',
    });
    assert.equal(other.ok, false, 'another cluster cannot verify it');
  });

  test('an advertised URL is carried as given (http becomes ws)', async () => {
    announcer = new MulticastAnnouncer({
      secret: SECRET,
      corePort: 4000,
      group: GROUP,
      port,
      interfaces: ['127.0.0.1'],
      advertiseUrl: 'http://core.example:8080/',
    });
    await announcer.start();
    await eventually(() => listener.packets.length >= 1, 'an announcement');
    assert.equal(verified()[0]!.url, 'ws://core.example:8080');
  });

  test('a Core bound to 127.0.0.1 announces on loopback only', async () => {
    announcer = new MulticastAnnouncer({
      secret: SECRET,
      corePort: 4000,
      group: GROUP,
      port,
      host: '127.0.0.1',
    });
    await announcer.start();
    assert.deepEqual(announcer.interfaces(), ['127.0.0.1']);
  });

  test('close stops the announcements and releases the sockets', async (t) => {
    // The rounds' timer runs on a mock clock: the test moves time on, so "nothing after close"
    // is a count over ten intervals that certainly passed, not a sleep that hopes they did.
    t.mock.timers.enable({ apis: ['setTimeout'] });
    announcer = new MulticastAnnouncer({
      secret: SECRET,
      corePort: 4000,
      group: GROUP,
      port,
      intervalMs: 20,
      interfaces: ['127.0.0.1'],
    });
    await announcer.start();
    assert.equal(announcer.sent, 1, 'the first round is sent by start()');
    t.mock.timers.tick(20);
    await announcer.close(); // waits for the round the tick started
    await announcer.close();
    assert.equal(announcer.sent, 2, 'a round every interval until close');
    t.mock.timers.tick(200);
    assert.equal(announcer.sent, 2, 'nothing sent after close');
    assert.deepEqual(announcer.interfaces(), []);
  });

  test('an interface that cannot be used is reported, not fatal', async () => {
    const warnings: string[] = [];
    announcer = new MulticastAnnouncer({
      secret: SECRET,
      corePort: 4000,
      group: GROUP,
      port,
      interfaces: ['192.0.2.254', '127.0.0.1'],
      logger: { debug: () => {}, info: () => {}, warn: (_f, m) => warnings.push(m) },
    });
    await announcer.start();
    assert.deepEqual(announcer.interfaces(), ['127.0.0.1']);
    assert.deepEqual(warnings, ['multicast discovery: cannot announce on this interface']);
  });

  test('bad options are refused naming the option', () => {
    const base = { secret: SECRET, corePort: 4000 };
    assert.throws(() => new MulticastAnnouncer({ ...base, secret: '' }), /needs the cluster secret/);
    assert.throws(() => new MulticastAnnouncer({ ...base, corePort: 0 }), /corePort must be/);
    assert.throws(
      () => new MulticastAnnouncer({ ...base, group: '224.0.0.0.1' }),
      /group must be an IPv4 multicast/,
    );
    assert.throws(() => new MulticastAnnouncer({ ...base, interfaces: ['eth0'] }), /interfaces must be IPv4/);
    assert.throws(() => new MulticastAnnouncer({ ...base, coreId: 'x'.repeat(65) }), /coreId must be 1-64/);
    assert.equal(new MulticastAnnouncer({ ...base, coreId: 'core-7' }).coreId, 'core-7');
    assert.throws(
      () => new MulticastAnnouncer({ ...base, advertiseUrl: 'core:4000' }),
      (error: unknown) => error instanceof ConfigError && /FL_ADVERTISE_URL/.test(error.message),
    );
  });
});

describe('announcerFromEnv', () => {
  test('on by default, configured from the environment', () => {
    const announcer = announcerFromEnv(
      {
        FL_DISCOVERY_GROUP: '239.9.9.9',
        FL_DISCOVERY_PORT: '5001',
        FL_DISCOVERY_INTERVAL_MS: '750',
        FL_DISCOVERY_TTL: '2',
      },
      { secret: SECRET, corePort: 4000 },
    );
    assert.ok(announcer instanceof MulticastAnnouncer);
    assert.equal(announcer.group, '239.9.9.9');
    assert.equal(announcer.port, 5001);
    assert.equal(announcer.intervalMs, 750);
    assert.equal(announcer.ttl, 2);
    const defaults = announcerFromEnv({}, { secret: SECRET, corePort: 4000 });
    assert.equal(defaults?.group, '239.255.70.76');
    assert.equal(defaults?.port, 7076);
    assert.equal(defaults?.intervalMs, 2000);
  });

  test('FL_DISCOVERY=off turns it off; bad values are refused naming the variable', () => {
    assert.equal(announcerFromEnv({ FL_DISCOVERY: 'off' }, { secret: SECRET, corePort: 4000 }), undefined);
    assert.throws(
      () => announcerFromEnv({ FL_DISCOVERY_INTERVAL_MS: 'soon' }, { secret: SECRET, corePort: 4000 }),
      /FL_DISCOVERY_INTERVAL_MS must be an integer/,
    );
    assert.throws(
      () => announcerFromEnv({ FL_ADVERTISE_URL: 'nope' }, { secret: SECRET, corePort: 4000 }),
      /FL_ADVERTISE_URL/,
    );
  });
});
