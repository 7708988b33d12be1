// The platform's own log lines: readable on a terminal, JSON lines anywhere else or when asked
// (FL_LOG_FORMAT), through `fl up` as users start it (docs/configuration.md, "Logs").
import assert from 'node:assert/strict';
import { test } from 'node:test';

import { logFormatFromEnv, platformLogger } from '../src/logging/index.js';
import type { OutStream } from '../src/output/index.js';
import { cleanEnv, startPlatform } from './support/platform.js';
import { tempDir } from './support/temp-dir.js';

/** A stream that keeps what is written, on a terminal or not. */
function memoryOut(isTTY: boolean): OutStream & { text(): string } {
  let text = '';
  return {
    isTTY,
    write: (chunk: string) => (text += chunk),
    text: () => text,
  };
}

/** A readable line: `[HH:MM:SS.mmm] LEVEL: message {fields}`. */
const PRETTY_LINE = /^\[\d\d:\d\d:\d\d\.\d{3}\] INFO: the Core is up \{"url":"http:\/\/127\.0\.0\.1:4000"\}$/;
// ANSI color sequences, which a terminal gets.
// eslint-disable-next-line no-control-regex
const ANSI = /\u001b\[[\d;]*m/g;

test('on a terminal the lines are readable (time, level, message, fields) and colored', () => {
  const out = memoryOut(true);
  platformLogger({}, out).info({ url: 'http://127.0.0.1:4000' }, 'the Core is up');
  assert.notEqual(out.text().replace(ANSI, ''), out.text(), 'colored');
  assert.match(out.text().replace(ANSI, '').trimEnd(), PRETTY_LINE);
});

test('anywhere else they are JSON lines', () => {
  const out = memoryOut(false);
  platformLogger({}, out).info({ url: 'http://127.0.0.1:4000' }, 'the Core is up');
  const line = JSON.parse(out.text());
  assert.equal(line.level, 30);
  assert.equal(line.msg, 'the Core is up');
  assert.equal(line.url, 'http://127.0.0.1:4000');
  assert.equal(typeof line.time, 'number');
});

test('FL_LOG_FORMAT chooses either, whatever the stream is', () => {
  const pretty = memoryOut(false);
  platformLogger({ FL_LOG_FORMAT: 'pretty' }, pretty).info(
    { url: 'http://127.0.0.1:4000' },
    'the Core is up',
  );
  assert.equal(pretty.text().replace(ANSI, ''), pretty.text(), 'no colors off a terminal');
  assert.match(pretty.text().trimEnd(), PRETTY_LINE);

  const json = memoryOut(true);
  platformLogger({ FL_LOG_FORMAT: 'json' }, json).info('on a terminal, asked for JSON');
  assert.equal(JSON.parse(json.text()).msg, 'on a terminal, asked for JSON');
  assert.equal(logFormatFromEnv({ FL_LOG_FORMAT: ' json ' }, memoryOut(true)), 'json');
});

test('FL_LOG_LEVEL is honoured; a bad FL_LOG_FORMAT or FL_LOG_LEVEL is refused naming the variable', () => {
  const out = memoryOut(false);
  const logger = platformLogger({ FL_LOG_LEVEL: 'warn' }, out);
  logger.info('not shown');
  logger.warn('shown');
  assert.deepEqual(
    out
      .text()
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l).msg),
    ['shown'],
  );
  assert.throws(
    () => platformLogger({ FL_LOG_FORMAT: 'yaml' }, out),
    /FL_LOG_FORMAT must be one of json, pretty, got "yaml"/,
  );
  assert.throws(
    () => platformLogger({ FL_LOG_LEVEL: 'loud' }, out),
    /FL_LOG_LEVEL must be one of fatal, error/,
  );
});

test('fl up prints readable lines with FL_LOG_FORMAT=pretty, and JSON lines to a pipe by default', async () => {
  for (const [format, check] of [
    [
      'pretty',
      (line: string) => /^\[\d\d:\d\d:\d\d\.\d{3}\] INFO: FunLess Core listening on http:/.test(line),
    ],
    [
      '',
      (line: string) => line.startsWith('{') && JSON.parse(line).msg?.startsWith('FunLess Core listening on'),
    ],
  ] as const) {
    const work = await tempDir('fl-logs-');
    const platform = await startPlatform('up', {
      env: cleanEnv({ HOME: work.dir, FL_LOG_FORMAT: format, FL_DISCOVERY: 'off' }),
      cwd: work.dir,
      timeoutMs: 60_000,
    });
    try {
      const lines = platform.output().split('\n');
      assert.ok(lines.some(check), `FL_LOG_FORMAT=${format}: no such line in\n${platform.output()}`);
    } finally {
      await platform.stop();
      await work.cleanup();
    }
  }
});
