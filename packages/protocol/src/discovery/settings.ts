import { isIPv4 } from 'node:net';

import { ErrorCode, FlError } from '../errors.js';

/** A discovery setting that cannot be used; the message names the variable or option. */
export class DiscoveryConfigError extends FlError {
  override readonly name = 'DiscoveryConfigError';
  constructor(message: string) {
    super(ErrorCode.BadRequest, message);
  }
}

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
  /** Core: the URL Workers should use, instead of the packet's source address and FL_PORT. */
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

/** The value of `env[name]`, or undefined when unset or blank. */
export function envValue(env: NodeJS.ProcessEnv, name: string): string | undefined {
  const value = env[name]?.trim();
  return value === undefined || value === '' ? undefined : value;
}

/** Reads an integer variable within `[min, max]`, or `fallback` when unset. */
export function envInteger(
  env: NodeJS.ProcessEnv,
  name: string,
  fallback: number,
  min: number,
  max: number,
): number {
  const raw = envValue(env, name);
  if (raw === undefined) return fallback;
  const value = /^\d+$/.test(raw) ? Number(raw) : NaN;
  if (!Number.isSafeInteger(value) || value < min || value > max) {
    throw new DiscoveryConfigError(
      `${name} must be an integer from ${min} to ${max}, got ${JSON.stringify(raw)}`,
    );
  }
  return value;
}

/** Whether `address` is an IPv4 multicast address (224.0.0.0/4). */
export function isIPv4Multicast(address: string): boolean {
  if (!isIPv4(address)) return false;
  const first = Number(address.split('.')[0]);
  return first >= 224 && first <= 239;
}

/** Checks complete settings, naming the option at fault. */
export function validateMulticastSettings(
  settings: MulticastSettings,
  names: Partial<Record<keyof MulticastSettings, string>> = {},
): MulticastSettings {
  const name = (key: keyof MulticastSettings): string => names[key] ?? key;
  if (!isIPv4Multicast(settings.group)) {
    throw new DiscoveryConfigError(
      `${name('group')} must be an IPv4 multicast address (224.0.0.0 to 239.255.255.255), got ${JSON.stringify(settings.group)}`,
    );
  }
  const ranges: [keyof MulticastSettings, number, number][] = [
    ['port', 1, 65_535],
    ['intervalMs', 10, 3_600_000],
    ['maxAgeMs', 100, 86_400_000],
    ['ttl', 1, 255],
  ];
  for (const [key, min, max] of ranges) {
    const value = settings[key];
    if (typeof value !== 'number' || !Number.isInteger(value) || value < min || value > max) {
      throw new DiscoveryConfigError(
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
      port: envInteger(env, DISCOVERY_ENV.port, d.port, 1, 65_535),
      intervalMs: envInteger(env, DISCOVERY_ENV.intervalMs, d.intervalMs, 10, 3_600_000),
      maxAgeMs: envInteger(env, DISCOVERY_ENV.maxAgeMs, d.maxAgeMs, 100, 86_400_000),
      ttl: envInteger(env, DISCOVERY_ENV.ttl, d.ttl, 1, 255),
    },
    DISCOVERY_ENV,
  );
}

/** Reads `FL_DISCOVERY`: `multicast` (the default) or `off`. */
export function discoveryModeFromEnv(env: NodeJS.ProcessEnv = process.env): DiscoveryMode {
  const raw = envValue(env, DISCOVERY_ENV.mode)?.toLowerCase() ?? DiscoveryMode.Multicast;
  if (raw !== DiscoveryMode.Multicast && raw !== DiscoveryMode.Off) {
    throw new DiscoveryConfigError(
      `${DISCOVERY_ENV.mode} must be "multicast" or "off", got ${JSON.stringify(raw)}`,
    );
  }
  return raw;
}
