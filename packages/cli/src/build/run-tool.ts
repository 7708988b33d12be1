import { spawn } from 'node:child_process';

export interface ToolResult {
  code: number;
  stdout: string;
  stderr: string;
}

/** Compilers get this long before they are stopped. @default 600_000 ms */
const TOOL_TIMEOUT_MS = 600_000;

/**
 * Runs a toolchain program. Resolves with its exit code and output; resolves `undefined` when the
 * program is not installed (ENOENT), so callers can name the package to install.
 */
export function runTool(
  command: string,
  args: readonly string[],
  cwd: string,
  env: NodeJS.ProcessEnv = process.env,
): Promise<ToolResult | undefined> {
  return new Promise((resolve, reject) => {
    // Our own timer rather than spawn's `timeout`, whose timer outlives a spawn that fails
    // (ENOENT) and would keep the process alive for the whole limit.
    const child = spawn(command, args, { cwd, env, stdio: ['ignore', 'pipe', 'pipe'] });
    const timer = setTimeout(() => child.kill('SIGKILL'), TOOL_TIMEOUT_MS);
    timer.unref();
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (chunk: string) => (stdout += chunk));
    child.stderr.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk));
    child.once('error', (error: NodeJS.ErrnoException) => {
      clearTimeout(timer);
      if (error.code === 'ENOENT') resolve(undefined);
      else reject(error);
    });
    child.once('close', (code, signal) => {
      clearTimeout(timer);
      resolve({ code: code ?? (signal ? 128 : 1), stdout, stderr });
    });
  });
}
