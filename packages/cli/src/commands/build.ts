import { relative, resolve } from 'node:path';

import type { Command } from 'commander';

import { buildFunction, LANGUAGES, parseLanguage, type Language } from '../build/index.js';
import { example, jsonOption, type CommandContext } from './context.js';

/** `fl fn build <dir> [-l …] [-o out.wasm]`. */
export function registerBuildCommand(fn: Command, ctx: CommandContext): void {
  example(
    jsonOption(
      fn
        .command('build [path]')
        .description('compile a function project (or one source file) into a .wasm module')
        .option(
          '-l, --language <language>',
          `${LANGUAGES.join(', ')} (default: detected from the files)`,
          parseLanguage,
        )
        .option('-o, --out <file>', 'output file (default: <dir>/build/<dir name>.wasm)')
        .option('--no-typecheck', 'TypeScript: build without running tsc --noEmit first'),
    ),
    'fl fn build ./hello',
    'fl fn build handler.ts --no-typecheck',
    'fl fn build greet.c -o greet.wasm',
  ).action(
    async (
      path: string | undefined,
      opts: { language?: Language; out?: string; typecheck: boolean; json?: boolean },
    ) => {
      const source = path ?? '.';
      const progress = ctx.progress();
      const result = await progress.run(`building ${source}`, () =>
        buildFunction({
          source: resolve(ctx.io.cwd, source),
          language: opts.language,
          outFile: opts.out === undefined ? undefined : resolve(ctx.io.cwd, opts.out),
          env: ctx.io.env,
          colors: progress.enabled,
          typecheck: opts.typecheck,
          onNotice: (message) => ctx.err(message),
        }),
      );
      if (opts.json) {
        return ctx.json({
          language: result.language,
          outFile: result.outFile,
          size: result.code.length,
          shape: result.shape,
          ...(result.toolchain ? { toolchain: result.toolchain } : {}),
        });
      }
      const shown = relative(ctx.io.cwd, result.outFile);
      const using = result.toolchain ? `; ${result.toolchain}` : '';
      ctx.out(
        `built ${shown} (${result.code.length} bytes, ${result.language}, ${result.shape} shape${using})`,
      );
    },
  );
}
