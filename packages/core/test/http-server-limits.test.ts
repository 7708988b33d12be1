import assert from 'node:assert/strict';
import { once } from 'node:events';
import { chmod, mkdir, mkdtemp, rm, stat, writeFile } from 'node:fs/promises';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';

import { TOKENS_FILE } from '../src/auth/index.js';
import { startCore } from '../src/server/index.js';
import type { RunningCore } from '../src/server/index.js';
import { SQLITE_FILE } from '../src/store/index.js';
import { assertMatchesOpenApi } from './support/openapi-check.js';
import { silentLogger } from './support/test-core.js';

const ADMIN = 'server-limits-admin-token';

async function withCore(
  options: { requestTimeoutMs?: number; headersTimeoutMs?: number; dataDir?: string },
  body: (core: RunningCore) => Promise<void>,
): Promise<void> {
  const dataDir = options.dataDir ?? (await mkdtemp(join(tmpdir(), 'fl-limits-')));
  const core = await startCore({ ...options, dataDir, port: 0, adminToken: ADMIN, logger: silentLogger });
  try {
    await body(core);
  } finally {
    await core.close();
    await rm(dataDir, { recursive: true, force: true });
  }
}

/**
 * Opens a raw connection, writes `head`, then one byte of `trickle` every 50 ms until the Core
 * closes the connection; resolves with everything the Core sent.
 */
async function trickle(url: string, head: string, byte: string): Promise<string> {
  const { hostname, port } = new URL(url);
  const socket = connect(Number(port), hostname);
  await once(socket, 'connect');
  let received = '';
  socket.on('data', (chunk: Buffer) => (received += chunk.toString('latin1')));
  socket.on('error', () => {});
  socket.write(head);
  const timer = setInterval(() => {
    if (!socket.destroyed && socket.writable) socket.write(byte);
  }, 50);
  try {
    await once(socket, 'close');
  } finally {
    clearInterval(timer);
  }
  return received;
}

/** The body of a raw HTTP/1.1 response, checked to carry a request id. */
function bodyOf(response: string): string {
  const end = response.indexOf('\r\n\r\n');
  assert.match(response.slice(0, end), /\r\nX-Request-Id: [0-9a-f-]{36}\r\n/i);
  return end === -1 ? '' : response.slice(end + 4);
}

test('a request body trickled slower than the request timeout is answered 408 and disconnected', () =>
  withCore({ requestTimeoutMs: 400, headersTimeoutMs: 200 }, async (core) => {
    const head = (token: string) =>
      'POST /v1/fn/_/f HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n' +
      `Content-Length: 100000\r\n${token}\r\n{"args":{"a":"`;
    const withToken = await trickle(core.url, head(`Authorization: Bearer ${ADMIN}\r\n`), 'a');
    assert.match(withToken, /^HTTP\/1\.1 408 /);
    assertMatchesOpenApi('POST', '/v1/fn/_/f', 408, bodyOf(withToken));
    // Without a token the 401 comes at once, and the connection still ends.
    const withoutToken = await trickle(core.url, head(''), 'a');
    assert.match(withoutToken, /^HTTP\/1\.1 401 /);
  }));

test('request headers trickled slower than the headers timeout are answered 408 and disconnected', () =>
  withCore({ requestTimeoutMs: 400, headersTimeoutMs: 200 }, async (core) => {
    const answer = await trickle(core.url, 'GET /v1/ HTTP/1.1\r\nHost: x\r\nX-Slow: ', 'a');
    assert.match(answer, /^HTTP\/1\.1 408 /);
    assertMatchesOpenApi('GET', '/v1/', 408, bodyOf(answer));
  }));

test('headers over 16 KiB and a malformed request line get the API error body and a request id', () =>
  withCore({}, async (core) => {
    const huge = await trickle(
      core.url,
      `GET /v1/ HTTP/1.1\r\nHost: x\r\nX-Big: ${'a'.repeat(20_000)}\r\n\r\n`,
      '',
    );
    assert.match(huge, /^HTTP\/1\.1 431 /);
    assertMatchesOpenApi('GET', '/v1/', 431, bodyOf(huge));
    const garbled = await trickle(core.url, 'BREW /v1/ HTCPCP/1.0\r\n\r\n', '');
    assert.match(garbled, /^HTTP\/1\.1 400 /);
    assert.match(JSON.parse(bodyOf(garbled)).errors.detail, /^bad request: the HTTP parser refused it/);
  }));

test('a listening Core answers a multipart part without Content-Disposition with 400', () =>
  withCore({}, async (core) => {
    const res = await fetch(`${core.url}/v1/fn/_`, {
      method: 'POST',
      headers: { authorization: `Bearer ${ADMIN}`, 'content-type': 'multipart/form-data; boundary=XX' },
      body: Buffer.concat([
        Buffer.from('--XX\r\nContent-Type: application/octet-stream\r\n\r\n'),
        Buffer.alloc(17_000, 0x61),
        Buffer.from('\r\n--XX--\r\n'),
      ]),
    });
    assert.equal(res.status, 400);
    assert.match(await res.text(), /each part needs Content-Disposition/);
  }));

test('the data directory and the files the Core writes in it are owner-only, a looser one tightened', async () => {
  const dataDir = await mkdtemp(join(tmpdir(), 'fl-modes-'));
  const inner = join(dataDir, 'data');
  await mkdir(inner, { mode: 0o755 });
  await chmod(inner, 0o755);
  // An empty file is an empty SQLite database, left world-readable by an earlier version.
  await writeFile(join(inner, SQLITE_FILE), '', { mode: 0o644 });
  await chmod(join(inner, SQLITE_FILE), 0o644);
  const mode = async (path: string) => (await stat(path)).mode & 0o777;
  try {
    await withCore({ dataDir: inner }, async () => {
      assert.equal(await mode(inner), 0o700);
      assert.equal(await mode(join(inner, SQLITE_FILE)), 0o600);
      assert.equal(await mode(join(inner, `${SQLITE_FILE}-wal`)), 0o600);
      assert.equal(await mode(join(inner, TOKENS_FILE)), 0o600);
    });
  } finally {
    await rm(dataDir, { recursive: true, force: true });
  }
});
