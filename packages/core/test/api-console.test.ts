// The web console's files at /ui (public, with headers that keep the page to its own origin) and
// the one-time sign-in codes of `fl ui` (docs/console.md).
import assert from 'node:assert/strict';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';

import { SignInCodes } from '../src/auth/index.js';
import { createTestCore } from './support/test-core.js';
import type { TestCore } from './support/test-core.js';

describe('the console files at /ui', () => {
  let dir: string;
  let core: TestCore;
  let bare: TestCore;

  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'fl-console-files-'));
    await mkdir(join(dir, 'assets'));
    await writeFile(join(dir, 'index.html'), '<!doctype html><title>console</title>');
    await writeFile(join(dir, 'assets', 'index-abc123.js'), 'export {};');
    core = await createTestCore('sqlite', { consoleDir: dir });
    bare = await createTestCore('sqlite', { consoleDir: join(dir, 'not-built') });
  });

  after(async () => {
    await core?.close();
    await bare?.close();
    await rm(dir, { recursive: true, force: true });
  });

  test('/ui is sent to /ui/, which serves the page without a token and never from a cache', async () => {
    const redirect = await core.app.inject({ url: '/ui' });
    assert.equal(redirect.statusCode, 302);
    assert.equal(redirect.headers.location, '/ui/');
    const page = await core.app.inject({ url: '/ui/' });
    assert.equal(page.statusCode, 200);
    assert.match(String(page.headers['content-type']), /^text\/html/);
    assert.equal(page.body, '<!doctype html><title>console</title>');
    assert.equal(page.headers['cache-control'], 'no-cache');
  });

  test('hashed assets are cached for good; a missing file is the API 404', async () => {
    const asset = await core.app.inject({ url: '/ui/assets/index-abc123.js' });
    assert.equal(asset.statusCode, 200);
    assert.equal(asset.headers['cache-control'], 'public, max-age=31536000, immutable');
    const missing = await core.app.inject({ url: '/ui/assets/nope.js' });
    assert.equal(missing.statusCode, 404);
    assert.equal(missing.json().errors.detail, 'no route GET /ui/assets/nope.js');
  });

  test('every answer keeps the page to its own origin: no other host, no framing, no referrer', async () => {
    for (const url of ['/ui/', '/ui/assets/index-abc123.js']) {
      const answer = await core.app.inject({ url });
      const csp = String(answer.headers['content-security-policy']);
      assert.match(csp, /default-src 'none'/);
      assert.match(csp, /connect-src 'self'/);
      assert.match(csp, /script-src 'self';/);
      assert.match(csp, /frame-ancestors 'none'/);
      assert.equal(answer.headers['referrer-policy'], 'no-referrer');
      assert.equal(answer.headers['x-content-type-options'], 'nosniff');
    }
    const api = await core.app.inject({ url: '/v1/' });
    assert.equal(api.headers['content-security-policy'], undefined, 'the API keeps its own headers');
  });

  test('without built files every /ui address says how to build them', async () => {
    for (const url of ['/ui', '/ui/', '/ui/assets/index-abc123.js']) {
      const answer = await bare.app.inject({ url });
      assert.equal(answer.statusCode, 503, url);
      assert.match(answer.body, /npm run build/);
      assert.match(answer.body, /not-built/);
    }
  });

  test('the console is no API operation: the document does not list /ui', async () => {
    const doc = await core.request('GET', '/v1/openapi.json', { token: null });
    assert.equal(Object.keys(doc.json.paths).filter((p) => p.startsWith('/ui')).length, 0);
  });
});

describe('one-time sign-in codes', () => {
  let core: TestCore;
  before(async () => {
    core = await createTestCore('sqlite');
  });
  after(async () => {
    await core?.close();
  });

  test('a code made with a token is exchanged once for that token', async () => {
    const made = await core.request('POST', '/v1/sign-in/codes', { token: core.guestToken });
    assert.equal(made.status, 201);
    assert.match(made.json.data.code, /^[\w-]{43}$/);
    assert.ok(Date.parse(made.json.data.expires_at) > Date.now());
    const exchanged = await core.request('POST', '/v1/sign-in', {
      token: null,
      json: { code: made.json.data.code },
    });
    assert.equal(exchanged.status, 200);
    assert.deepEqual(exchanged.json, { data: { token: core.guestToken } });
    const again = await core.request('POST', '/v1/sign-in', {
      token: null,
      json: { code: made.json.data.code },
    });
    assert.equal(again.status, 401);
    assert.match(
      again.json.errors.detail,
      /^this sign-in code is unknown, used or expired: .*run fl ui again$/,
    );
  });

  test('the admin token makes codes for itself', async () => {
    const made = await core.request('POST', '/v1/sign-in/codes');
    const exchanged = await core.request('POST', '/v1/sign-in', {
      token: null,
      json: { code: made.json.data.code },
    });
    assert.equal(exchanged.json.data.token, core.adminToken);
  });

  test('making a code needs a valid token, and takes no body', async () => {
    const none = await core.request('POST', '/v1/sign-in/codes', { token: null });
    assert.equal(none.status, 401);
    const wrong = await core.request('POST', '/v1/sign-in/codes', { token: 'not-a-token-at-all-here' });
    assert.equal(wrong.status, 401);
    const body = await core.request('POST', '/v1/sign-in/codes', { json: { ttl: 3600 } });
    assert.equal(body.status, 400);
    assert.match(body.json.errors.detail, /takes no body/);
  });

  test('an exchange without a code, with another field or with a made-up code is refused', async () => {
    const empty = await core.request('POST', '/v1/sign-in', { token: null, json: {} });
    assert.equal(empty.status, 400);
    assert.match(empty.json.errors.detail, /^code must be a non-empty string/);
    const extra = await core.request('POST', '/v1/sign-in', { token: null, json: { code: 'x', token: 'y' } });
    assert.equal(extra.status, 400);
    assert.match(extra.json.errors.detail, /unknown field "token"/);
    const made = await core.request('POST', '/v1/sign-in', { token: null, json: { code: 'a'.repeat(43) } });
    assert.equal(made.status, 401);
  });
});

describe('SignInCodes', () => {
  test('a code stops working when its time is up', () => {
    let now = 1_000_000;
    const codes = new SignInCodes({ ttlMs: 60_000, maxOutstanding: 10 }, () => now);
    const late = codes.issue('token-a');
    const early = codes.issue('token-b');
    now += 59_999;
    assert.equal(codes.redeem(early.code), 'token-b');
    now += 1;
    assert.equal(codes.redeem(late.code), undefined);
    assert.equal(codes.size, 0);
  });

  test('past the most held at once, the oldest code goes first', () => {
    const codes = new SignInCodes({ ttlMs: 60_000, maxOutstanding: 2 });
    const first = codes.issue('t1');
    const second = codes.issue('t2');
    const third = codes.issue('t3');
    assert.equal(codes.size, 2);
    assert.equal(codes.redeem(first.code), undefined);
    assert.equal(codes.redeem(second.code), 't2');
    assert.equal(codes.redeem(third.code), 't3');
  });
});
