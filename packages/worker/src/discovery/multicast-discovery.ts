import { createSocket } from 'node:dgram';
import type { RemoteInfo, Socket } from 'node:dgram';
import { networkInterfaces } from 'node:os';

import {
  AnnouncementRejection,
  DEFAULT_MULTICAST_SETTINGS,
  ConfigError,
  ErrorCode,
  FlError,
  announcementUrl,
  validateMulticastSettings,
  verifyAnnouncement,
} from '@funless/protocol';
import type { MulticastSettings } from '@funless/protocol';

import { DiscoveryBase } from './discovery-base.js';
import { DiscoveryKind, SILENT_LOGGER } from './discovery.js';
import type { DiscoveryLogger } from './discovery.js';
import { ReplayGuard } from './replay-guard.js';

/** Options of `MulticastDiscovery`. */
export interface MulticastDiscoveryOptions extends Partial<
  Pick<MulticastSettings, 'group' | 'port' | 'maxAgeMs'>
> {
  /** The cluster secret: only announcements signed with it are followed. */
  secret: string;
  /**
   * IPv4 addresses of the interfaces to listen on. @default every IPv4 interface, loopback
   * included, re-checked every `rescanMs` so that interfaces that come up later are joined too
   */
  interfaces?: readonly string[];
  /** A Core is lost after this many of its announcement intervals without one. @default 3 */
  lostAfterIntervals?: number;
  /** How often the interface list is re-read when `interfaces` is not given, in ms. @default 10_000 */
  rescanMs?: number;
  logger?: DiscoveryLogger;
  /** The clock, ms since the Unix epoch (tests inject one). @default Date.now */
  now?: () => number;
}

interface KnownCore {
  coreId: string;
  url: string;
  timer?: NodeJS.Timeout;
}

/** Every IPv4 address of this host's interfaces, loopback included. */
export function localIPv4Addresses(): string[] {
  const addresses: string[] = [];
  for (const entries of Object.values(networkInterfaces())) {
    for (const entry of entries ?? []) if (entry.family === 'IPv4') addresses.push(entry.address);
  }
  return addresses;
}

/**
 * LAN discovery: listens on the multicast group for Core announcements, follows those correctly
 * signed with the cluster secret, fresh (within `maxAgeMs`), sent from the address they name (or
 * naming a URL) and not replayed, and ignores the rest
 * (logged at debug). A Core heard from several addresses (several interfaces) is reported once,
 * under the first URL heard; a Core that restarts on the same URL is not reported again.
 */
export class MulticastDiscovery extends DiscoveryBase {
  readonly kind = DiscoveryKind.Multicast;
  readonly group: string;
  readonly port: number;
  readonly maxAgeMs: number;
  readonly #secret: string;
  readonly #explicitInterfaces: readonly string[] | undefined;
  readonly #lostAfterIntervals: number;
  readonly #rescanMs: number;
  readonly #logger: DiscoveryLogger;
  readonly #now: () => number;
  readonly #replays: ReplayGuard;
  readonly #byId = new Map<string, KnownCore>();
  readonly #byUrl = new Map<string, KnownCore>();
  readonly #joined = new Set<string>();
  #socket: Socket | undefined;
  #rescanTimer: NodeJS.Timeout | undefined;

