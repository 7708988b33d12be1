import type { CliIo } from '../../src/output/index.js';

/** A `CliIo` capturing stdout and stderr, for running `fl` in-process. */
export function memoryIo(
  env: NodeJS.ProcessEnv,
  cwd: string,
  stdin = '',
): CliIo & { out: () => string; err: () => string } {
  let out = '';
  let err = '';
  return {
    stdout: { write: (text: string) => (out += text), isTTY: false },
    stderr: { write: (text: string) => (err += text), isTTY: false },
    env,
    cwd,
    readStdin: () => Promise.resolve(stdin),
    out: () => out,
    err: () => err,
  };
}
