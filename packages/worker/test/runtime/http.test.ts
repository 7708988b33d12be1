import assert from 'node:assert/strict';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, before, describe, test } from 'node:test';

import { asFixture } from '@funless/testing';

import type { LogLine } from '@funless/protocol';

import type { HttpOptions } from '../../src/index.js';
import { fn, texts, withRuntime, run } from './helpers.js';

interface Seen {
  method: string;
  url: string;
  headers: IncomingMessage['headers'];
  body: string;
}

describe('__http_request', () => {
  let server: Server;
  let base: string;
  let port: number;
  const seen: Seen[] = [];
  const slowAnswers: ServerResponse[] = [];
  let code: Uint8Array;

  before(async () => {
    code = await asFixture('http-request');
    server = createServer((req, res) => {
      let body = '';
      req.on('data', (c: Buffer) => (body += c.toString()));
      req.on('end', () => {
        seen.push({ method: req.method!, url: req.url!, headers: req.headers, body });
        if (req.url === '/big') return res.end('x'.repeat(10_000));
        // Never answered while a test runs: what ends the wait can only be a time limit.
        if (req.url === '/slow') return void slowAnswers.push(res);
        if (req.url === '/redirect') {
          res.writeHead(302, { location: 'http://example.invalid/' });
          return res.end();
        }
        res.writeHead(201, { 'content-type': 'text/plain' });
        res.end(`pong-${req.method}`);
      });
    });
    // Every address family of this machine (IPv4 loopback through the dual-stack socket too), so
    // a refused spelling of a local address would show up as a hit.
    await new Promise<void>((resolve) => server.listen(0, '::', resolve));
    port = (server.address() as AddressInfo).port;
    base = `http://127.0.0.1:${port}`;
  });
  after(async () => {
    for (const res of slowAnswers) res.end('late');
    server.closeAllConnections();
    await new Promise((resolve) => server.close(resolve));
  });

  // The test server is on loopback, which functions reach only when the allow-list opens it.
  const local: Partial<HttpOptions> = { allowList: ['127.0.0.1'] };

  async function call(http: Partial<HttpOptions>, method: number, url: string, timeoutMs?: number) {
    let out: { result: unknown; logs: LogLine[] } | undefined;
    await withRuntime({ threads: 1, http }, async (runtime) => {
      const f = fn(code);
      await runtime.store(f);
      out = await run(runtime, {
        ...f,
        capacityMiB: 64,
        input: { method, url },
        ...(timeoutMs ? { timeoutMs } : {}),
      });
    });
    return out!;
  }

  test('a GET reaches the server and the guest reads status and body', async () => {
    const out = await call(local, 0, `${base}/hello`);
    assert.deepEqual(out.result, { status: 201, length: 8, body: 'pong-GET' });
    const req = seen.at(-1)!;
    assert.equal(req.url, '/hello');
    assert.equal(req.headers['x-fixture'], 'yes');
  });

  test('a POST carries the body and headers the guest gave', async () => {
    const out = await call(local, 1, `${base}/post`);
    assert.deepEqual(out.result, { status: 201, length: 9, body: 'pong-POST' });
    const req = seen.at(-1)!;
    assert.equal(req.method, 'POST');
    assert.equal(req.body, 'ping');
    assert.equal(req.headers['content-type'], 'text/plain');
  });

  test('a host on the allow-list is allowed, with or without port', async () => {
    assert.equal(
      ((await call({ allowList: ['127.0.0.1'] }, 0, `${base}/a`)).result as { status: number }).status,
      201,
    );
    assert.equal(
      ((await call({ allowList: [`127.0.0.1:${port}`] }, 0, `${base}/a`)).result as { status: number })
        .status,
      201,
    );
  });

  test('a list opens what it names and no more: an unlisted loopback host gets status 0 and a log line, the server sees nothing', async () => {
    const before = seen.length;
    const out = await call({ allowList: ['api.example.com'] }, 0, `${base}/denied`);
    assert.deepEqual(out.result, { status: 0, length: 0, body: '' });
    assert.match(texts(out.logs).join('\n'), /is at 127\.0\.0\.1, a loopback address/);
    assert.equal(seen.length, before);
  });

  test('outbound HTTP turned off answers status 0', async () => {
    const before = seen.length;
    const out = await call({ enabled: false }, 0, `${base}/off`);
    assert.deepEqual(out.result, { status: 0, length: 0, body: '' });
    assert.match(texts(out.logs).join('\n'), /turned off/);
    assert.equal(seen.length, before);
  });

  test('a response over the size cap is refused with status 0', async () => {
    const out = await call({ ...local, maxResponseBytes: 1000 }, 0, `${base}/big`);
    assert.deepEqual(out.result, { status: 0, length: 0, body: '' });
    assert.match(texts(out.logs).join('\n'), /larger than 1000 bytes/);
  });

  test('a response larger than the guest buffer is refused without writing past it', async () => {
    // The fixture declares a 65536-byte buffer; the cap allows more.
    const big = createServer((_req, res) => res.end('y'.repeat(70_000)));
    await new Promise<void>((resolve) => big.listen(0, '127.0.0.1', resolve));
    try {
      const out = await call(
        { ...local, maxResponseBytes: 100_000 },
        0,
        `http://127.0.0.1:${(big.address() as AddressInfo).port}/`,
      );
      assert.deepEqual(out.result, { status: 0, length: 0, body: '' });
      assert.match(texts(out.logs).join('\n'), /larger than 65536 bytes/);
    } finally {
      big.closeAllConnections();
      await new Promise((resolve) => big.close(resolve));
    }
  });

  test('a slow server hits the HTTP time limit and the guest goes on with status 0', async () => {
    const out = await call({ ...local, timeoutMs: 200 }, 0, `${base}/slow`);
    assert.deepEqual(out.result, { status: 0, length: 0, body: '' });
    assert.match(texts(out.logs).join('\n'), /longer than 200 ms/);
    assert.ok(
      slowAnswers.every((res) => !res.writableEnded),
      'the server had not answered',
    );
  });

  test('a slow server never holds an invocation past its time limit', async () => {
    await withRuntime({ threads: 1, http: { ...local, timeoutMs: 10_000 } }, async (runtime) => {
      const f = fn(code);
      await runtime.store(f);
      let outcome: unknown;
      try {
        outcome = (
          await run(runtime, {
            ...f,
            capacityMiB: 64,
            input: { method: 0, url: `${base}/slow` },
            timeoutMs: 300,
          })
        ).result;
      } catch (err) {
        outcome = (err as { code: string }).code;
      }
      // Either the guest got status 0 at its deadline or the runtime stopped it, while the server
      // (which answers only when the suite ends) still held the request.
      assert.ok(
        outcome === 'timeout' || (outcome as { status: number }).status === 0,
        JSON.stringify(outcome),
      );
      assert.ok(
        slowAnswers.every((res) => !res.writableEnded),
        'the server had not answered',
      );
    });
  });

  test('redirects are not followed (they could leave the allow-list)', async () => {
    const out = await call({ allowList: ['127.0.0.1'] }, 0, `${base}/redirect`);
    assert.equal((out.result as { status: number }).status, 302);
  });

  test('every spelling of a local address is refused by default, and the server sees nothing', async () => {
    const spellings = [
      '127.0.0.1',
      '127.1',
      '0x7f.0.0.1',
      '2130706433',
      '0177.0.0.1',
      '[::1]',
      '[::ffff:127.0.0.1]',
      '0.0.0.0',
      'localhost',
    ];
    const before = seen.length;
    for (const host of spellings) {
      const out = await call({}, 0, `http://${host}:${port}/spelled`);
      assert.deepEqual(out.result, { status: 0, length: 0, body: '' }, host);
      const logs = texts(out.logs).join('\n');
      assert.match(logs, /reach public addresses only/, host);
      assert.match(logs, /(loopback|unspecified)/, host);
      assert.ok(logs.includes(`host ${new URL(`http://${host}:${port}/`).host} is at `), logs);
    }
    assert.equal(seen.length, before, 'hits on the server');
  });

  test('a name resolving to loopback is refused by default and reached when the allow-list names it', async () => {
    const before = seen.length;
    const refused = await call({}, 0, `http://localhost:${port}/named`);
    assert.equal((refused.result as { status: number }).status, 0);
    assert.match(
      texts(refused.logs).join('\n'),
      /host localhost:\d+ is at (127\.0\.0\.1|::1), a loopback address/,
    );
    assert.equal(seen.length, before);
    const allowed = await call({ allowList: ['localhost'] }, 0, `http://localhost:${port}/named`);
    assert.equal((allowed.result as { status: number }).status, 201);
    assert.equal(seen.length, before + 1);
  });

  test('a CIDR range on the allow-list opens the addresses in it, and only those', async () => {
    const before = seen.length;
    const inRange = await call({ allowList: ['127.0.0.0/8'] }, 0, `http://127.1:${port}/range`);
    assert.equal((inRange.result as { status: number }).status, 201);
    const outside = await call({ allowList: ['10.0.0.0/8'] }, 0, `${base}/range`);
    assert.equal((outside.result as { status: number }).status, 0);
    assert.match(texts(outside.logs).join('\n'), /is at 127\.0\.0\.1, a loopback address/);
    assert.equal(seen.length, before + 1);
  });

  test('unsupported URL schemes are refused', async () => {
    const out = await call({}, 0, 'file:///etc/passwd');
    assert.deepEqual(out.result, { status: 0, length: 0, body: '' });
    assert.match(texts(out.logs).join('\n'), /only http and https/);
  });
});
