import { envChoice, LOG_LEVELS } from '@funless/protocol';
import { pino } from 'pino';
import type { Logger } from 'pino';
import { prettyFactory } from 'pino-pretty';

import type { OutStream } from '../output/index.js';

/** How the platform's own log lines look: JSON lines (pino's), or one readable line each. */
export const LOG_FORMATS = ['json', 'pretty'] as const;
export type LogFormat = (typeof LOG_FORMATS)[number];

/** The environment variables of the platform's logs. */
export const LOG_ENV_VARIABLES = { format: 'FL_LOG_FORMAT', level: 'FL_LOG_LEVEL' } as const;

/**
 * `FL_LOG_FORMAT` if set (`json` or `pretty`), else `pretty` on a terminal and `json` anywhere
 * else (a file, a pipe, a log collector). Throws `ConfigError` naming the variable.
 */
export function logFormatFromEnv(env: NodeJS.ProcessEnv, out: OutStream): LogFormat {
  return envChoice(env, LOG_ENV_VARIABLES.format, LOG_FORMATS) ?? (out.isTTY === true ? 'pretty' : 'json');
}

/**
 * The logger of `fl up`, `fl core` and `fl worker`, at `FL_LOG_LEVEL` (default `info`), writing
 * to `out`: JSON lines, or readable lines (`[12:04:05.123] INFO: message {"field":…}`, colored on
 * a terminal) as `logFormatFromEnv` decides. A pretty line is formatted as it is logged, on the
 * logging thread, so that none is lost when the process exits. Throws `ConfigError` naming the
 * variable.
 */
export function platformLogger(env: NodeJS.ProcessEnv, out: OutStream = process.stdout): Logger {
  const level = envChoice(env, LOG_ENV_VARIABLES.level, LOG_LEVELS) ?? 'info';
  if (logFormatFromEnv(env, out) === 'json') {
    // On stdout, pino's own destination: what the platform wrote before there was a choice.
    return out === process.stdout
      ? pino({ level })
      : pino({ level }, { write: (line: string) => out.write(line) });
  }
  const pretty = prettyFactory({
    colorize: out.isTTY === true,
    translateTime: 'SYS:HH:MM:ss.l',
    ignore: 'pid,hostname',
    singleLine: true,
  });
  return pino({ level }, { write: (line: string) => out.write(pretty(line)) });
}
