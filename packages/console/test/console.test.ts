// The console in a real browser (Debian's Chromium, headless) against a real Core process and a
// real Worker process: sign in, upload, invoke, read the activation, edit an APP script, admin,
// sign out. Screenshots of every page at phone and desktop sizes go to
// packages/console/test-results/screenshots (not committed).
import assert from 'node:assert/strict';
import { mkdir, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { after, before, describe, test } from 'node:test';

import { wat } from '@funless/testing';
import type { Page } from 'playwright-core';

import { BROWSER_SKIP, launchBrowser } from './support/browser.js';
import type { TestBrowser } from './support/browser.js';
import { runFl, startCluster } from './support/cluster.js';
import type { TestCluster } from './support/cluster.js';

const SHOTS = fileURLToPath(new URL('../../test-results/screenshots/', import.meta.url));
const SIZES = {
  phone: { width: 390, height: 844 },
  desktop: { width: 1366, height: 900 },
} as const;
/** Generous: the machine is shared, and the pages poll every few seconds. */
const WAIT = { timeout: 30_000 };

/** A function that logs a line and greets: `{"name":"X"}` → `{"payload":"Hello X!"}` (the hello fixture plus a log). */
const GREETER = `(module
  (import "fl_imps" "__get_input_data" (func $get_input (param i32)))
  (import "fl_imps" "__insert_response" (func $insert_response (param i32 i32)))
  (import "fl_imps" "__console_log" (func $log (param i32 i32)))
  (memory (export "memory") 1)
  (data (i32.const 2048) "greeting from the console test")
  (data (i32.const 1024) "{\\"payload\\":\\"Hello console!\\"}")
  (func (export "__invoke") (param $len i32) (result i32)
    (call $get_input (i32.const 0))
    (call $log (i32.const 2048) (i32.const 30))
    (call $insert_response (i32.const 1024) (i32.const 28))
    (i32.const 0)))`;

let cluster: TestCluster;
let browser: TestBrowser;
let page: Page;
let wasmFile: string;
/** Every address the browser asked for: all must be the Core's own. */
const requested: string[] = [];

async function shoot(name: string): Promise<void> {
  for (const [size, viewport] of Object.entries(SIZES)) {
    await page.setViewportSize(viewport);
    await page.screenshot({ path: join(SHOTS, `${name}-${size}.png`), fullPage: true });
  }
  await page.setViewportSize(SIZES.desktop);
}

async function go(hash: string): Promise<void> {
  await page.goto(`${cluster.url}/ui/${hash}`);
}

describe('the web console in Chromium', { skip: BROWSER_SKIP }, () => {
  before(async () => {
    await mkdir(SHOTS, { recursive: true });
    wasmFile = join(tmpdir(), `greeter-${process.pid}.wasm`);
    await writeFile(wasmFile, await wat(GREETER));
    cluster = await startCluster();
    browser = await launchBrowser(SIZES.desktop);
    page = browser.context.pages()[0] ?? (await browser.context.newPage());
    page.on('request', (request) => requested.push(request.url()));
  });

  after(async () => {
    await browser?.close();
    await cluster?.stop();
  });

  test('a wrong token is refused with the API words and nothing is kept', async () => {
    await go('');
    await page.getByLabel('Token').fill('not-a-token-of-this-core');
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.getByRole('alert').filter({ hasText: 'invalid token' }).waitFor(WAIT);
    assert.equal(await page.evaluate(() => sessionStorage.length), 0);
    await shoot('sign-in');
  });

  test('signing in with the admin token shows the Overview with the Worker', async () => {
    await page.getByLabel('Token').fill(cluster.adminToken);
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.getByRole('heading', { name: 'Overview' }).waitFor(WAIT);
    await page.getByRole('cell', { name: cluster.workerName }).waitFor(WAIT);
    await page.getByText('Memory used (MiB)').waitFor(WAIT);
    assert.equal(await page.evaluate(() => sessionStorage.getItem('funless.token')), cluster.adminToken);
    assert.equal(await page.evaluate(() => localStorage.length), 0, 'nothing in localStorage');
  });

  test('a function is uploaded from a picked .wasm file and listed with its tag and capacity', async () => {
    await page.getByRole('link', { name: 'Functions' }).click();
    await page.getByLabel('Name', { exact: true }).fill('greeter');
    await page.locator('#upload-code').setInputFiles(wasmFile);
    await page.getByLabel('Tag').last().fill('console_test');
    await page.getByRole('button', { name: 'Upload' }).click();
    const row = page.getByRole('row').filter({ hasText: 'greeter' });
    await row.filter({ hasText: 'console_test' }).waitFor(WAIT);
    await page.getByRole('heading', { name: '_/greeter' }).waitFor(WAIT);
  });

  test('events and sinks the API reports for a function are shown with their state', async () => {
    // The shape of an answer that reports them (docs/api.md, "Show function"), added to the real one.
    await page.route('**/v1/fn/_/greeter', async (route) => {
      const answer = await route.fetch();
      const body = await answer.json();
      body.data.events = [
        { type: 'mqtt', params: { topic: 'sensors/+' }, state: 'retrying', last_error: 'ECONNREFUSED' },
      ];
      body.data.sinks = [
        { type: 'webhook', params: {}, state: 'connected', counters: { results_delivered: 3 } },
      ];
      await route.fulfill({ response: answer, json: body });
    });
    await page.getByRole('button', { name: 'greeter' }).click();
    const detail = page.getByRole('region', { name: 'Function _/greeter' });
    await detail.getByRole('cell', { name: 'retrying' }).waitFor(WAIT);
    await detail.getByRole('cell', { name: 'ECONNREFUSED' }).waitFor(WAIT);
    await detail.getByRole('cell', { name: 'connected' }).waitFor(WAIT);
    await detail.getByRole('cell', { name: '{"results_delivered":3}' }).waitFor(WAIT);
    await page.unroute('**/v1/fn/_/greeter');
  });

  test('invoking it shows the result, its log line and the duration', async () => {
    await page.getByRole('link', { name: 'Invoke it' }).click();
    await page.getByLabel('Args (JSON object)').fill('{"name": ');
    await page.getByText('not JSON').waitFor(WAIT);
    assert.equal(
      await page.getByRole('button', { name: 'Invoke' }).isDisabled(),
      true,
      'bad JSON is not sent',
    );
    await page.getByLabel('Args (JSON object)').fill('{"name": "console"}');
    await page.getByRole('button', { name: 'Invoke' }).click();
    const outcome = page.getByRole('region', { name: 'Outcome' });
    await outcome.getByText('"payload": "Hello console!"').first().waitFor(WAIT);
    await outcome.getByText('greeting from the console test').waitFor(WAIT);
    await outcome.getByText(/ms in the guest/).waitFor(WAIT);
  });

  test('the same invocation run asynchronously is followed to its end', async () => {
    await page.getByLabel(/Asynchronous/).check();
    await page.getByRole('button', { name: 'Invoke' }).click();
    const outcome = page.getByRole('region', { name: 'Outcome' });
    await outcome.getByText(/^202 accepted/).waitFor(WAIT);
    await outcome.locator('.status-ok', { hasText: 'success' }).waitFor(WAIT);
    await outcome.getByText('greeting from the console test').waitFor(WAIT);
    await shoot('invoke');
  });

  test('the activation appears in the list and opens to its result and logs', async () => {
    await page.getByRole('link', { name: 'Activations' }).click();
    const rows = page.getByRole('row').filter({ hasText: '_/greeter' });
    await rows.nth(1).waitFor(WAIT);
    await rows.first().getByRole('link').click();
    const detail = page.getByRole('region', { name: /^Activation [0-9a-f]{32}$/ });
    await detail.getByText('greeting from the console test').waitFor(WAIT);
    await detail.getByText('"payload": "Hello console!"').waitFor(WAIT);
    await shoot('activations');
  });

  test('an APP script with an error shows the problem at its line, and saves once fixed', async () => {
    await page.getByRole('link', { name: 'APP scripts' }).click();
    await page.getByLabel('Name').fill('console_policy');
    const broken = '- default:\n    - workers: "*"\n      strategy: fastest\n';
    await page.getByLabel('Script (YAML)').fill(broken);
    await page.getByRole('button', { name: 'Save' }).click();
    const problems = page.getByRole('list', { name: 'Problems' });
    await problems.getByText(/^line 3/).waitFor(WAIT);
    assert.match(await problems.innerText(), /fastest/);
    assert.equal(await page.locator('.gutter .marked').innerText(), '3', 'the gutter marks line 3');
    await page.getByRole('alert').filter({ hasText: 'invalid APP script' }).waitFor(WAIT);
    await shoot('scripts');
    await page.getByLabel('Script (YAML)').fill(broken.replace('fastest', 'best-first'));
    await page.getByRole('button', { name: 'Save' }).click();
    await page.getByText('Saved console_policy.').waitFor(WAIT);
    await page.getByRole('link', { name: 'console_policy' }).waitFor(WAIT);
  });

  test('the admin creates a subject and sees its token once', async () => {
    await page.getByRole('link', { name: 'Admin' }).click();
    await page.getByLabel('New subject').fill('console_dev');
    await page.getByRole('button', { name: 'Create' }).click();
    const token = await page.getByLabel('Token of console_dev').inputValue();
    assert.match(token, /^[\w-]{43}$/);
    await page.getByRole('cell', { name: 'console_dev', exact: true }).waitFor(WAIT);
    await shoot('admin');
    await page.getByRole('button', { name: 'Done' }).click();
  });

  test('the pages are reached with the keyboard alone', async () => {
    await go('#/overview');
    await page.getByRole('heading', { name: 'Overview' }).waitFor(WAIT);
    await page.locator('body').focus();
    let focused = '';
    for (let i = 0; i < 10 && focused !== 'Activations'; i++) {
      await page.keyboard.press('Tab');
      focused = await page.evaluate(() => document.activeElement?.textContent ?? '');
    }
    assert.equal(focused, 'Activations', 'Tab reaches the Activations link');
    await page.keyboard.press('Enter');
    await page.getByRole('heading', { name: 'Activations' }).waitFor(WAIT);
  });

  test('pages at phone and desktop sizes', async () => {
    await go('#/overview');
    await page.getByRole('cell', { name: cluster.workerName }).waitFor(WAIT);
    await shoot('overview');
    await go('#/functions');
    await page.getByRole('button', { name: 'greeter' }).click();
    await page.getByRole('heading', { name: '_/greeter' }).waitFor(WAIT);
    await shoot('functions');
  });

  test('signing out forgets the token', async () => {
    await page.getByRole('button', { name: 'Sign out' }).click();
    await page.getByLabel('Token').waitFor(WAIT);
    assert.equal(await page.evaluate(() => sessionStorage.length), 0);
    await page.reload();
    await page.getByLabel('Token').waitFor(WAIT);
  });

  test('a token deleted while signed in returns to sign-in with the reason', async () => {
    const created = await fetch(`${cluster.url}/v1/admin/subjects`, {
      method: 'POST',
      headers: { authorization: `Bearer ${cluster.adminToken}`, 'content-type': 'application/json' },
      body: JSON.stringify({ subject: { name: 'console_gone' } }),
    });
    const { data } = (await created.json()) as { data: { token: string } };
    await page.getByLabel('Token').fill(data.token);
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.getByRole('button', { name: 'Sign out' }).waitFor(WAIT);
    assert.equal(await page.getByRole('link', { name: 'Admin' }).count(), 0, 'no Admin page for a subject');
    const deleted = await fetch(`${cluster.url}/v1/admin/subjects/console_gone`, {
      method: 'DELETE',
      headers: { authorization: `Bearer ${cluster.adminToken}` },
    });
    assert.equal(deleted.status, 204);
    await page.getByText(/Signed out: the API refused the token \(invalid token\)/).waitFor(WAIT);
    assert.equal(await page.evaluate(() => sessionStorage.length), 0);
  });

  test('the one-time link of fl ui signs in once, and leaves no code in the address bar', async () => {
    const printed = await runFl(['ui', '--admin'], cluster);
    const link = printed.trim();
    assert.match(link, new RegExp(`^${cluster.url}/ui/#code=[\\w-]{43}$`));
    await page.goto(link);
    await page.getByRole('button', { name: 'Sign out' }).waitFor(WAIT);
    await page.getByRole('link', { name: 'Admin' }).waitFor(WAIT);
    assert.equal(new URL(page.url()).hash, '', 'the code is gone from the address');
    await page.getByRole('button', { name: 'Sign out' }).click();
    await page.goto('about:blank');
    await page.goto(link);
    await page.getByText(/Not signed in: this sign-in code is unknown, used or expired/).waitFor(WAIT);
  });

  test('the browser asked for nothing but the Core itself', () => {
    const origin = new URL(cluster.url).origin;
    const elsewhere = requested.filter((url) => !url.startsWith(`${origin}/`));
    assert.deepEqual(elsewhere, []);
    assert.ok(requested.length > 10);
  });
});
