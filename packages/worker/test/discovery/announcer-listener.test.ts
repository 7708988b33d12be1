// The Core's real announcer and the Worker's real listener, in one process, over loopback.
// The announcer lives in @funless/core, which the worker package does not depend on: it is loaded
// from the built tree (the whole repository is built before the tests run).
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { describe, test } from 'node:test';
import { fileURLToPath, pathToFileURL } from 'node:url';

import { freeUdpPort } from '@funless/testing';

import { MulticastDiscovery } from '../../src/discovery/index.js';
import { nextEvent } from './multicast-support.js';

const SECRET = 'a-cluster-secret-of-enough-length';
const GROUP = '239.255.70.79';
const announcerModule = fileURLToPath(
  new URL('../../../../core/dist/src/discovery/index.js', import.meta.url),
);

interface Announcer {
  start(): Promise<void>;
  close(): Promise<void>;
}
type AnnouncerClass = new (options: {
  secret: string;
  corePort: number;
  group: string;
  port: number;
  intervalMs: number;
  interfaces: string[];
}) => Announcer;

describe(
  'Core announcer and Worker discovery together',
  { skip: !existsSync(announcerModule) && 'core not built' },
  () => {
    test('the Worker finds the Core over loopback multicast, and loses it after the Core stops', async () => {
      const { MulticastAnnouncer } = (await import(pathToFileURL(announcerModule).href)) as {
        MulticastAnnouncer: AnnouncerClass;
      };
      const port = await freeUdpPort();
      const discovery = new MulticastDiscovery({
        secret: SECRET,
        group: GROUP,
        port,
        interfaces: ['127.0.0.1'],
      });
      const stranger = new MulticastAnnouncer({
        secret: 'the-secret-of-another-cluster',
        corePort: 4999,
        group: GROUP,
        port,
        intervalMs: 20,
        interfaces: ['127.0.0.1'],
      });
      const core = new MulticastAnnouncer({
        secret: SECRET,
        corePort: 4555,
        group: GROUP,
        port,
        intervalMs: 50,
        interfaces: ['127.0.0.1'],
      });
      try {
        await discovery.start();
        await stranger.start();
        const found = nextEvent(discovery, 'found');
        const started = Date.now();
        await core.start();
        assert.equal(await found, 'ws://127.0.0.1:4555');
        console.log(`# found the Core ${Date.now() - started} ms after it started announcing`);
        assert.deepEqual(discovery.urls(), ['ws://127.0.0.1:4555'], 'the other cluster is ignored');
        const lost = nextEvent(discovery, 'lost');
        await core.close();
        assert.equal(await lost, 'ws://127.0.0.1:4555');
      } finally {
        await Promise.all([core.close(), stranger.close(), discovery.close()]);
      }
    });
  },
);
