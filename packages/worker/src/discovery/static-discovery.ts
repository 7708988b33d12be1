import { ConfigError, isLinkUrl } from '@funless/protocol';

import { DiscoveryBase } from './discovery-base.js';
import { DiscoveryKind } from './discovery.js';

/**
 * Turns a Core address as a user types it into a link URL: `http(s)://` becomes `ws(s)://` (the
 * link runs on the Core's HTTP port), a trailing `/` is dropped. Throws `ConfigError`
 * naming `source` when it is not a URL.
 */
export function normalizeCoreUrl(value: string, source = 'the Core URL'): string {
  const trimmed = value.trim();
  if (!isLinkUrl(trimmed)) {
    throw new ConfigError(
      `${source} must be a ws://, wss://, http:// or https:// URL with a host, got ${JSON.stringify(value)}`,
    );
  }
  const url = new URL(trimmed);
  if (url.protocol === 'http:') url.protocol = 'ws:';
  if (url.protocol === 'https:') url.protocol = 'wss:';
  return url.toString().replace(/\/$/, '');
}

/** Fixed Cores (`FL_CORE_URL`): all found at start, never lost. */
export class StaticDiscovery extends DiscoveryBase {
  readonly kind = DiscoveryKind.Static;
  readonly #urls: readonly string[];

  /** @param urls one or more Core URLs; validated and normalised here. */
  constructor(urls: readonly string[], source = 'the Core URL') {
    super();
    if (urls.length === 0) throw new ConfigError(`${source} names no Core`);
    this.#urls = [...new Set(urls.map((url) => normalizeCoreUrl(url, source)))];
  }

  start(): Promise<void> {
    for (const url of this.#urls) this.add(url);
    return Promise.resolve();
  }

  close(): Promise<void> {
    this.closed = true;
    return Promise.resolve();
  }
}
