import { lookup } from 'node:dns/promises';
import { isIP } from 'node:net';

import { ConfigError, ErrorCode, FlError } from '@funless/protocol';

import { DiscoveryBase } from './discovery-base.js';
import { DiscoveryKind, SILENT_LOGGER } from './discovery.js';
import type { DiscoveryLogger } from './discovery.js';

/** Resolves a name to every address it has (IPv4 and IPv6). */
export type AddressResolver = (hostname: string) => Promise<string[]>;

/** Options of `DnsDiscovery`. */
export interface DnsDiscoveryOptions {
  /** The DNS name of the Cores, e.g. a Kubernetes headless service `funless-core.ns.svc`. */
  hostname: string;
  /** The Cores' HTTP port. @default 4000 */
  port?: number;
  /** Link scheme. @default 'ws' */
  scheme?: 'ws' | 'wss';
  /** Time between the end of one resolution and the start of the next, in ms. @default 10_000 */
  intervalMs?: number;
  /** A resolution that has not answered after this long, in ms, is abandoned (the set is kept). @default 5_000 */
  resolveTimeoutMs?: number;
  /** The resolver. @default every address `dns.lookup` returns (so /etc/hosts counts too) */
  resolve?: AddressResolver;
  logger?: DiscoveryLogger;
}

/** Defaults of `DnsDiscoveryOptions`. */
export const DEFAULT_DNS_DISCOVERY_OPTIONS = {
  port: 4000,
  scheme: 'ws',
  intervalMs: 10_000,
  resolveTimeoutMs: 5_000,
} as const;

/** Errors that mean "this name has no addresses (now)", as opposed to "DNS did not answer". */
const NO_ADDRESS_CODES = new Set(['ENOTFOUND', 'ENODATA', 'NXDOMAIN']);

const systemResolver: AddressResolver = async (hostname) =>
  (await lookup(hostname, { all: true, verbatim: true })).map((entry) => entry.address);

function integerOption(name: string, value: number, min: number, max: number): number {
  if (!Number.isInteger(value) || value < min || value > max) {
    throw new ConfigError(`${name} must be an integer from ${min} to ${max}, got ${JSON.stringify(value)}`);
  }
  return value;
}

/**
 * Cores behind one DNS name (`FL_CORE_DNS`): every address the name resolves to is a Core, at
 * `ws://address:port`. Re-resolves every `intervalMs`: new addresses are `found`, vanished ones
 * `lost`. A name that no longer exists loses every Core; a DNS failure (timeout, server error)
 * keeps the current set, because a flaky resolver must not disconnect a healthy cluster.
 */
export class DnsDiscovery extends DiscoveryBase {
  readonly kind = DiscoveryKind.Dns;
  readonly hostname: string;
  readonly port: number;
  readonly scheme: 'ws' | 'wss';
  readonly intervalMs: number;
  readonly #resolveTimeoutMs: number;
  readonly #resolve: AddressResolver;
  readonly #logger: DiscoveryLogger;
  #timer: NodeJS.Timeout | undefined;
  #started = false;

  constructor(options: DnsDiscoveryOptions) {
    super();
    const d = DEFAULT_DNS_DISCOVERY_OPTIONS;
    if (typeof options.hostname !== 'string' || options.hostname.trim() === '') {
      throw new ConfigError(`hostname must be a DNS name, got ${JSON.stringify(options.hostname)}`);
    }
    this.hostname = options.hostname.trim();
    this.port = integerOption('port', options.port ?? d.port, 1, 65_535);
    this.scheme = options.scheme ?? d.scheme;
    if (this.scheme !== 'ws' && this.scheme !== 'wss') {
      throw new ConfigError(`scheme must be "ws" or "wss", got ${JSON.stringify(options.scheme)}`);
    }
    this.intervalMs = integerOption('intervalMs', options.intervalMs ?? d.intervalMs, 10, 86_400_000);
    this.#resolveTimeoutMs = integerOption(
      'resolveTimeoutMs',
      options.resolveTimeoutMs ?? d.resolveTimeoutMs,
      10,
      600_000,
    );
    this.#resolve = options.resolve ?? systemResolver;
    this.#logger = options.logger ?? SILENT_LOGGER;
  }

  /** The link URL of one address. */
  urlOf(address: string): string {
    const host = isIP(address) === 6 ? `[${address}]` : address;
    return `${this.scheme}://${host}:${this.port}`;
  }

  async start(): Promise<void> {
    if (this.#started) throw new FlError(ErrorCode.Internal, 'DnsDiscovery.start() called twice');
    this.#started = true;
    await this.refresh();
    this.#schedule();
  }

  #schedule(): void {
    if (this.closed) return;
    this.#timer = setTimeout(() => {
      void this.refresh().finally(() => this.#schedule());
    }, this.intervalMs);
    // The link keeps the process alive; a discovery timer alone must not.
    this.#timer.unref();
  }

  /** Resolves the name once and reports the differences. Never rejects. */
  async refresh(): Promise<void> {
    let addresses: string[];
    try {
      addresses = await this.#resolveBounded();
    } catch (error) {
      const code = (error as NodeJS.ErrnoException).code ?? '';
      if (!NO_ADDRESS_CODES.has(code)) {
        this.#logger.warn(
          { hostname: this.hostname, err: (error as Error).message },
          'DNS discovery: resolution failed; keeping the known Cores',
        );
        return;
      }
      addresses = [];
    }
    if (this.closed) return;
    const current = new Set(addresses.filter((address) => isIP(address) !== 0).map((a) => this.urlOf(a)));
    for (const url of this.urls()) {
      if (!current.has(url)) {
        this.#logger.info({ hostname: this.hostname, url }, 'DNS discovery: Core no longer listed');
        this.remove(url);
      }
    }
    for (const url of current) {
      if (!this.has(url)) {
        this.#logger.info({ hostname: this.hostname, url }, 'DNS discovery: Core found');
        this.add(url);
      }
    }
  }

  #resolveBounded(): Promise<string[]> {
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        reject(new Error(`no answer for ${this.hostname} within ${this.#resolveTimeoutMs} ms`));
      }, this.#resolveTimeoutMs);
      this.#resolve(this.hostname).then(
        (addresses) => {
          clearTimeout(timer);
          resolve(addresses);
        },
        (error: unknown) => {
          clearTimeout(timer);
          reject(error instanceof Error ? error : new Error(String(error)));
        },
      );
    });
  }

  close(): Promise<void> {
    this.closed = true;
    clearTimeout(this.#timer);
    this.#timer = undefined;
    return Promise.resolve();
  }
}
