import assert from 'node:assert/strict';
import { describe, test } from 'node:test';

import {
  DEFAULT_MULTICAST_SETTINGS,
  ConfigError,
  discoveryModeFromEnv,
  multicastSettingsFromEnv,
} from '../src/index.js';

describe('discovery settings from the environment', () => {
  test('unset or blank variables take the defaults', () => {
    assert.deepEqual(multicastSettingsFromEnv({}), DEFAULT_MULTICAST_SETTINGS);
    assert.deepEqual(multicastSettingsFromEnv({ FL_DISCOVERY_PORT: ' ' }), DEFAULT_MULTICAST_SETTINGS);
    assert.equal(discoveryModeFromEnv({}), 'multicast');
  });

  test('every variable is read', () => {
    assert.deepEqual(
      multicastSettingsFromEnv({
        FL_DISCOVERY_GROUP: '239.1.2.3',
        FL_DISCOVERY_PORT: '5000',
        FL_DISCOVERY_INTERVAL_MS: '500',
        FL_DISCOVERY_MAX_AGE_MS: '10000',
        FL_DISCOVERY_TTL: '4',
      }),
      { group: '239.1.2.3', port: 5000, intervalMs: 500, maxAgeMs: 10_000, ttl: 4 },
    );
    assert.equal(discoveryModeFromEnv({ FL_DISCOVERY: 'OFF' }), 'off');
  });

  test('bad values are refused with an error naming the variable', () => {
    const cases: [NodeJS.ProcessEnv, RegExp][] = [
      [{ FL_DISCOVERY_GROUP: '10.0.0.1' }, /FL_DISCOVERY_GROUP must be an IPv4 multicast address/],
      [{ FL_DISCOVERY_GROUP: 'ff02::1' }, /FL_DISCOVERY_GROUP/],
      [{ FL_DISCOVERY_PORT: '0' }, /FL_DISCOVERY_PORT must be an integer from 1 to 65535, got "0"/],
      [{ FL_DISCOVERY_PORT: 'abc' }, /FL_DISCOVERY_PORT/],
      [{ FL_DISCOVERY_INTERVAL_MS: '-5' }, /FL_DISCOVERY_INTERVAL_MS/],
      [{ FL_DISCOVERY_TTL: '256' }, /FL_DISCOVERY_TTL/],
    ];
    for (const [env, message] of cases) {
      assert.throws(
        () => multicastSettingsFromEnv(env),
        (error: unknown) => {
          assert.ok(error instanceof ConfigError);
          assert.equal(error.code, 'bad_request');
          assert.match(error.message, message);
          return true;
        },
      );
    }
    assert.throws(
      () => discoveryModeFromEnv({ FL_DISCOVERY: 'dns' }),
      /FL_DISCOVERY must be "multicast" or "off", got "dns"/,
    );
  });
});
