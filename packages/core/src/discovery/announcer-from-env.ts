import {
  DISCOVERY_ENV,
  DiscoveryMode,
  discoveryModeFromEnv,
  envValue,
  multicastSettingsFromEnv,
} from '@funless/protocol';

import { MulticastAnnouncer } from './multicast-announcer.js';
import type { AnnouncerLogger } from './multicast-announcer.js';

/** What `announcerFromEnv` needs beside the environment. */
export interface AnnouncerFromEnvOptions {
  /** The cluster secret. */
  secret: string;
  /** The port the Core's HTTP server listens on (after `listen`, so port 0 is resolved). */
  corePort: number;
  /** The address it is bound to (`FL_HOST`): decides which interfaces announce. */
  host?: string;
  /** `wss` when the Core serves HTTPS. @default 'ws' */
  scheme?: 'ws' | 'wss';
  /** Identifies this Core in its announcements. @default random */
  coreId?: string;
  logger?: AnnouncerLogger;
}

/**
 * The Core's announcer as the environment asks for it: `undefined` when `FL_DISCOVERY=off`, else a
 * `MulticastAnnouncer` (not started) on `FL_DISCOVERY_GROUP`:`FL_DISCOVERY_PORT` every
 * `FL_DISCOVERY_INTERVAL_MS`, with TTL `FL_DISCOVERY_TTL` and `FL_ADVERTISE_URL` if set. On by
 * default, so Workers on the LAN find the Core with no configuration. Throws `ConfigError`
 * naming the variable when a value is bad.
 */
export function announcerFromEnv(
  env: NodeJS.ProcessEnv,
  options: AnnouncerFromEnvOptions,
): MulticastAnnouncer | undefined {
  if (discoveryModeFromEnv(env) === DiscoveryMode.Off) return undefined;
  const settings = multicastSettingsFromEnv(env);
  const advertiseUrl = envValue(env, DISCOVERY_ENV.advertiseUrl);
  return new MulticastAnnouncer({
    secret: options.secret,
    corePort: options.corePort,
    group: settings.group,
    port: settings.port,
    intervalMs: settings.intervalMs,
    ttl: settings.ttl,
    ...(advertiseUrl === undefined ? {} : { advertiseUrl }),
    ...(options.host === undefined ? {} : { host: options.host }),
    ...(options.scheme === undefined ? {} : { scheme: options.scheme }),
    ...(options.coreId === undefined ? {} : { coreId: options.coreId }),
    ...(options.logger === undefined ? {} : { logger: options.logger }),
  });
}
