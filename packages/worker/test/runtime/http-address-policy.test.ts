// The address check of outbound HTTP, without a network: which addresses count as public, and how
// the allow-list opens hosts and ranges. Nothing here connects anywhere but loopback.
import assert from 'node:assert/strict';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { describe, test } from 'node:test';

import { AddressPolicy, nonPublicReason } from '../../src/runtime/http/address-policy.js';
import { performHttp, type Resolver } from '../../src/runtime/http/http-performer.js';
import { resolveRuntimeOptions } from '../../src/index.js';

describe('the address classifier', () => {
  test('public addresses pass', () => {
    for (const a of [
      '8.8.8.8',
      '1.1.1.1',
      '93.184.216.34',
      '2606:4700:4700::1111',
      '::ffff:8.8.8.8',
      '64:ff9b::808:808',
    ])
      assert.equal(nonPublicReason(a), undefined, a);
  });

  test('loopback, private, link-local, multicast, unspecified, broadcast and reserved addresses are refused', () => {
    const expect: Record<string, RegExp> = {
      '127.0.0.1': /loopback/,
      '127.255.255.254': /loopback/,
      '::1': /loopback/,
      '::ffff:127.0.0.1': /loopback/,
      '::ffff:7f00:1': /loopback/,
      '64:ff9b::7f00:1': /loopback/,
      '10.1.2.3': /private/,
      '172.16.0.1': /private/,
      '172.31.255.255': /private/,
      '192.168.1.1': /private/,
      '::ffff:10.0.0.1': /private/,
      '100.64.0.1': /carrier-grade NAT/,
      'fc00::1': /private/,
      'fd12:3456::1': /private/,
      '169.254.169.254': /link-local/,
      '::ffff:169.254.169.254': /link-local/,
      'fe80::1': /link-local/,
      '224.0.0.1': /multicast/,
      'ff02::1': /multicast/,
      '0.0.0.0': /unspecified/,
      '::': /unspecified/,
      '255.255.255.255': /broadcast/,
      '192.0.2.1': /documentation/,
      '2001:db8::1': /documentation/,
      '2002:7f00:1::': /6to4/,
      localhost: /not an IP address/,
    };
    for (const [a, reason] of Object.entries(expect)) assert.match(nonPublicReason(a) ?? 'public', reason, a);
  });

  test('the policy accepts a public address with no list, and a listed host or range at any address', () => {
    const url = new URL('http://api.example.com/');
    assert.equal(new AddressPolicy([]).refusal(url, '93.184.216.34'), undefined);
    assert.match(
      new AddressPolicy([]).refusal(url, '10.0.0.5') ?? '',
      /api\.example\.com is at 10\.0\.0\.5, a private address/,
    );
    assert.equal(new AddressPolicy(['api.example.com']).refusal(url, '10.0.0.5'), undefined);
    assert.equal(new AddressPolicy(['*.example.com']).refusal(url, '127.0.0.1'), undefined);
    assert.equal(new AddressPolicy(['10.0.0.0/8']).refusal(url, '10.0.0.5'), undefined);
    assert.equal(new AddressPolicy(['fd00::/8']).refusal(url, 'fd00::5'), undefined);
    // The list opens addresses beyond the public ones; it never closes a public one.
    assert.equal(new AddressPolicy(['10.0.0.0/8']).refusal(url, '93.184.216.34'), undefined);
    assert.match(new AddressPolicy(['10.0.0.0/8']).refusal(url, '192.168.1.5') ?? '', /a private address/);
    assert.equal(new AddressPolicy(['[::1]:8080']).named(new URL('http://[::1]:8080/')), true);
  });

  test('a malformed CIDR entry is refused when the options are read', () => {
    assert.throws(
      () => resolveRuntimeOptions({ dataDir: '/x', http: { allowList: ['10.0.0.0/33'] } }),
      /http\.allowList: "10\.0\.0\.0\/33" is not a CIDR range/,
    );
    assert.throws(
      () => resolveRuntimeOptions({ dataDir: '/x', http: { allowList: ['example.com/8'] } }),
      /not a CIDR range/,
    );
    assert.deepEqual(
      resolveRuntimeOptions({ dataDir: '/x', http: { allowList: ['10.0.0.0/8'] } }).http.allowList,
      ['10.0.0.0/8'],
    );
  });
});

describe('the address connected to is the address checked', () => {
  const call = (url: string) => ({
    type: 'http' as const,
    seq: 1,
    method: 'GET',
    url,
    headers: [] as [string, string][],
    body: undefined,
    room: 1024,
    deadline: Date.now() + 10_000,
  });
  const options = (allowList: string[]) => ({
    enabled: true,
    allowList,
    timeoutMs: 5000,
    maxResponseBytes: 1024,
  });

  test('a name is resolved once, refused when loopback, and reached at that same address when named', async () => {
    let hits = 0;
    const server = createServer((_req, res) => {
      hits++;
      res.end('ok');
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const port = (server.address() as AddressInfo).port;
    let lookups = 0;
    const resolver: Resolver = (hostname, callback) => {
      lookups++;
      assert.equal(hostname, 'svc.test');
      callback(null, [{ address: '127.0.0.1', family: 4 }]);
    };
    try {
      const refused = await performHttp(call(`http://svc.test:${port}/`), options([]), { resolve: resolver });
      assert.equal(refused.status, 0);
      assert.match(
        Buffer.from(refused.bytes).toString(),
        /host svc\.test:\d+ is at 127\.0\.0\.1, a loopback address/,
      );
      assert.equal(hits, 0);
      assert.equal(lookups, 1);

      const named = await performHttp(call(`http://svc.test:${port}/`), options(['svc.test']), {
        resolve: resolver,
      });
      assert.equal(named.status, 200);
      assert.equal(Buffer.from(named.bytes).toString(), 'ok');
      assert.equal(hits, 1);
      assert.equal(lookups, 2);
    } finally {
      server.closeAllConnections();
      await new Promise((resolve) => server.close(resolve));
    }
  });

  test('a name with one public and one private address is refused', async () => {
    const resolver: Resolver = (_hostname, callback) =>
      callback(null, [
        { address: '93.184.216.34', family: 4 },
        { address: '169.254.169.254', family: 4 },
      ]);
    const out = await performHttp(call('http://meta.test/'), options([]), { resolve: resolver });
    assert.equal(out.status, 0);
    assert.match(Buffer.from(out.bytes).toString(), /169\.254\.169\.254, a link-local address/);
  });
});