  constructor(options: MulticastDiscoveryOptions) {
    super();
    if (typeof options.secret !== 'string' || options.secret === '') {
      throw new ConfigError('multicast discovery needs the cluster secret (FL_CLUSTER_SECRET)');
    }
    const d = DEFAULT_MULTICAST_SETTINGS;
    const settings = validateMulticastSettings({
      ...d,
      group: options.group ?? d.group,
      port: options.port ?? d.port,
      maxAgeMs: options.maxAgeMs ?? d.maxAgeMs,
    });
    this.group = settings.group;
    this.port = settings.port;
    this.maxAgeMs = settings.maxAgeMs;
    this.#secret = options.secret;
    this.#explicitInterfaces = options.interfaces;
    this.#lostAfterIntervals = options.lostAfterIntervals ?? 3;
    if (!Number.isInteger(this.#lostAfterIntervals) || this.#lostAfterIntervals < 1) {
      throw new ConfigError(
        `lostAfterIntervals must be a positive integer, got ${JSON.stringify(options.lostAfterIntervals)}`,
      );
    }
    this.#rescanMs = options.rescanMs ?? 10_000;
    this.#logger = options.logger ?? SILENT_LOGGER;
    this.#now = options.now ?? Date.now;
    // Nonces are kept twice the window: a replay older than that is already rejected as stale.
    this.#replays = new ReplayGuard(2 * this.maxAgeMs);
  }

  async start(): Promise<void> {
    if (this.#socket !== undefined)
      throw new FlError(ErrorCode.Internal, 'MulticastDiscovery.start() called twice');
    const socket = createSocket({ type: 'udp4', reuseAddr: true });
    this.#socket = socket;
    socket.on('message', (packet, source) => this.#onPacket(packet, source));
    socket.on('error', (error) =>
      this.#logger.warn({ err: error.message }, 'multicast discovery: socket error'),
    );
    try {
      await new Promise<void>((resolve, reject) => {
        socket.once('error', reject);
        // Several Workers on one host share the port (reuseAddr); each gets every announcement.
        socket.bind(this.port, () => {
          socket.off('error', reject);
          resolve();
        });
      });
    } catch (error) {
      this.#socket = undefined;
      socket.close();
      throw new FlError(
        ErrorCode.Internal,
        `multicast discovery cannot listen on UDP port ${this.port}: ${(error as Error).message}`,
        { cause: error },
      );
    }
    this.#joinInterfaces();
    if (this.#joined.size === 0) {
      // No interface accepted the membership: let the kernel pick one rather than hear nothing.
      try {
        socket.addMembership(this.group);
        this.#joined.add('default');
      } catch (error) {
        await this.close();
        throw new FlError(
          ErrorCode.Internal,
          `multicast discovery cannot join ${this.group} on any interface: ${(error as Error).message}`,
          { cause: error },
        );
      }
    }
    this.#logger.info(
      { group: this.group, port: this.port, interfaces: [...this.#joined] },
      'multicast discovery: listening for Cores',
    );
    if (this.#explicitInterfaces === undefined) {
      this.#rescanTimer = setInterval(() => this.#joinInterfaces(), this.#rescanMs);
      this.#rescanTimer.unref();
    }
  }

  #joinInterfaces(): void {
    const socket = this.#socket;
    if (socket === undefined || this.closed) return;
    for (const address of this.#explicitInterfaces ?? localIPv4Addresses()) {
      if (this.#joined.has(address)) continue;
      try {
        socket.addMembership(this.group, address);
        this.#joined.add(address);
      } catch (error) {
        this.#logger.debug(
          { group: this.group, interface: address, err: (error as Error).message },
          'multicast discovery: cannot join the group on this interface',
        );
      }
    }
  }

  #onPacket(packet: Buffer, source: RemoteInfo): void {
    if (this.closed) return;
    const now = this.#now();
    const check = verifyAnnouncement(packet, this.#secret, {
      nowMs: now,
      maxAgeMs: this.maxAgeMs,
      sourceAddress: source.address,
    });
    if (!check.ok) {
      this.#logger.debug(
        { from: `${source.address}:${source.port}`, reason: check.reason, detail: check.detail },
        'multicast discovery: announcement ignored',
      );
      return;
    }
    const { announcement } = check;
    // Last, once every other check passed: a refused copy never marks the nonce as seen.
    if (!this.#replays.firstSeen(announcement.nonce, now)) {
      this.#logger.debug(
        { from: `${source.address}:${source.port}`, reason: AnnouncementRejection.Replayed },
        'multicast discovery: announcement ignored',
      );
      return;
    }
    const lostAfterMs = this.#lostAfterIntervals * announcement.intervalMs;
    const known = this.#byId.get(announcement.coreId);
    if (known !== undefined) {
      this.#arm(known, lostAfterMs);
      return;
    }
    const url = announcementUrl(announcement);
    const previous = this.#byUrl.get(url);
    if (previous !== undefined) {
      // The same URL under a new id: that Core restarted. The link reconnects by itself.
      this.#byId.delete(previous.coreId);
      previous.coreId = announcement.coreId;
      this.#byId.set(previous.coreId, previous);
      this.#arm(previous, lostAfterMs);
      return;
    }
    const core: KnownCore = { coreId: announcement.coreId, url };
    this.#byId.set(core.coreId, core);
    this.#byUrl.set(url, core);
    this.#arm(core, lostAfterMs);
    this.#logger.info({ url, from: source.address }, 'multicast discovery: Core found');
    this.add(url);
  }

  #arm(core: KnownCore, lostAfterMs: number): void {
    clearTimeout(core.timer);
    core.timer = setTimeout(() => {
      this.#byId.delete(core.coreId);
      this.#byUrl.delete(core.url);
      this.#logger.info({ url: core.url, silentMs: lostAfterMs }, 'multicast discovery: Core lost');
      this.remove(core.url);
    }, lostAfterMs);
    core.timer.unref();
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    clearInterval(this.#rescanTimer);
    for (const core of this.#byId.values()) clearTimeout(core.timer);
    this.#byId.clear();
    this.#byUrl.clear();
    const socket = this.#socket;
    this.#socket = undefined;
    if (socket !== undefined) await new Promise<void>((resolve) => socket.close(() => resolve()));
  }
}
