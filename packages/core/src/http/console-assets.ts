import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';

import fastifyStatic from '@fastify/static';
import type { FastifyInstance } from 'fastify';

/** Where the Core serves the web console (docs/console.md). Not part of the API: no token, no document. */
export const CONSOLE_PATH = '/ui';

/**
 * The console's built assets (`npm run build` writes them into `@funless/console`'s `dist/ui`);
 * undefined when the package is not installed.
 */
export function defaultConsoleDir(): string | undefined {
  try {
    const manifest = createRequire(import.meta.url).resolve('@funless/console/package.json');
    return join(dirname(manifest), 'dist', 'ui');
  } catch {
    return undefined;
  }
}

/**
 * What every answer under /ui carries: the console fetches nothing but its own files and the API
 * of this origin (no fonts, no CDN: the platform runs on private networks), cannot be framed, and
 * sends no referrer (a sign-in link's fragment never leaves the page anyway).
 */
const CONSOLE_HEADERS = {
  'content-security-policy':
    "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; " +
    "base-uri 'none'; form-action 'none'; frame-ancestors 'none'",
  'referrer-policy': 'no-referrer',
  'x-content-type-options': 'nosniff',
  'x-frame-options': 'DENY',
};

const NOT_BUILT = (dir: string): string =>
  '<!doctype html><meta charset="utf-8"><title>FunLess console not built</title>' +
  '<h1>The FunLess console is not built</h1>' +
  `<p>Its files are missing from <code>${dir.replace(/[<>&]/g, '')}</code>. Build them once in the repository ` +
  'with <code>npm run build</code> (or <code>npm start</code>, which builds first); the Core serves them ' +
  'here at its next start.</p>';

/**
 * Serves the console at `/ui/` from `dir` (hashed assets cached for a year, the page itself never),
 * or, when its files are missing, a page at every /ui address saying how to build them.
 */
export function registerConsole(app: FastifyInstance, dir: string | undefined): void {
  void app.register(async (scope) => {
    scope.addHook('onSend', async (_request, reply) => {
      void reply.headers(CONSOLE_HEADERS);
    });
    const missing = dir === undefined || !existsSync(join(dir, 'index.html'));
    if (missing) {
      const where = dir ?? 'the @funless/console package (not installed)';
      const answer = (): string => NOT_BUILT(where);
      scope.get(CONSOLE_PATH, (_request, reply) =>
        reply.status(503).type('text/html; charset=utf-8').send(answer()),
      );
      scope.get(`${CONSOLE_PATH}/*`, (_request, reply) =>
        reply.status(503).type('text/html; charset=utf-8').send(answer()),
      );
      return;
    }
    await scope.register(fastifyStatic, {
      root: dir,
      prefix: `${CONSOLE_PATH}/`,
      // The page's own route is below: the router ignores trailing slashes, so /ui and /ui/ are one.
      index: false,
      cacheControl: false,
      setHeaders: (response, path) => {
        void response.header(
          'cache-control',
          path.includes('/assets/') ? 'public, max-age=31536000, immutable' : 'no-cache',
        );
      },
    });
    // The page refers to its files relative to /ui/: /ui is sent there first.
    scope.get(CONSOLE_PATH, (request, reply) =>
      request.url.split('?')[0]!.endsWith('/')
        ? reply.sendFile('index.html')
        : reply.redirect(`${CONSOLE_PATH}/`),
    );
  });
}
