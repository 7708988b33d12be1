import {
  ConfigError,
  DISCOVERY_ENV,
  DiscoveryMode,
  discoveryModeFromEnv,
  envInt,
  envValue,
  multicastSettingsFromEnv,
} from '@funless/protocol';

import type { Discovery, DiscoveryLogger } from './discovery.js';
import { DEFAULT_DNS_DISCOVERY_OPTIONS, DnsDiscovery } from './dns-discovery.js';
import type { AddressResolver } from './dns-discovery.js';
import { MulticastDiscovery } from './multicast-discovery.js';
import { StaticDiscovery } from './static-discovery.js';

/** What `discoveryFromEnv` needs beside the environment. */
export interface DiscoveryFromEnvOptions {
  /** The cluster secret; required for multicast discovery (neither FL_CORE_URL nor FL_CORE_DNS set). */
  secret?: string;
  logger?: DiscoveryLogger;
  /** DNS resolver override (tests). */
  resolve?: AddressResolver;
  /** Interfaces multicast discovery listens on. @default every IPv4 interface */
  interfaces?: readonly string[];
}

/**
 * Parses `FL_CORE_DNS`: `name`, `name:port`, or `ws://name:port` / `wss://name:port`; the port
 * defaults to `FL_CORE_PORT`, else 4000.
 */
export function parseCoreDns(
  value: string,
  defaultPort: number,
): { hostname: string; port: number; scheme: 'ws' | 'wss' } {
  const name = DISCOVERY_ENV.coreDns;
  const bad = (why: string) =>
    new ConfigError(
      `${name} must be a DNS name, optionally with :port (${why}), got ${JSON.stringify(value)}`,
    );
  let scheme: 'ws' | 'wss' = 'ws';
  let rest = value.trim();
  const schemeMatch = /^([a-z]+):\/\//i.exec(rest);
  if (schemeMatch !== null) {
    const given = schemeMatch[1]!.toLowerCase();
    if (given === 'wss' || given === 'https') scheme = 'wss';
    else if (given !== 'ws' && given !== 'http') throw bad(`unknown scheme ${given}`);
    rest = rest.slice(schemeMatch[0].length).replace(/\/$/, '');
  }
  const match = /^([a-zA-Z0-9]([a-zA-Z0-9._-]*[a-zA-Z0-9])?)(?::(\d+))?$/.exec(rest);
  if (match === null) throw bad('letters, digits, dots and dashes');
  const port = match[3] === undefined ? defaultPort : Number(match[3]);
  if (!Number.isInteger(port) || port < 1 || port > 65_535) throw bad('port from 1 to 65535');
  return { hostname: match[1]!, port, scheme };
}

/**
 * Chooses how the Worker finds its Cores, from the environment:
 * - `FL_CORE_URL` (comma-separated for several Cores): `StaticDiscovery`;
 * - else `FL_CORE_DNS`: `DnsDiscovery`, re-resolving every `FL_DNS_INTERVAL_MS` (default 10 000);
 * - else, unless `FL_DISCOVERY=off`: `MulticastDiscovery` on `FL_DISCOVERY_GROUP`:`FL_DISCOVERY_PORT`.
 *
 * Throws `ConfigError` naming the variable when a value is bad, when both FL_CORE_URL
 * and FL_CORE_DNS are set, or when nothing is left to find a Core with. The result is not started.
 */
export function discoveryFromEnv(
  env: NodeJS.ProcessEnv = process.env,
  options: DiscoveryFromEnvOptions = {},
): Discovery {
  const coreUrl = envValue(env, DISCOVERY_ENV.coreUrl);
  const coreDns = envValue(env, DISCOVERY_ENV.coreDns);
  if (coreUrl !== undefined && coreDns !== undefined) {
    throw new ConfigError(`set only one of ${DISCOVERY_ENV.coreUrl} and ${DISCOVERY_ENV.coreDns}, not both`);
  }
  if (coreUrl !== undefined) {
    const urls = coreUrl
      .split(',')
      .map((url) => url.trim())
      .filter((url) => url !== '');
    return new StaticDiscovery(urls, DISCOVERY_ENV.coreUrl);
  }
  if (coreDns !== undefined) {
    const defaultPort =
      envInt(env, DISCOVERY_ENV.corePort, { min: 1, max: 65_535 }) ?? DEFAULT_DNS_DISCOVERY_OPTIONS.port;
    const intervalMs =
      envInt(env, DISCOVERY_ENV.dnsIntervalMs, { min: 10, max: 86_400_000 }) ??
      DEFAULT_DNS_DISCOVERY_OPTIONS.intervalMs;
    return new DnsDiscovery({
      ...parseCoreDns(coreDns, defaultPort),
      intervalMs,
      ...(options.resolve === undefined ? {} : { resolve: options.resolve }),
      ...(options.logger === undefined ? {} : { logger: options.logger }),
    });
  }
  if (discoveryModeFromEnv(env) === DiscoveryMode.Off) {
    throw new ConfigError(
      `no way to find a Core: ${DISCOVERY_ENV.mode}=off and neither ${DISCOVERY_ENV.coreUrl} nor ${DISCOVERY_ENV.coreDns} is set`,
    );
  }
  if (options.secret === undefined || options.secret === '') {
    throw new ConfigError(
      `multicast discovery needs the cluster secret: set FL_CLUSTER_SECRET (or ${DISCOVERY_ENV.coreUrl} / ${DISCOVERY_ENV.coreDns})`,
    );
  }
  const settings = multicastSettingsFromEnv(env);
  return new MulticastDiscovery({
    secret: options.secret,
    group: settings.group,
    port: settings.port,
    maxAgeMs: settings.maxAgeMs,
    ...(options.interfaces === undefined ? {} : { interfaces: options.interfaces }),
    ...(options.logger === undefined ? {} : { logger: options.logger }),
  });
}
