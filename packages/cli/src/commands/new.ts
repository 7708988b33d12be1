import { Option, type Command } from 'commander';
import { relative } from 'node:path';

import { parseLanguage } from '../build/index.js';
import { CliError } from '../errors/index.js';
import { newProject, TEMPLATE_LANGUAGES, type TemplateLanguage } from '../templates/index.js';
import { example, type CommandContext } from './context.js';

/** `fl fn new <name> -l js|ts|as|c|wat [-o dir]`. */
export function registerNewCommand(fn: Command, ctx: CommandContext): void {
  example(
    fn
      .command('new <name>')
      .description('create a function project from a template')
      .addOption(
        new Option(
          '-l, --language <language>',
          `template language: ${TEMPLATE_LANGUAGES.join(', ')} (ts: TypeScript on the JavaScript engine; as: AssemblyScript)`,
        )
          .default('as')
          .argParser((value: string) => {
            const language = parseLanguage(value);
            if (!(TEMPLATE_LANGUAGES as readonly string[]).includes(language)) {
              throw new CliError(`no template for ${language}: use one of ${TEMPLATE_LANGUAGES.join(', ')}`);
            }
            return language;
          }),
      )
      .option('-o, --out-dir <dir>', 'where to create the project (default: ./<name>)'),
    'fl fn new hello -l as',
    'fl fn new greet -l ts',
    'fl fn new greet -l c -o functions/greet',
  ).action(async (name: string, opts: { language: TemplateLanguage; outDir?: string }) => {
    const { dir, files } = await newProject({
      name,
      language: opts.language,
      outDir: opts.outDir,
      cwd: ctx.io.cwd,
    });
    const shown = `./${relative(ctx.io.cwd, dir)}`;
    ctx.out(`created ${shown}/ (${files.join(', ')})`);
    ctx.out(`next: fl fn create ${name} ${shown}   # builds and uploads it`);
  });
}
