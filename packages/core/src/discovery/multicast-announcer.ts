import { randomBytes } from 'node:crypto';
import { createSocket } from 'node:dgram';
import type { Socket } from 'node:dgram';
import { isIPv4 } from 'node:net';
import { networkInterfaces } from 'node:os';

import {
  DEFAULT_MULTICAST_SETTINGS,
  ConfigError,
  ErrorCode,
  FlError,
  encodeAnnouncement,
  isLinkUrl,
  validateMulticastSettings,
} from '@funless/protocol';
import type { Announcement, MulticastSettings } from '@funless/protocol';

/** The logger the announcer writes to; a pino logger fits. */
export interface AnnouncerLogger {
  debug(fields: object, message: string): void;
  info(fields: object, message: string): void;
  warn(fields: object, message: string): void;
}

/** Options of `MulticastAnnouncer`. */
export interface MulticastAnnouncerOptions extends Partial<
  Pick<MulticastSettings, 'group' | 'port' | 'intervalMs' | 'ttl'>
> {
  /** The cluster secret announcements are signed with. */
  secret: string;
  /** The port the Core's HTTP server (and so the Worker link) actually listens on. */
  corePort: number;
  /** Scheme Workers use with the derived URL. @default 'ws' */
  scheme?: 'ws' | 'wss';
  /**
   * The URL Workers should use (`FL_ADVERTISE_URL`), e.g. behind NAT or a proxy. @default none:
   * Workers use the address of the interface the announcement is sent from and `corePort`
   */
  advertiseUrl?: string;
  /**
   * The address the Core's HTTP server is bound to (`FL_HOST`): a specific IPv4 address announces
   * on that interface only (127.0.0.1: this machine only); `0.0.0.0`, `::` or a name announces on
   * every IPv4 interface. @default '0.0.0.0'
   */
  host?: string;
  /** IPv4 addresses of the interfaces to announce on; overrides `host`. */
  interfaces?: readonly string[];
  /**
   * Identifies this Core in its announcements (1-64 characters), e.g. the cluster's own id.
   * @default 16 random hex digits
   */
  coreId?: string;
  logger?: AnnouncerLogger;
  /** The clock, ms since the Unix epoch. @default Date.now */
  now?: () => number;
}

const SILENT: AnnouncerLogger = { debug: () => {}, info: () => {}, warn: () => {} };

/** Every IPv4 address of this host's interfaces, loopback included. */
function localIPv4Addresses(): string[] {
  const addresses: string[] = [];
  for (const entries of Object.values(networkInterfaces())) {
    for (const entry of entries ?? []) if (entry.family === 'IPv4') addresses.push(entry.address);
  }
  return addresses;
}

/** The interfaces a Core bound to `host` is reachable on. */
function interfacesForHost(host: string | undefined): () => string[] {
  if (host === undefined || host === '' || host === '0.0.0.0' || host === '::') return localIPv4Addresses;
  if (host === 'localhost' || host === '::1' || host.startsWith('127.')) return () => ['127.0.0.1'];
  if (isIPv4(host)) return () => [host];
  return localIPv4Addresses;
}

function linkUrl(value: string): string {
  if (!isLinkUrl(value)) {
    throw new ConfigError(
      `advertiseUrl (FL_ADVERTISE_URL) must be a ws://, wss://, http:// or https:// URL, got ${JSON.stringify(value)}`,
    );
  }
  const url = new URL(value);
  if (url.protocol === 'http:') url.protocol = 'ws:';
  if (url.protocol === 'https:') url.protocol = 'wss:';
  return url.toString().replace(/\/$/, '');
}

/**
 * Announces this Core on the LAN: every `intervalMs` it multicasts an announcement signed with the
 * cluster secret (see `@funless/protocol`'s `encodeAnnouncement`) from each interface the Core is
 * reachable on, with a fresh timestamp and nonce. Workers without FL_CORE_URL / FL_CORE_DNS join
 * the Cores they hear. The interface list is re-read on every round, so interfaces that come up
 * later are used too. Multicast loopback is on, so Workers on the same machine hear it as well.
 */
export class MulticastAnnouncer {
  readonly group: string;
  readonly port: number;
  readonly intervalMs: number;
  readonly ttl: number;
  /** Random id of this announcer, so Workers hearing it on several interfaces join once. */
  readonly coreId: string;
  readonly #secret: string;
  readonly #corePort: number;
  readonly #scheme: 'ws' | 'wss';
  readonly #advertiseUrl: string | undefined;
  readonly #interfaces: () => readonly string[];
  readonly #logger: AnnouncerLogger;
  readonly #now: () => number;
  readonly #sockets = new Map<string, Socket>();
  readonly #failing = new Set<string>();
  #timer: NodeJS.Timeout | undefined;
  #round: Promise<void> | undefined;
  #started = false;
  #closed = false;
  #sent = 0;

