import type { AddressInfo } from 'node:net';

import type { FastifyInstance } from 'fastify';
import { makePrivateDirSync } from '@funless/protocol';
import { pino } from 'pino';
import type { Logger } from 'pino';

import { bootstrap } from '../auth/index.js';
import type { Cluster, ClusterFactory } from '../cluster/index.js';
import { ConfigError, resolveCoreOptions } from '../config/index.js';
import type { CoreOptions, ResolvedCoreOptions } from '../config/index.js';
import { buildApp } from '../http/index.js';
import { openStore } from '../store/index.js';
import type { Store } from '../store/index.js';

export interface StartCoreOptions extends CoreOptions {
  /** The cluster or a factory for it (given the store and the HTTP server). @default no Workers */
  cluster?: Cluster | ClusterFactory;
  /** @default a pino logger at `logLevel` on stdout */
  logger?: Logger;
}

/** A running Core. */
export interface RunningCore {
  /** Base URL, e.g. `http://127.0.0.1:4000` (`https://` with a certificate; the real port when `port` was 0). */
  url: string;
  app: FastifyInstance;
  store: Store;
  options: ResolvedCoreOptions;
  /** Path of the first-start tokens file. */
  tokensFile: string;
  /**
   * Stops accepting connections, lets in-flight requests finish (at most `shutdownTimeoutMs`),
   * closes the cluster, then the database. Safe to call twice.
   */
  close(): Promise<void>;
}

/**
 * Starts the Core: opens the store (migrating it), creates the default module and first-start
 * tokens, builds the app and listens on `host:port`.
 */
export async function startCore(startOptions: StartCoreOptions = {}): Promise<RunningCore> {
  const { cluster, logger: givenLogger, ...coreOptions } = startOptions;
  const options = resolveCoreOptions(coreOptions);
  const logger = givenLogger ?? pino({ level: options.logLevel });
  // The data directory holds the tokens file with any database: owner only (docs/configuration.md).
  makePrivateDirSync(options.dataDir);
  const store = await openStore({ dataDir: options.dataDir, databaseUrl: options.databaseUrl, logger });
  let app: FastifyInstance | undefined;
  try {
    const { tokensFile } = await bootstrap(
      store,
      { dataDir: options.dataDir, adminToken: options.adminToken },
      logger,
    );
    app = buildApp({ store, logger, options, ...(cluster ? { cluster } : {}) });
    try {
      await app.listen({ port: options.port, host: options.host });
    } catch (error) {
      const code = (error as NodeJS.ErrnoException).code;
      if (code === 'EADDRINUSE') {
        throw new ConfigError(
          `port ${options.port} on ${options.host} is already in use (another FunLess, or another program): ` +
            'stop it, or choose another port with FL_PORT',
        );
      }
      if (code === 'EADDRNOTAVAIL' || code === 'EACCES') {
        throw new ConfigError(
          `cannot listen on ${options.host}:${options.port} (${code}): check FL_HOST and FL_PORT`,
        );
      }
      throw error;
    }
    const address = app.server.address() as AddressInfo;
    const host = address.family === 'IPv6' ? `[${address.address}]` : address.address;
    const url = `${options.tls === undefined ? 'http' : 'https'}://${host}:${address.port}`;
    logger.info({ url, database: store.dialect }, `FunLess Core listening on ${url}`);
    const running = app;
    let closing: Promise<void> | undefined;
    return {
      url,
      app: running,
      store,
      options,
      tokensFile,
      close: () => (closing ??= closeCore(running, store, options.shutdownTimeoutMs, logger)),
    };
  } catch (error) {
    await app?.close().catch(() => {});
    await store.close();
    throw error;
  }
}

async function closeCore(
  app: FastifyInstance,
  store: Store,
  timeoutMs: number,
  logger: Logger,
): Promise<void> {
  // Keep-alive connections that finish their last request while we wait would hold the server
  // open until they time out: close each as soon as it goes idle.
  const sweeper = setInterval(() => app.server.closeIdleConnections(), 50);
  // Requests still running after the grace period are cut so that shutdown always ends.
  const timer = setTimeout(() => {
    logger.warn(`requests still running after ${timeoutMs} ms: closing their connections`);
    app.server.closeAllConnections();
  }, timeoutMs);
  try {
    await app.close();
  } finally {
    clearInterval(sweeper);
    clearTimeout(timer);
    await store.close();
  }
}
