/** A writable text stream as the commands need it. */
export interface OutStream {
  write(text: string): unknown;
  isTTY?: boolean;
}

/** The process's surroundings, injected so commands run in-process in tests. */
export interface CliIo {
  stdout: OutStream;
  stderr: OutStream;
  env: NodeJS.ProcessEnv;
  cwd: string;
  /** Reads all of stdin (for `fl login` without `--token`). */
  readStdin?: () => Promise<string>;
  /**
   * Ends commands that run until they are stopped (`fl activation poll`). @default stopped by
   * Ctrl-C (SIGINT)
   */
  signal?: AbortSignal;
}

/** The real process's streams, environment and working directory. */
export function processIo(): CliIo {
  return {
    stdout: process.stdout,
    stderr: process.stderr,
    env: process.env,
    cwd: process.cwd(),
    readStdin: async () => {
      const chunks: Buffer[] = [];
      for await (const chunk of process.stdin) chunks.push(chunk as Buffer);
      return Buffer.concat(chunks).toString('utf8');
    },
  };
}
