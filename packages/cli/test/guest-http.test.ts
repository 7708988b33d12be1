// Outbound HTTP from guest code built by fl: the AssemblyScript SDK's http API and funless.h's
// fl_http, on the Worker's real runtime against a local server.
import assert from 'node:assert/strict';
import { copyFile, mkdir, writeFile } from 'node:fs/promises';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { after, before, test } from 'node:test';

import { Runtime } from '@funless/worker';

import { buildFunction } from '../src/build/index.js';
import { TEMPLATES_DIR } from '../src/templates/index.js';
import { runOnRuntime } from './support/run-on-runtime.js';
import { tempDir } from './support/temp-dir.js';

let runtime: Runtime;
let work: { dir: string; cleanup: () => Promise<void> };

before(async () => {
  work = await tempDir('fl-guest-http-');
  // The local test server is on loopback, which functions reach only when the allow-list opens it.
  runtime = await Runtime.create({
    dataDir: join(work.dir, 'runtime'),
    threads: 1,
    http: { allowList: ['127.0.0.1'] },
  });
});
after(async () => {
  await runtime.close();
  await work.cleanup();
});

function run(name: string, code: Uint8Array, input: unknown) {
  return runOnRuntime(runtime, name, code, input);
}

test('outbound HTTP from the AssemblyScript SDK and from funless.h, with their buffer sizes declared', async () => {
  const server = createServer((req, res) => {
    let body = '';
    req.setEncoding('utf8').on('data', (c: string) => (body += c));
    req.on('end', () => {
      res.writeHead(201, { 'content-type': 'text/plain' });
      res.end(`${req.method} ${String(req.headers['x-test'])} ${body}`);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/x`;
  try {
    const asDir = join(work.dir, 'as_http');
    await mkdir(join(asDir, 'assembly'), { recursive: true });
    await writeFile(
      join(asDir, 'assembly', 'index.ts'),
      `import { JSON, run, http, Method } from "@funless/sdk-assemblyscript";
export function __invoke(len: i32): i32 { return run(len, handle); }
function handle(input: JSON.Obj): JSON.Value {
  http.setMaxResponseBytes(<i32>input.getNumber("room", 1048576));
  const r = http.request(Method.POST, input.getString("url")!, ["X-Test:yes"], "ping");
  return JSON.obj().setNumber("status", r.status).setString("body", r.body).setBool("ok", r.ok);
}
`,
    );
    const asCode = (await buildFunction({ source: asDir })).code;
    assert.deepEqual((await run('as_http', asCode, { url })).result, {
      status: 201,
      body: 'POST yes ping',
      ok: true,
    });
    // A body longer than the declared room fails (status 0) instead of overrunning the buffer.
    assert.deepEqual((await run('as_http', asCode, { url, room: 4 })).result, {
      status: 0,
      body: '',
      ok: false,
    });

    const cDir = join(work.dir, 'c_http');
    await mkdir(cDir, { recursive: true });
    await copyFile(join(TEMPLATES_DIR, 'c', 'funless.h'), join(cDir, 'funless.h'));
    await writeFile(
      join(cDir, 'main.c'),
      `#include "funless.h"
int fl_handle(const char *input, size_t input_len) {
  char url[200], small[4], big[64], out[200];
  if (!fl_json_get_string(input, input_len, "url", url, sizeof url)) { fl_error("no url"); return 1; }
  int s1 = fl_http(FL_GET, url, "X-Test:c", NULL, big, sizeof big);
  int s2 = fl_http(FL_GET, url, NULL, NULL, small, sizeof small);
  char q[100];
  fl_json_quote(big, q, sizeof q);
  strcpy(out, "{\\"big\\":");
  strcat(out, q);
  strcat(out, s1 == 201 ? ",\\"s1\\":201" : ",\\"s1\\":-1");
  strcat(out, s2 == 0 ? ",\\"s2\\":0}" : ",\\"s2\\":-1}");
  fl_respond(out);
  return 0;
}
`,
    );
    const cCode = (await buildFunction({ source: cDir })).code;
    assert.deepEqual((await run('c_http', cCode, { url })).result, { big: 'GET c ', s1: 201, s2: 0 });
  } finally {
    await new Promise((resolve) => server.close(resolve));
  }
});
