import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { test } from 'node:test';

import { TLS_FIXTURE } from '@funless/testing';

import {
  ConfigError,
  DEFAULT_CORE_OPTIONS,
  coreOptionsFromEnv,
  resolveCoreOptions,
} from '../src/config/index.js';

test('an empty environment gives the documented defaults', () => {
  const options = coreOptionsFromEnv({});
  assert.equal(options.port, 4000);
  assert.equal(options.host, '127.0.0.1');
  assert.equal(options.dataDir, resolve(process.cwd(), '.funless'));
  assert.equal(options.databaseUrl, undefined);
  assert.equal(options.adminToken, undefined);
  assert.equal(options.metricsToken, undefined);
  assert.equal(options.invokeTimeoutMs, 60_000);
  assert.equal(options.maxChainDepth, 8);
  assert.ok(options.bodyLimitBytes >= 60 * 1024 * 1024);
  assert.equal(options.logLevel, 'info');
  assert.equal(options.requestTimeoutMs, 300_000);
  assert.equal(options.headersTimeoutMs, 30_000);
  assert.equal(options.activationRetentionDays, 7);
  assert.equal(options.activationMax, 100_000);
  assert.equal(options.asyncQueueMax, 1_000);
  assert.equal(options.asyncConcurrency, 16);
});

test('every variable is read', () => {
  const options = coreOptionsFromEnv({
    FL_PORT: '8080',
    FL_HOST: '0.0.0.0',
    FL_DATA_DIR: '/tmp/fl-data',
    DATABASE_URL: 'postgres://u@h:5432/db',
    FL_ADMIN_TOKEN: 'a-long-enough-admin-token',
    FL_METRICS_TOKEN: 'a-long-enough-metrics-token',
    FL_INVOKE_TIMEOUT_MS: '5000',
    FL_MAX_CHAIN_DEPTH: '0',
    FL_BODY_LIMIT_BYTES: '2097152',
    FL_LOG_LEVEL: 'debug',
    FL_SHUTDOWN_TIMEOUT_MS: '100',
    FL_REQUEST_TIMEOUT_MS: '20000',
    FL_HEADERS_TIMEOUT_MS: '5000',
    FL_ACTIVATION_RETENTION_DAYS: '0',
    FL_ACTIVATION_MAX: '50',
    FL_ASYNC_QUEUE_MAX: '3',
    FL_ASYNC_CONCURRENCY: '2',
    FL_EVENT_CONCURRENCY: '3',
    FL_SINK_TIMEOUT_MS: '1500',
  });
  assert.deepEqual(options, {
    port: 8080,
    host: '0.0.0.0',
    dataDir: '/tmp/fl-data',
    databaseUrl: 'postgres://u@h:5432/db',
    adminToken: 'a-long-enough-admin-token',
    metricsToken: 'a-long-enough-metrics-token',
    invokeTimeoutMs: 5000,
    maxChainDepth: 0,
    bodyLimitBytes: 2_097_152,
    logLevel: 'debug',
    shutdownTimeoutMs: 100,
    requestTimeoutMs: 20_000,
    headersTimeoutMs: 5000,
    tlsCertFile: undefined,
    tlsKeyFile: undefined,
    tls: undefined,
    activationRetentionDays: 0,
    activationMax: 50,
    asyncQueueMax: 3,
    asyncConcurrency: 2,
    eventConcurrency: 3,
    sinkTimeoutMs: 1500,
  });
});

test('FL_TLS_CERT and FL_TLS_KEY are read and checked at start: both files, in PEM', () => {
  const options = coreOptionsFromEnv({ FL_TLS_CERT: TLS_FIXTURE.certFile, FL_TLS_KEY: TLS_FIXTURE.keyFile });
  assert.equal(options.tlsCertFile, TLS_FIXTURE.certFile);
  assert.equal(options.tlsKeyFile, TLS_FIXTURE.keyFile);
  assert.deepEqual(options.tls, {
    cert: readFileSync(TLS_FIXTURE.certFile),
    key: readFileSync(TLS_FIXTURE.keyFile),
  });
});

test('one of FL_TLS_CERT and FL_TLS_KEY without the other is refused naming both', () => {
  assert.throws(
    () => coreOptionsFromEnv({ FL_TLS_CERT: TLS_FIXTURE.certFile }),
    (error: unknown) =>
      error instanceof ConfigError &&
      /FL_TLS_CERT is set but FL_TLS_KEY is not: set both/.test(error.message),
  );
  assert.throws(
    () => coreOptionsFromEnv({ FL_TLS_KEY: TLS_FIXTURE.keyFile }),
    /FL_TLS_KEY is set but FL_TLS_CERT is not/,
  );
});

