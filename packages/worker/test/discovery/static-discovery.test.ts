import assert from 'node:assert/strict';
import { describe, test } from 'node:test';

import { ConfigError } from '@funless/protocol';

import { StaticDiscovery, followDiscovery, normalizeCoreUrl } from '../../src/discovery/index.js';

describe('StaticDiscovery', () => {
  test('reports every configured Core as found at start, once each, and never loses them', async () => {
    const discovery = new StaticDiscovery(['ws://a:4000', 'http://b:4000/', 'ws://a:4000']);
    const found: string[] = [];
    const lost: string[] = [];
    discovery.on('found', (url) => found.push(url));
    discovery.on('lost', (url) => lost.push(url));
    await discovery.start();
    assert.deepEqual(found, ['ws://a:4000', 'ws://b:4000']);
    assert.deepEqual(discovery.urls(), ['ws://a:4000', 'ws://b:4000']);
    await discovery.close();
    assert.deepEqual(lost, []);
  });

  test('http(s) URLs become ws(s) URLs; paths are kept', () => {
    assert.equal(normalizeCoreUrl('https://core.example:8443'), 'wss://core.example:8443');
    assert.equal(normalizeCoreUrl(' ws://10.0.0.1:4000/ '), 'ws://10.0.0.1:4000');
    assert.equal(normalizeCoreUrl('ws://core/prefix'), 'ws://core/prefix');
  });

  test('a bad URL or an empty list is refused with an error naming the source', () => {
    for (const bad of ['core:4000', 'ftp://core', '', 'ws://']) {
      assert.throws(
        () => new StaticDiscovery([bad], 'FL_CORE_URL'),
        (error: unknown) => error instanceof ConfigError && /^FL_CORE_URL must be/.test(error.message),
        bad,
      );
    }
    assert.throws(() => new StaticDiscovery([], 'FL_CORE_URL'), /FL_CORE_URL names no Core/);
  });

  test('followDiscovery adds known and found Cores to a connector and removes lost ones', async () => {
    const discovery = new StaticDiscovery(['ws://a:4000']);
    await discovery.start();
    const calls: string[] = [];
    const stop = followDiscovery(discovery, {
      addCore: (url) => calls.push(`+${url}`),
      removeCore: (url) => calls.push(`-${url}`),
    });
    discovery.emit('found', 'ws://b:4000');
    discovery.emit('lost', 'ws://a:4000');
    stop();
    discovery.emit('found', 'ws://c:4000');
    assert.deepEqual(calls, ['+ws://a:4000', '+ws://b:4000', '-ws://a:4000']);
    await discovery.close();
  });
});
