import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import { createServer as createHttpsServer } from 'node:https';
import type { AddressInfo } from 'node:net';
import { test } from 'node:test';

import { ErrorCode } from '@funless/protocol';
import { TLS_FIXTURE } from '@funless/testing';

import { ApiClient, FunlessApi } from '../src/client/index.js';
import { ApiError } from '../src/errors/index.js';

interface Seen {
  method: string;
  url: string;
  authorization: string | undefined;
  contentType: string | undefined;
  body: string;
}

/** A stub Core answering with `handler`, recording every request. */
async function stubCore(
  handler: (req: Seen, res: ServerResponse) => void,
): Promise<{ url: string; seen: Seen[]; close: () => Promise<void> }> {
  const seen: Seen[] = [];
  const server = createServer((req: IncomingMessage, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const s: Seen = {
        method: req.method ?? '',
        url: req.url ?? '',
        authorization: req.headers.authorization,
        contentType: req.headers['content-type'],
        body: Buffer.concat(chunks).toString('utf8'),
      };
      seen.push(s);
      handler(s, res);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    seen,
    close: () => new Promise((resolve) => server.close(() => resolve())),
  };
}

function send(res: ServerResponse, status: number, body?: unknown): void {
  res.writeHead(status, { 'content-type': 'application/json' });
  res.end(body === undefined ? '' : JSON.stringify(body));
}

test('requests carry the API token, admin routes the admin token', async () => {
  const core = await stubCore((_req, res) => send(res, 200, { data: [] }));
  try {
    const api = new FunlessApi(new ApiClient({ baseUrl: core.url, token: 'guest', adminToken: 'admin' }));
    await api.listModules();
    await api.listSubjects();
    assert.equal(core.seen[0]!.authorization, 'Bearer guest');
    assert.equal(core.seen[1]!.authorization, 'Bearer admin');
    assert.equal(core.seen[1]!.url, '/v1/admin/subjects');
  } finally {
    await core.close();
  }
});

test('an error answer becomes an ApiError with the detail, the field messages and a code from the status', async () => {
  const core = await stubCore((req, res) => {
    if (req.url === '/v1/fn/_/nope') send(res, 404, { errors: { detail: 'function _/nope not found' } });
    else
      send(res, 400, {
        errors: { detail: 'invalid module', name: ['is too long'], problems: [{ at: 'x' }] },
      });
  });
  try {
    const api = new FunlessApi(new ApiClient({ baseUrl: core.url, token: 't' }));
    await assert.rejects(api.getFunction('_', 'nope'), (error: unknown) => {
      assert.ok(error instanceof ApiError);
      assert.equal(error.status, 404);
      assert.equal(error.code, ErrorCode.NotFound);
      assert.equal(error.message, 'function _/nope not found');
      return true;
    });
    await assert.rejects(
      api.createModule('x'),
      /^ApiError: module "x": invalid module \(name: is too long\)$/,
    );
  } finally {
    await core.close();
  }
});

test('a detail that does not name the subject gets it in front', async () => {
  const core = await stubCore((_req, res) => send(res, 503, { errors: { detail: 'No worker available' } }));
  try {
    const api = new FunlessApi(new ApiClient({ baseUrl: core.url, token: 't' }));
    await assert.rejects(api.invoke('_', 'hello', { args: {} }), (error: unknown) => {
      assert.ok(error instanceof ApiError);
      assert.equal(error.message, 'function "hello" in module "_": No worker available');
      assert.equal(error.code, ErrorCode.NoWorker);
      return true;
    });
  } finally {
    await core.close();
  }
});

test('a rejected token is reported as such, not as a problem of the function or module', async () => {
  const core = await stubCore((_req, res) => send(res, 401, { errors: { detail: 'invalid token' } }));
  try {
    const api = new FunlessApi(new ApiClient({ baseUrl: core.url, token: 'zzz' }));
    await assert.rejects(api.getModule('_'), /^ApiError: invalid token$/);
    await assert.rejects(
      api.createFunction('_', { name: 'f', code: Uint8Array.of(0) }),
      /^ApiError: invalid token$/,
    );
  } finally {
    await core.close();
  }
});

test('an upload refused for its metadata names the function, not only the module', async () => {
  const core = await stubCore((_req, res) =>
    send(res, 400, { errors: { detail: 'metadata.capacity must be a whole number of MiB from 1 to 4096' } }),
  );
  try {
    const api = new FunlessApi(new ApiClient({ baseUrl: core.url, token: 't' }));
    await assert.rejects(
      api.createFunction('_', { name: 'huge', code: Uint8Array.of(0) }),
      /^ApiError: function "huge" in module "_": metadata.capacity/,
    );
  } finally {
    await core.close();
  }
});

test('a 401 without any token says how to configure one; a non-JSON error shows the status', async () => {
  const core = await stubCore((req, res) => {
    if (req.url === '/v1/fn') send(res, 401, { errors: { detail: 'missing bearer token' } });
    else {
      res.writeHead(502, { 'content-type': 'text/html' });
      res.end('<html>bad gateway</html>');
    }
  });
  try {
    const api = new FunlessApi(new ApiClient({ baseUrl: core.url }));
    await assert.rejects(api.listModules(), /missing bearer token: no token is configured; run `fl login`/);
    assert.equal(core.seen[0]!.authorization, undefined);
    await assert.rejects(api.workers(), /HTTP 502 Bad Gateway/);
  } finally {
    await core.close();
  }
});

test('an unreachable Core is a clear error naming the URL and how to start it', async () => {
  const core = await stubCore((_req, res) => send(res, 200, {}));
  await core.close(); // the port is now closed
  const api = new FunlessApi(new ApiClient({ baseUrl: core.url, token: 't' }));
  await assert.rejects(api.listModules(), (error: unknown) => {
    assert.ok(error instanceof ApiError);
    assert.equal(error.status, 0);
    assert.match(error.message, new RegExp(`cannot reach the Core at ${core.url} \\(ECONNREFUSED\\)`));
    assert.match(error.message, /npm start/);
    return true;
  });
});

test('a Core whose TLS certificate this process does not trust is a clear error naming NODE_EXTRA_CA_CERTS', async () => {
  const server = createHttpsServer(
    { cert: readFileSync(TLS_FIXTURE.certFile), key: readFileSync(TLS_FIXTURE.keyFile) },
    (_req, res) => send(res, 200, { data: [] }),
  );
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const url = `https://127.0.0.1:${(server.address() as AddressInfo).port}`;
  try {
    const api = new FunlessApi(new ApiClient({ baseUrl: url, token: 't' }));
    await assert.rejects(api.listModules(), (error: unknown) => {
      assert.ok(error instanceof ApiError);
      assert.equal(error.status, 0);
      assert.match(
        error.message,
        new RegExp(`the TLS certificate of the Core at ${url} is not trusted \\(DEPTH_ZERO_SELF_SIGNED_CERT`),
      );
      assert.match(error.message, /NODE_EXTRA_CA_CERTS set to its PEM file/);
      return true;
    });
  } finally {
    server.closeAllConnections();
    await new Promise((resolve) => server.close(resolve));
  }
});

test('a Core that does not answer in time is reported with the limit', async () => {
  const core = await stubCore(() => {
    /* never answers */
  });
  try {
    const api = new FunlessApi(new ApiClient({ baseUrl: core.url, token: 't', timeoutMs: 100 }));
    await assert.rejects(api.listModules(), /did not answer within 0.1 s/);
  } finally {
    // close() waits for the open socket of the unanswered request: bound the wait.
    await Promise.race([core.close(), new Promise((resolve) => setTimeout(resolve, 200))]);
  }
});

test('createFunction sends multipart name, code, metadata JSON and wait_for_workers as a string', async () => {
  const core = await stubCore((_req, res) => send(res, 201, { data: { name: 'f', hash: 'ab', size: 4 } }));
  try {
    const api = new FunlessApi(new ApiClient({ baseUrl: core.url, token: 't' }));
    const data = await api.createFunction('mod1', {
      name: 'f',
      code: new Uint8Array([0, 0x61, 0x73, 0x6d]),
      tag: 'edge',
      capacityMiB: 32,
      waitForWorkers: false,
    });
    assert.deepEqual(data, { name: 'f', hash: 'ab', size: 4 });
    const req = core.seen[0]!;
    assert.equal(req.method, 'POST');
    assert.equal(req.url, '/v1/fn/mod1');
    assert.match(req.contentType ?? '', /^multipart\/form-data; boundary=/);
    assert.match(req.body, /name="name"\r\n\r\nf\r\n/);
    assert.match(req.body, /name="code"; filename="f.wasm"\r\nContent-Type: application\/wasm/);
    assert.match(req.body, /name="metadata"\r\n\r\n\{"tag":"edge","capacity":32\}\r\n/);
    assert.match(req.body, /name="wait_for_workers"\r\n\r\nfalse\r\n/);
  } finally {
    await core.close();
  }
});

test('invoke posts {"args","scheduling"} and resolves to the data; 204 answers resolve', async () => {
  const core = await stubCore((req, res) => {
    if (req.method === 'DELETE') {
      res.writeHead(204);
      res.end();
    } else send(res, 200, { data: { payload: 'Hello Test!' } });
  });
  try {
    const api = new FunlessApi(new ApiClient({ baseUrl: core.url, token: 't' }));
    const result = await api.invoke('_', 'hello', {
      args: { name: 'Test' },
      scheduling: { language: 'app', script: 'edge' },
    });
    assert.deepEqual(result, { payload: 'Hello Test!' });
    assert.deepEqual(JSON.parse(core.seen[0]!.body), {
      args: { name: 'Test' },
      scheduling: { language: 'app', script: 'edge' },
    });
    assert.equal(core.seen[0]!.contentType, 'application/json');
    await api.deleteFunction('_', 'hello');
    assert.equal(core.seen[1]!.url, '/v1/fn/_/hello');
  } finally {
    await core.close();
  }
});
