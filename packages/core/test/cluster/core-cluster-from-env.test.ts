import assert from 'node:assert/strict';
import { test } from 'node:test';

import { ConfigError } from '@funless/protocol';

import { coreClusterFromEnv } from '../../src/cluster/index.js';

const SECRET = 'cluster-from-env-secret';

test('bad cluster time limits and bounds are refused with a ConfigError naming the variable', async () => {
  const cases: [string, string, RegExp][] = [
    ['FL_PUSH_TIMEOUT_MS', '0', /^FL_PUSH_TIMEOUT_MS must be a positive whole number, got "0"$/],
    [
      'FL_LIVENESS_TIMEOUT_MS',
      'soon',
      /^FL_LIVENESS_TIMEOUT_MS must be a positive whole number, got "soon"$/,
    ],
    ['FL_REPORT_INTERVAL_MS', '-1', /^FL_REPORT_INTERVAL_MS must be a positive whole number, got "-1"$/],
    ['FL_MAX_PENDING_JOINS', '0', /^FL_MAX_PENDING_JOINS must be a positive whole number, got "0"$/],
  ];
  for (const [variable, value, message] of cases) {
    await assert.rejects(
      coreClusterFromEnv({ FL_CLUSTER_SECRET: SECRET, [variable]: value }),
      (error: unknown) => error instanceof ConfigError && message.test(error.message),
      variable,
    );
  }
});