test('an unreadable certificate or key file is refused naming the variable and the file', () => {
  assert.throws(
    () => coreOptionsFromEnv({ FL_TLS_CERT: '/nonexistent/cert.pem', FL_TLS_KEY: TLS_FIXTURE.keyFile }),
    /FL_TLS_CERT: cannot read \/nonexistent\/cert\.pem: ENOENT/,
  );
  assert.throws(
    () => coreOptionsFromEnv({ FL_TLS_CERT: TLS_FIXTURE.certFile, FL_TLS_KEY: '/nonexistent/key.pem' }),
    /FL_TLS_KEY: cannot read \/nonexistent\/key\.pem/,
  );
});

test('files that are not a PEM certificate and its key are refused naming both variables', () => {
  // Swapped: the key where the certificate goes.
  assert.throws(
    () => coreOptionsFromEnv({ FL_TLS_CERT: TLS_FIXTURE.keyFile, FL_TLS_KEY: TLS_FIXTURE.certFile }),
    /FL_TLS_CERT \(.*localhost\.key\) and FL_TLS_KEY \(.*localhost\.crt\) must be a PEM certificate and its private key/,
  );
  // The option names, when given in code.
  assert.throws(
    () => resolveCoreOptions({ tlsCertFile: TLS_FIXTURE.certFile }),
    /tlsCertFile is set but tlsKeyFile is not/,
  );
});

test('empty variables count as unset', () => {
  assert.equal(coreOptionsFromEnv({ FL_PORT: '' }).port, DEFAULT_CORE_OPTIONS.port);
});

for (const [variable, value, message] of [
  ['FL_PORT', 'abc', /FL_PORT must be a whole number, got "abc"/],
  ['FL_PORT', '70000', /FL_PORT must be an integer from 0 to 65535/],
  ['FL_INVOKE_TIMEOUT_MS', '-5', /FL_INVOKE_TIMEOUT_MS must be a whole number/],
  ['FL_INVOKE_TIMEOUT_MS', '0', /FL_INVOKE_TIMEOUT_MS must be an integer from 1/],
  ['FL_MAX_CHAIN_DEPTH', '-1', /FL_MAX_CHAIN_DEPTH must be a whole number/],
  ['FL_MAX_CHAIN_DEPTH', '1001', /FL_MAX_CHAIN_DEPTH must be an integer from 0 to 1000/],
  ['FL_BODY_LIMIT_BYTES', '10', /FL_BODY_LIMIT_BYTES must be an integer from 1048576/],
  ['FL_LOG_LEVEL', 'loud', /FL_LOG_LEVEL must be one of fatal, error/],
  ['DATABASE_URL', 'mysql://x', /DATABASE_URL must be a postgres:\/\/ or postgresql:\/\/ URL/],
  ['FL_REQUEST_TIMEOUT_MS', '0', /FL_REQUEST_TIMEOUT_MS must be an integer from 1/],
  ['FL_HEADERS_TIMEOUT_MS', '400000', /FL_HEADERS_TIMEOUT_MS must be an integer from 1 to 300000/],
  ['FL_ADMIN_TOKEN', 'short', /FL_ADMIN_TOKEN must be at least 16 characters/],
  ['FL_ACTIVATION_MAX', '-1', /FL_ACTIVATION_MAX must be a whole number, got "-1"/],
  [
    'FL_ACTIVATION_RETENTION_DAYS',
    '40000',
    /FL_ACTIVATION_RETENTION_DAYS must be an integer from 0 to 36500/,
  ],
  ['FL_ASYNC_QUEUE_MAX', '0', /FL_ASYNC_QUEUE_MAX must be an integer from 1/],
  ['FL_ASYNC_CONCURRENCY', '0', /FL_ASYNC_CONCURRENCY must be an integer from 1/],
  ['FL_METRICS_TOKEN', 'short', /FL_METRICS_TOKEN must be at least 16 characters/],
  ['FL_METRICS_TOKEN', 'a token with spaces in it', /FL_METRICS_TOKEN must be .* no whitespace/],
] as const) {
  test(`${variable}=${value} is refused with a message naming the variable`, () => {
    assert.throws(() => coreOptionsFromEnv({ [variable]: value }), message);
  });
}

test('options given in code are named by their key', () => {
  assert.throws(() => resolveCoreOptions({ invokeTimeoutMs: 1.5 }), /invokeTimeoutMs must be an integer/);
  assert.throws(() => resolveCoreOptions({ host: ' ' }), /host must be a non-empty string/);
});

test('the headers are due no later than the whole request', () => {
  assert.equal(resolveCoreOptions({ requestTimeoutMs: 1000 }).headersTimeoutMs, 1000);
  assert.throws(
    () => resolveCoreOptions({ requestTimeoutMs: 1000, headersTimeoutMs: 2000 }),
    /headersTimeoutMs must be an integer from 1 to 1000/,
  );
});
