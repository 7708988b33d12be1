import { isIPv4 } from 'node:net';

import { ConfigError, envInt, envValue } from '../config.js';
import type { EnvIntRange } from '../config.js';

/** How Cores announce themselves and Workers listen, on both sides of LAN discovery. */
export interface MulticastSettings {
  /** IPv4 multicast group. @default '239.255.70.76' (organisation-local scope; 70.76 is "FL") */
  group: string;
  /** UDP port of the group. @default 7076 */
  port: number;
  /** Core: time between two announcements, in ms. @default 2_000 */
  intervalMs: number;
  /** Worker: freshness window, in ms; older (or future) announcements are rejected. @default 30_000 */
  maxAgeMs: number;
  /** Core: IP multicast TTL (hops); 1 keeps announcements on the local network. @default 1 */
  ttl: number;
}

/** Defaults of `MulticastSettings`. */
export const DEFAULT_MULTICAST_SETTINGS = {
  group: '239.255.70.76',
  port: 7076,
  intervalMs: 2_000,
  maxAgeMs: 30_000,
  ttl: 1,
} as const satisfies MulticastSettings;

/** The environment variables of discovery, on the Core and the Worker. */
export const DISCOVERY_ENV = {
  /** `multicast` (default) or `off`. */
  mode: 'FL_DISCOVERY',
  group: 'FL_DISCOVERY_GROUP',
  port: 'FL_DISCOVERY_PORT',
  intervalMs: 'FL_DISCOVERY_INTERVAL_MS',
  maxAgeMs: 'FL_DISCOVERY_MAX_AGE_MS',
  ttl: 'FL_DISCOVERY_TTL',
  /** Core: the URL Workers should use, instead of the announcing interface's address and FL_PORT. */
  advertiseUrl: 'FL_ADVERTISE_URL',
  /** Worker: the Core's URL(s), comma-separated. */
  coreUrl: 'FL_CORE_URL',
  /** Worker: a DNS name (`host` or `host:port`, optionally `ws://`/`wss://`) resolving to the Cores. */
  coreDns: 'FL_CORE_DNS',
  /** Worker: the Cores' port when FL_CORE_DNS names none. */
  corePort: 'FL_CORE_PORT',
  /** Worker: time between two resolutions of FL_CORE_DNS, in ms. */
  dnsIntervalMs: 'FL_DNS_INTERVAL_MS',
} as const;

/** The values of `FL_DISCOVERY`. */
export const DiscoveryMode = { Multicast: 'multicast', Off: 'off' } as const;
export type DiscoveryMode = (typeof DiscoveryMode)[keyof typeof DiscoveryMode];

/** Whether `address` is an IPv4 multicast address (224.0.0.0/4). */
export function isIPv4Multicast(address: string): boolean {
  if (!isIPv4(address)) return false;
  const first = Number(address.split('.')[0]);
  return first >= 224 && first <= 239;
}

type NumericSetting = Exclude<keyof MulticastSettings, 'group'>;

/** The values each numeric setting accepts, from the environment or in code. */
const MULTICAST_RANGES = {
  port: { min: 1, max: 65_535 },
  intervalMs: { min: 10, max: 3_600_000 },
  maxAgeMs: { min: 100, max: 86_400_000 },
  ttl: { min: 1, max: 255 },
} as const satisfies Record<NumericSetting, EnvIntRange>;

/** Checks complete settings, naming the option at fault. */
export function validateMulticastSettings(
  settings: MulticastSettings,
  names: Partial<Record<keyof MulticastSettings, string>> = {},
): MulticastSettings {
  const name = (key: keyof MulticastSettings): string => names[key] ?? key;
  if (!isIPv4Multicast(settings.group)) {
    throw new ConfigError(
      `${name('group')} must be an IPv4 multicast address (224.0.0.0 to 239.255.255.255), got ${JSON.stringify(settings.group)}`,
    );
  }
  for (const [key, { min, max }] of Object.entries(MULTICAST_RANGES) as [
    NumericSetting,
    Required<EnvIntRange>,
  ][]) {
    const value = settings[key];
    if (typeof value !== 'number' || !Number.isInteger(value) || value < min || value > max) {
      throw new ConfigError(
        `${name(key)} must be an integer from ${min} to ${max}, got ${JSON.stringify(value)}`,
      );
    }
  }
  return settings;
}

/** Reads `FL_DISCOVERY_GROUP`, `_PORT`, `_INTERVAL_MS`, `_MAX_AGE_MS`, `_TTL` over the defaults. */
export function multicastSettingsFromEnv(env: NodeJS.ProcessEnv = process.env): MulticastSettings {
  const d = DEFAULT_MULTICAST_SETTINGS;
  return validateMulticastSettings(
    {
      group: envValue(env, DISCOVERY_ENV.group) ?? d.group,
      port: envInt(env, DISCOVERY_ENV.port, MULTICAST_RANGES.port) ?? d.port,
      intervalMs: envInt(env, DISCOVERY_ENV.intervalMs, MULTICAST_RANGES.intervalMs) ?? d.intervalMs,
      maxAgeMs: envInt(env, DISCOVERY_ENV.maxAgeMs, MULTICAST_RANGES.maxAgeMs) ?? d.maxAgeMs,
      ttl: envInt(env, DISCOVERY_ENV.ttl, MULTICAST_RANGES.ttl) ?? d.ttl,
    },
    DISCOVERY_ENV,
  );
}

/** Reads `FL_DISCOVERY`: `multicast` (the default) or `off`. */
export function discoveryModeFromEnv(env: NodeJS.ProcessEnv = process.env): DiscoveryMode {
  const raw = envValue(env, DISCOVERY_ENV.mode)?.toLowerCase() ?? DiscoveryMode.Multicast;
  if (raw !== DiscoveryMode.Multicast && raw !== DiscoveryMode.Off) {
    throw new ConfigError(`${DISCOVERY_ENV.mode} must be "multicast" or "off", got ${JSON.stringify(raw)}`);
  }
  return raw;
}
