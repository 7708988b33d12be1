import assert from 'node:assert/strict';
import { once } from 'node:events';
import { describe, test } from 'node:test';

import { ConfigError } from '@funless/protocol';

import { DnsDiscovery } from '../../src/discovery/index.js';
import type { DiscoveryLogger } from '../../src/discovery/index.js';

/** A resolver the test steers: the answer (addresses or an error code) and how many calls. */
function fakeResolver(initial: string[] | { code: string }) {
  const state = { answer: initial, calls: 0, hang: false };
  const resolve = (hostname: string): Promise<string[]> => {
    assert.equal(hostname, 'core.funless.svc');
    state.calls++;
    if (state.hang) return new Promise(() => {});
    const answer = state.answer;
    if (Array.isArray(answer)) return Promise.resolve([...answer]);
    return Promise.reject(Object.assign(new Error(`queryA ${answer.code}`), { code: answer.code }));
  };
  return { state, resolve };
}

function recorder(discovery: DnsDiscovery) {
  const events: string[] = [];
  discovery.on('found', (url) => events.push(`found ${url}`));
  discovery.on('lost', (url) => events.push(`lost ${url}`));
  return events;
}

function logRecorder() {
  const lines: string[] = [];
  const logger: DiscoveryLogger = {
    debug: (_f, m) => lines.push(`debug ${m}`),
    info: (_f, m) => lines.push(`info ${m}`),
    warn: (_f, m) => lines.push(`warn ${m}`),
  };
  return { lines, logger };
}

describe('DnsDiscovery', () => {
  test('every address the name resolves to is a Core at ws://address:port, found at start', async () => {
    const { resolve } = fakeResolver(['10.0.0.1', '10.0.0.2', 'fd00::7']);
    const discovery = new DnsDiscovery({
      hostname: 'core.funless.svc',
      port: 4100,
      resolve,
      intervalMs: 60_000,
    });
    const events = recorder(discovery);
    await discovery.start();
    assert.deepEqual(events, [
      'found ws://10.0.0.1:4100',
      'found ws://10.0.0.2:4100',
      'found ws://[fd00::7]:4100',
    ]);
    await discovery.close();
  });

  test('re-resolution adds new addresses and removes vanished ones', async () => {
    const { state, resolve } = fakeResolver(['10.0.0.1', '10.0.0.2']);
    const discovery = new DnsDiscovery({ hostname: 'core.funless.svc', resolve, intervalMs: 60_000 });
    const events = recorder(discovery);
    await discovery.start();
    state.answer = ['10.0.0.2', '10.0.0.3'];
    await discovery.refresh();
    assert.deepEqual(events.splice(0), [
      'found ws://10.0.0.1:4000',
      'found ws://10.0.0.2:4000',
      'lost ws://10.0.0.1:4000',
      'found ws://10.0.0.3:4000',
    ]);
    await discovery.refresh();
    assert.deepEqual(events, [], 'an unchanged answer changes nothing');
    assert.deepEqual(discovery.urls().sort(), ['ws://10.0.0.2:4000', 'ws://10.0.0.3:4000']);
    await discovery.close();
  });

  test('a name that stops existing (ENOTFOUND) loses every Core; a DNS failure keeps them', async () => {
    const { state, resolve } = fakeResolver(['10.0.0.1']);
    const { lines, logger } = logRecorder();
    const discovery = new DnsDiscovery({ hostname: 'core.funless.svc', resolve, intervalMs: 60_000, logger });
    const events = recorder(discovery);
    await discovery.start();
    state.answer = { code: 'ESERVFAIL' };
    await discovery.refresh();
    assert.deepEqual(discovery.urls(), ['ws://10.0.0.1:4000'], 'a server failure must not drop Cores');
    assert.ok(lines.some((l) => l.startsWith('warn DNS discovery: resolution failed')));
    state.answer = { code: 'ENOTFOUND' };
    await discovery.refresh();
    assert.deepEqual(discovery.urls(), []);
    state.answer = [];
    await discovery.refresh();
    state.answer = ['10.0.0.1'];
    await discovery.refresh();
    assert.deepEqual(events, [
      'found ws://10.0.0.1:4000',
      'lost ws://10.0.0.1:4000',
      'found ws://10.0.0.1:4000',
    ]);
    await discovery.close();
  });

  test('a resolver that never answers is abandoned after resolveTimeoutMs and the set is kept', async () => {
    const { state, resolve } = fakeResolver(['10.0.0.1']);
    const discovery = new DnsDiscovery({
      hostname: 'core.funless.svc',
      resolve,
      intervalMs: 60_000,
      resolveTimeoutMs: 30,
    });
    await discovery.start();
    state.hang = true;
    await discovery.refresh(); // settles although the resolver never will
    assert.deepEqual(discovery.urls(), ['ws://10.0.0.1:4000']);
    await discovery.close();
  });

  test('re-resolves by itself every intervalMs and stops on close', async (t) => {
    // The interval runs on a mock clock that the test moves on: "no resolution after close" is a
    // count over ten intervals that certainly passed, not a sleep that hopes they did.
    t.mock.timers.enable({ apis: ['setTimeout'] });
    const { state, resolve } = fakeResolver(['10.0.0.1']);
    const discovery = new DnsDiscovery({ hostname: 'core.funless.svc', resolve, intervalMs: 20 });
    const events = recorder(discovery);
    await discovery.start();
    state.answer = ['10.0.0.9'];
    const found = once(discovery, 'found');
    t.mock.timers.tick(20);
    await found;
    assert.deepEqual(events, [
      'found ws://10.0.0.1:4000',
      'lost ws://10.0.0.1:4000',
      'found ws://10.0.0.9:4000',
    ]);
    await discovery.close();
    const calls = state.calls;
    state.answer = ['10.0.0.10'];
    t.mock.timers.tick(200); // a timer left running would call the resolver now
    assert.equal(state.calls, calls, 'no resolution after close');
    assert.equal(events.length, 3, 'no event after close');
  });

  test('the real resolver finds localhost', async () => {
    const discovery = new DnsDiscovery({ hostname: 'localhost', port: 4321, intervalMs: 60_000 });
    await discovery.start();
    assert.ok(discovery.urls().some((url) => url === 'ws://127.0.0.1:4321' || url === 'ws://[::1]:4321'));
    await discovery.close();
  });

  test('bad options are refused naming the option', () => {
    const resolve = () => Promise.resolve([]);
    assert.throws(() => new DnsDiscovery({ hostname: ' ', resolve }), ConfigError);
    assert.throws(() => new DnsDiscovery({ hostname: 'x', port: 0, resolve }), /port must be an integer/);
    assert.throws(() => new DnsDiscovery({ hostname: 'x', intervalMs: 1.5, resolve }), /intervalMs/);
  });
});
