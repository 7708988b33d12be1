import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { afterEach, beforeEach, describe, test } from 'node:test';

import { ANNOUNCEMENT_MAGIC, ConfigError, encodeAnnouncement } from '@funless/protocol';
import type { Announcement } from '@funless/protocol';
import { eventually, freeUdpPort } from '@funless/testing';

import { MulticastDiscovery } from '../../src/discovery/index.js';
import type { DiscoveryLogger } from '../../src/discovery/index.js';
import { loopbackSender, nextEvent } from './multicast-support.js';

const SECRET = 'a-cluster-secret-of-enough-length';
const GROUP = '239.255.70.77';

function announcement(overrides: Partial<Announcement> = {}): Announcement {
  return {
    coreId: 'core-a',
    address: '127.0.0.1',
    scheme: 'ws',
    port: 4000,
    timestampMs: Date.now(),
    nonce: randomBytes(16).toString('hex'),
    intervalMs: 2000,
    ...overrides,
  };
}

describe('MulticastDiscovery over loopback', () => {
  let port: number;
  let discovery: MulticastDiscovery;
  let sender: Awaited<ReturnType<typeof loopbackSender>>;
  let debug: { message: string; fields: Record<string, unknown> }[];
  let found: string[];

  beforeEach(async () => {
    port = await freeUdpPort();
    debug = [];
    found = [];
    const logger: DiscoveryLogger = {
      debug: (fields, message) => debug.push({ message, fields: fields as Record<string, unknown> }),
      info: () => {},
      warn: () => {},
    };
    discovery = new MulticastDiscovery({
      secret: SECRET,
      group: GROUP,
      port,
      interfaces: ['127.0.0.1'],
      logger,
    });
    discovery.on('found', (url) => found.push(url));
    await discovery.start();
    sender = await loopbackSender();
  });

  afterEach(async () => {
    await discovery.close();
    await sender.close();
  });

  const send = (packet: Uint8Array) => sender.send(packet, GROUP, port);

  // Datagrams from one socket over loopback are read in the order sent: once a new Core sent
  // after them is found, everything sent before it was handled. Proves absence without a sleep.
  let markers = 0;
  const barrier = async (target = discovery): Promise<void> => {
    const url = `ws://marker-${++markers}:1`;
    await send(encodeAnnouncement(announcement({ coreId: url, url, intervalMs: 60_000 }), SECRET));
    await eventually(() => target.urls().includes(url), `the marker ${url} found`);
  };
  const cores = (urls: string[]) => urls.filter((url) => !url.startsWith('ws://marker-'));

  test('a signed, fresh announcement without a URL is joined at the address it names and its port', async () => {
    const next = nextEvent(discovery, 'found');
    await send(encodeAnnouncement(announcement({ port: 4123 }), SECRET));
    assert.equal(await next, 'ws://127.0.0.1:4123');
    assert.deepEqual(discovery.urls(), ['ws://127.0.0.1:4123']);
  });

  test('unsigned, wrongly signed, tampered and stale announcements are ignored and logged at debug', async () => {
    const next = nextEvent(discovery, 'found');
    const unsigned = Buffer.from(`${ANNOUNCEMENT_MAGIC}\n\n{"url":"ws://evil:1"}`);
    const wrongSecret = encodeAnnouncement(announcement({ url: 'ws://evil:2' }), 'not-the-cluster-secret!');
    const tampered = Buffer.from(
      encodeAnnouncement(announcement({ url: 'ws://good:3' }), SECRET)
        .toString()
        .replace('good', 'evil'),
    );
    const stale = encodeAnnouncement(
      announcement({ url: 'ws://evil:4', timestampMs: Date.now() - 60_000 }),
      SECRET,
    );
    for (const packet of [unsigned, wrongSecret, tampered, stale]) await send(packet);
    await send(encodeAnnouncement(announcement({ url: 'ws://good:5' }), SECRET));
    assert.equal(await next, 'ws://good:5', 'the first Core followed is the correctly signed one');
    assert.deepEqual(found, ['ws://good:5']);
    assert.deepEqual(
      debug
        .filter((d) => d.message === 'multicast discovery: announcement ignored')
        .map((d) => d.fields.reason),
      ['unsigned', 'bad_signature', 'bad_signature', 'stale'],
    );
  });

  test('a replayed announcement (same nonce) is ignored and does not keep the Core alive', async (t) => {
    t.mock.timers.enable({ apis: ['setTimeout'] }); // the lost timers run on a clock the test moves
    const lost: string[] = [];
    discovery.on('lost', (url) => lost.push(url));
    const first = encodeAnnouncement(
      announcement({ coreId: 'x', url: 'ws://one:1', intervalMs: 100 }),
      SECRET,
    );
    const next = nextEvent(discovery, 'found');
    await send(first);
    assert.equal(await next, 'ws://one:1');
    t.mock.timers.tick(200);
    await send(first);
    await eventually(() => debug.some((d) => d.fields.reason === 'replayed'), 'the replay ignored');
    // The replay did not refresh the Core: with no fresh announcement it is lost 3 x 100 ms after the first.
    t.mock.timers.tick(100);
    assert.deepEqual(lost, ['ws://one:1']);
  });

  test('a genuine announcement re-sent from another address is refused as wrong_source; the genuine one still counts', async () => {
    const genuine = encodeAnnouncement(announcement({ port: 4321 }), SECRET);
    const elsewhere = await loopbackSender('127.0.0.2');
    try {
      // The attacker's copy arrives first, from an address the announcement does not name.
      await elsewhere.send(genuine, GROUP, port);
      await eventually(
        () => debug.some((d) => d.fields.reason === 'wrong_source'),
        'the copy from 127.0.0.2 refused',
      );
    } finally {
      await elsewhere.close();
    }
    assert.deepEqual(found, [], 'the copy redirected the Worker');
    const refused = debug.find((d) => d.fields.reason === 'wrong_source')!;
    assert.match(String(refused.fields.from), /^127\.0\.0\.2:/);
    assert.match(String(refused.fields.detail), /names 127\.0\.0\.1 but was sent from 127\.0\.0\.2/);
    // The genuine packet, same nonce, from the Core's own address: not taken for a replay.
    const next = nextEvent(discovery, 'found');
    await send(genuine);
    assert.equal(await next, 'ws://127.0.0.1:4321');
    assert.deepEqual(found, ['ws://127.0.0.1:4321']);
  });

  test('a Core is lost after 3 silent intervals and kept while it keeps announcing', async (t) => {
    t.mock.timers.enable({ apis: ['setTimeout'] }); // the lost timers run on a clock the test moves
    const core = { coreId: 'steady', url: 'ws://steady:1', intervalMs: 200 };
    const lost: string[] = [];
    discovery.on('lost', (url) => lost.push(url));
    for (let i = 0; i < 10; i++) {
      await send(encodeAnnouncement(announcement(core), SECRET));
      await barrier();
      t.mock.timers.tick(200); // one interval, well inside the 3 x 200 ms
    }
    assert.deepEqual(lost, [], 'announcing every interval keeps the Core');
    assert.deepEqual(cores(found), ['ws://steady:1'], 'found once, not once per announcement');
    t.mock.timers.tick(400); // 600 ms since its last announcement
    assert.deepEqual(lost, ['ws://steady:1']);
    assert.deepEqual(cores(discovery.urls()), []);
  });

  test('one Core heard under two addresses is followed once; a restart on the same URL is not a new Core', async () => {
    const next = nextEvent(discovery, 'found');
    await send(encodeAnnouncement(announcement({ coreId: 'multi', url: 'ws://first:1' }), SECRET));
    await send(encodeAnnouncement(announcement({ coreId: 'multi', url: 'ws://second:1' }), SECRET));
    await send(encodeAnnouncement(announcement({ coreId: 'restarted', url: 'ws://first:1' }), SECRET));
    assert.equal(await next, 'ws://first:1');
    await barrier();
    assert.deepEqual(cores(found), ['ws://first:1']);
  });

  test('two Cores are two found events', async () => {
    await send(encodeAnnouncement(announcement({ coreId: 'a', url: 'ws://a:1' }), SECRET));
    await send(encodeAnnouncement(announcement({ coreId: 'b', url: 'ws://b:1' }), SECRET));
    await eventually(() => found.length >= 2, 'two Cores found');
    assert.deepEqual(found.sort(), ['ws://a:1', 'ws://b:1']);
  });

  test('close stops listening: no event afterwards, and the port can be reused', async () => {
    await discovery.close();
    const again = new MulticastDiscovery({ secret: SECRET, group: GROUP, port, interfaces: ['127.0.0.1'] });
    await again.start();
    try {
      // Both would get each datagram: once the new one has seen two, the closed one saw them too.
      const late = nextEvent(again, 'found');
      await send(encodeAnnouncement(announcement({ url: 'ws://late:1' }), SECRET));
      assert.equal(await late, 'ws://late:1');
      await barrier(again);
      assert.deepEqual(found, []);
    } finally {
      await again.close();
    }
  });
});

describe('MulticastDiscovery options', () => {
  test('a missing secret or a bad group is refused naming what is wrong', () => {
    assert.throws(() => new MulticastDiscovery({ secret: '' }), /needs the cluster secret/);
    assert.throws(
      () => new MulticastDiscovery({ secret: SECRET, group: '10.0.0.1' }),
      (error: unknown) =>
        error instanceof ConfigError && /group must be an IPv4 multicast/.test(error.message),
    );
    assert.throws(
      () => new MulticastDiscovery({ secret: SECRET, lostAfterIntervals: 0 }),
      /lostAfterIntervals/,
    );
  });
});