  constructor(options: MulticastAnnouncerOptions) {
    if (typeof options.secret !== 'string' || options.secret === '') {
      throw new ConfigError('the multicast announcer needs the cluster secret');
    }
    const d = DEFAULT_MULTICAST_SETTINGS;
    const settings = validateMulticastSettings({
      ...d,
      group: options.group ?? d.group,
      port: options.port ?? d.port,
      intervalMs: options.intervalMs ?? d.intervalMs,
      ttl: options.ttl ?? d.ttl,
    });
    this.group = settings.group;
    this.port = settings.port;
    this.intervalMs = settings.intervalMs;
    this.ttl = settings.ttl;
    if (!Number.isInteger(options.corePort) || options.corePort < 1 || options.corePort > 65_535) {
      throw new ConfigError(
        `corePort must be the Core's listening port (1-65535), got ${JSON.stringify(options.corePort)}`,
      );
    }
    this.#corePort = options.corePort;
    this.#scheme = options.scheme ?? 'ws';
    this.#advertiseUrl = options.advertiseUrl === undefined ? undefined : linkUrl(options.advertiseUrl);
    const explicit = options.interfaces;
    if (explicit !== undefined) {
      for (const address of explicit) {
        if (!isIPv4(address)) {
          throw new ConfigError(`interfaces must be IPv4 addresses, got ${JSON.stringify(address)}`);
        }
      }
    }
    this.#interfaces = explicit === undefined ? interfacesForHost(options.host) : () => explicit;
    this.coreId = options.coreId ?? randomBytes(8).toString('hex');
    if (typeof this.coreId !== 'string' || this.coreId.length < 1 || this.coreId.length > 64) {
      throw new ConfigError(`coreId must be 1-64 characters, got ${JSON.stringify(options.coreId)}`);
    }
    this.#secret = options.secret;
    this.#logger = options.logger ?? SILENT;
    this.#now = options.now ?? Date.now;
  }

  /** Announcements sent so far (one per interface per round). */
  get sent(): number {
    return this.#sent;
  }

  /** The interfaces announced on in the last round. */
  interfaces(): string[] {
    return [...this.#sockets.keys()];
  }

  /** Sends the first round, then one every `intervalMs` until `close()`. */
  async start(): Promise<void> {
    if (this.#started) throw new FlError(ErrorCode.Internal, 'MulticastAnnouncer.start() called twice');
    this.#started = true;
    await this.#runRound();
    this.#logger.info(
      {
        group: this.group,
        port: this.port,
        intervalMs: this.intervalMs,
        interfaces: this.interfaces(),
        url: this.#advertiseUrl ?? `${this.#scheme}://<interface address>:${this.#corePort}`,
      },
      'multicast discovery: announcing this Core',
    );
    this.#schedule();
  }

  #schedule(): void {
    if (this.#closed) return;
    this.#timer = setTimeout(() => {
      void this.#runRound().finally(() => this.#schedule());
    }, this.intervalMs);
    this.#timer.unref();
  }

  #runRound(): Promise<void> {
    this.#round = this.#announce().catch((error: unknown) => {
      this.#logger.warn({ err: (error as Error).message }, 'multicast discovery: announcement round failed');
    });
    return this.#round;
  }

  async #announce(): Promise<void> {
    const wanted = new Set(this.#interfaces());
    for (const [address, socket] of this.#sockets) {
      if (!wanted.has(address)) {
        this.#sockets.delete(address);
        socket.close();
      }
    }
    for (const address of wanted) {
      if (this.#closed) return;
      let socket = this.#sockets.get(address);
      if (socket === undefined) {
        socket = await this.#open(address);
        if (socket === undefined) continue;
      }
      await this.#send(address, socket);
    }
  }

  async #open(address: string): Promise<Socket | undefined> {
    const socket = createSocket('udp4');
    socket.on('error', (error) =>
      this.#logger.debug({ interface: address, err: error.message }, 'announcer socket'),
    );
    try {
      await new Promise<void>((resolve, reject) => {
        socket.once('error', reject);
        socket.bind(0, address, () => {
          socket.off('error', reject);
          resolve();
        });
      });
      socket.setMulticastInterface(address);
      socket.setMulticastTTL(this.ttl);
      socket.setMulticastLoopback(true);
    } catch (error) {
      socket.close();
      this.#reportFailure(address, error);
      return undefined;
    }
    if (this.#closed) {
      socket.close();
      return undefined;
    }
    this.#sockets.set(address, socket);
    return socket;
  }

  async #send(address: string, socket: Socket): Promise<void> {
    const announcement: Announcement = {
      coreId: this.coreId,
      // The socket is bound to this address: it is the packet's source, which Workers check.
      address,
      scheme: this.#scheme,
      port: this.#corePort,
      timestampMs: this.#now(),
      nonce: randomBytes(16).toString('hex'),
      intervalMs: this.intervalMs,
      ...(this.#advertiseUrl === undefined ? {} : { url: this.#advertiseUrl }),
    };
    const packet = encodeAnnouncement(announcement, this.#secret);
    try {
      await new Promise<void>((resolve, reject) =>
        socket.send(packet, this.port, this.group, (error) => (error ? reject(error) : resolve())),
      );
      this.#sent++;
      if (this.#failing.delete(address)) {
        this.#logger.info({ interface: address }, 'multicast discovery: announcing again on this interface');
      }
    } catch (error) {
      this.#reportFailure(address, error);
    }
  }

  /** Warns once per interface, then stays at debug until it works again: no log flood every 2 s. */
  #reportFailure(address: string, error: unknown): void {
    const fields = { interface: address, group: this.group, err: (error as Error).message };
    if (this.#failing.has(address)) {
      this.#logger.debug(fields, 'multicast discovery: cannot announce on this interface');
    } else {
      this.#failing.add(address);
      this.#logger.warn(fields, 'multicast discovery: cannot announce on this interface');
    }
  }

  /** Stops announcing and closes every socket. Idempotent. */
  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    clearTimeout(this.#timer);
    await this.#round;
    const sockets = [...this.#sockets.values()];
    this.#sockets.clear();
    await Promise.all(sockets.map((socket) => new Promise<void>((resolve) => socket.close(() => resolve()))));
  }
}
