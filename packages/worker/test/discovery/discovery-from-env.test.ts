import assert from 'node:assert/strict';
import { describe, test } from 'node:test';

import { ConfigError } from '@funless/protocol';

import {
  DnsDiscovery,
  MulticastDiscovery,
  StaticDiscovery,
  discoveryFromEnv,
  parseCoreDns,
} from '../../src/discovery/index.js';

const SECRET = 'a-cluster-secret-of-enough-length';

describe('discoveryFromEnv', () => {
  test('FL_CORE_URL chooses static discovery, comma-separated for several Cores', async () => {
    const discovery = discoveryFromEnv({ FL_CORE_URL: 'http://a:4000, ws://b:4001' });
    assert.ok(discovery instanceof StaticDiscovery);
    await discovery.start();
    assert.deepEqual(discovery.urls(), ['ws://a:4000', 'ws://b:4001']);
    await discovery.close();
  });

  test('FL_CORE_DNS chooses DNS discovery with FL_CORE_PORT and FL_DNS_INTERVAL_MS', () => {
    const discovery = discoveryFromEnv({
      FL_CORE_DNS: 'core.funless.svc',
      FL_CORE_PORT: '4100',
      FL_DNS_INTERVAL_MS: '2500',
    });
    assert.ok(discovery instanceof DnsDiscovery);
    assert.equal(discovery.hostname, 'core.funless.svc');
    assert.equal(discovery.port, 4100);
    assert.equal(discovery.intervalMs, 2500);
    const dflt = discoveryFromEnv({ FL_CORE_DNS: 'core' });
    assert.ok(dflt instanceof DnsDiscovery);
    assert.equal(dflt.port, 4000);
    assert.equal(dflt.intervalMs, 10_000);
  });

  test('FL_CORE_DNS accepts host:port and a ws/wss scheme', () => {
    assert.deepEqual(parseCoreDns('core.ns.svc:4200', 4000), {
      hostname: 'core.ns.svc',
      port: 4200,
      scheme: 'ws',
    });
    assert.deepEqual(parseCoreDns('wss://core:443/', 4000), { hostname: 'core', port: 443, scheme: 'wss' });
    for (const bad of ['core:0', 'core:99999', 'ftp://core', 'co re', '-core', 'core:']) {
      assert.throws(() => parseCoreDns(bad, 4000), /^ConfigError: FL_CORE_DNS must be a DNS name/, bad);
    }
  });

  test('neither set: multicast discovery on the configured group and port', () => {
    const discovery = discoveryFromEnv(
      { FL_DISCOVERY_GROUP: '239.1.2.3', FL_DISCOVERY_PORT: '5005' },
      { secret: SECRET },
    );
    assert.ok(discovery instanceof MulticastDiscovery);
    assert.equal(discovery.group, '239.1.2.3');
    assert.equal(discovery.port, 5005);
  });

  test('contradictory or insufficient settings are refused with an error naming the variables', () => {
    const cases: [NodeJS.ProcessEnv, string | undefined, RegExp][] = [
      [
        { FL_CORE_URL: 'ws://a:1', FL_CORE_DNS: 'core' },
        SECRET,
        /set only one of FL_CORE_URL and FL_CORE_DNS/,
      ],
      [{ FL_DISCOVERY: 'off' }, SECRET, /no way to find a Core: FL_DISCOVERY=off/],
      [{}, undefined, /multicast discovery needs the cluster secret/],
      [{ FL_CORE_URL: 'core:4000' }, SECRET, /FL_CORE_URL must be a ws:\/\//],
      [{ FL_CORE_DNS: 'core', FL_CORE_PORT: 'x' }, SECRET, /FL_CORE_PORT must be an integer/],
      [{ FL_DISCOVERY_PORT: '70000' }, SECRET, /FL_DISCOVERY_PORT must be an integer from 1 to 65535/],
      [{ FL_DISCOVERY: 'broadcast' }, SECRET, /FL_DISCOVERY must be "multicast" or "off"/],
    ];
    for (const [env, secret, message] of cases) {
      assert.throws(
        () => discoveryFromEnv(env, secret === undefined ? {} : { secret }),
        (error: unknown) => error instanceof ConfigError && message.test(error.message),
        JSON.stringify(env),
      );
    }
  });
});
