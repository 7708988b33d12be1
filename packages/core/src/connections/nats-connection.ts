import { Events, connect } from 'nats';
import type { NatsConnection } from 'nats';
import type { Logger } from 'pino';

import { Backoff } from './backoff.js';
import type { ConnectionParams } from './connection-params.js';
import type { ConnectionState } from './connection-state.js';
import { CONNECT_ATTEMPT_MS } from './mqtt-connection.js';

/** Codes of a NATS error that no retry changes. */
const REFUSED_FOR_GOOD = new Set([
  'AUTHORIZATION_VIOLATION',
  'AUTHENTICATION_EXPIRED',
  'PERMISSIONS_VIOLATION',
]);

/**
 * A NATS connection (npm `nats`) that keeps itself connected: the first connection is tried again
 * after a backoff until it opens, and once open the client reconnects by itself for as long as it
 * lives (resubscribing what it had). Each step is reported in `state`.
 */
export class NatsConnectionKeeper {
  #connection: NatsConnection | undefined;
  #closing = false;
  #timer: NodeJS.Timeout | undefined;
  readonly #backoff = new Backoff();

  constructor(
    private readonly servers: string[],
    private readonly state: ConnectionState,
    private readonly logger: Logger,
    /** Called once, when the first connection opens. */
    private readonly onConnect: (connection: NatsConnection) => void,
  ) {}

  get connection(): NatsConnection | undefined {
    return this.#connection;
  }

  start(): void {
    void this.#attempt();
  }

  async #attempt(): Promise<void> {
    let connection: NatsConnection;
    try {
      connection = await connect({
        servers: this.servers,
        timeout: CONNECT_ATTEMPT_MS,
        maxReconnectAttempts: -1,
        reconnectTimeWait: 1_000,
        name: 'funless-core',
      });
    } catch (error) {
      if (this.#closing) return;
      const message = `${this.servers.join(',')}: ${(error as Error).message}`;
      if (REFUSED_FOR_GOOD.has(String((error as { code?: unknown }).code))) {
        this.state.failed(message);
        return;
      }
      const delay = this.#backoff.next();
      this.state.retrying(message, delay);
      this.#timer = setTimeout(() => void this.#attempt(), delay);
      return;
    }
    if (this.#closing) {
      await connection.close().catch(() => {});
      return;
    }
    this.#connection = connection;
    this.state.connected();
    this.onConnect(connection);
    void this.#watch(connection);
  }

  async #watch(connection: NatsConnection): Promise<void> {
    for await (const status of connection.status()) {
      const server = typeof status.data === 'string' ? status.data : this.servers.join(',');
      if (status.type === Events.Disconnect) this.state.retrying(`${server}: disconnected`, 1_000);
      else if (status.type === Events.Reconnect) this.state.connected();
      else if (status.type === Events.Error) this.logger.warn({ err: status.data }, 'nats error');
    }
    const error = await connection.closed();
    if (!this.#closing) {
      this.state.failed(
        `${this.servers.join(',')}: the connection closed${error ? `: ${error.message}` : ''}`,
      );
    }
  }

  /** Drains and closes, waiting at most `CONNECT_ATTEMPT_MS`. */
  async close(): Promise<void> {
    this.#closing = true;
    clearTimeout(this.#timer);
    const connection = this.#connection;
    if (!connection || connection.isClosed()) return;
    let timer: NodeJS.Timeout | undefined;
    await Promise.race([
      connection.drain().catch(() => {}),
      new Promise((resolve) => (timer = setTimeout(resolve, CONNECT_ATTEMPT_MS))),
    ]);
    clearTimeout(timer);
    if (!connection.isClosed()) await connection.close().catch(() => {});
  }
}

/** Reads the `servers` of an event source's or sink's NATS params; a bad one fails the params. */
export function natsServersParam(params: ConnectionParams): string[] {
  const servers = natsServers(params.raw('servers'));
  if (!servers) {
    params.fail(
      'servers',
      'must be a NATS server like "nats://127.0.0.1:4222" (several: a comma-separated list or an array)',
    );
  }
  return servers;
}

/** `servers` of a NATS param: `"nats://h:4222"`, `"h:4222,h2:4222"` or an array of them. */
function natsServers(value: unknown): string[] | undefined {
  const list = typeof value === 'string' ? value.split(',') : Array.isArray(value) ? value : undefined;
  if (!list || list.length === 0) return undefined;
  const servers: string[] = [];
  for (const entry of list) {
    if (typeof entry !== 'string' || entry.trim() === '') return undefined;
    const text = entry.trim();
    try {
      const url = new URL(text.includes('://') ? text : `nats://${text}`);
      if (!['nats:', 'tls:'].includes(url.protocol) || url.hostname === '') return undefined;
    } catch {
      return undefined;
    }
    servers.push(text);
  }
  return servers;
}
