/**
 * How a Worker finds its Cores. The Worker's link follows a `Discovery`: it opens a connection to
 * every URL `found` reports and closes it on `lost`. Implementations: `StaticDiscovery`
 * (`FL_CORE_URL`), `DnsDiscovery` (`FL_CORE_DNS`), `MulticastDiscovery` (LAN announcements).
 */

/** The events of a `Discovery`: each carries a Core's link URL (`ws://host:port`). */
export interface DiscoveryEvents {
  /** A Core appeared: connect to it. Emitted once per URL until it is lost. */
  found: [url: string];
  /** A Core is gone (no announcement for a few intervals, or DNS stopped returning it). */
  lost: [url: string];
}

/** Which implementation a `Discovery` is. */
export const DiscoveryKind = { Static: 'static', Dns: 'dns', Multicast: 'multicast' } as const;
export type DiscoveryKind = (typeof DiscoveryKind)[keyof typeof DiscoveryKind];

/** The logger discovery writes to; a pino logger fits. */
export interface DiscoveryLogger {
  debug(fields: object, message: string): void;
  info(fields: object, message: string): void;
  warn(fields: object, message: string): void;
}

/** Finds Cores and reports them as they come and go. */
export interface Discovery {
  readonly kind: DiscoveryKind;
  /**
   * Starts looking. Resolves once the first round is done (static URLs reported, first DNS answer
   * handled, multicast socket listening); rejects with a `FlError` when it cannot start at all.
   * Attach listeners before calling it.
   */
  start(): Promise<void>;
  /** The Core URLs currently known. */
  urls(): string[];
  on<K extends keyof DiscoveryEvents>(event: K, listener: (...args: DiscoveryEvents[K]) => void): this;
  off<K extends keyof DiscoveryEvents>(event: K, listener: (...args: DiscoveryEvents[K]) => void): this;
  /** Stops every timer and socket. Emits no `lost`: the owner is shutting down. Idempotent. */
  close(): Promise<void>;
}

/** The logger used when none is given. */
export const SILENT_LOGGER: DiscoveryLogger = {
  debug: () => {},
  info: () => {},
  warn: () => {},
};
