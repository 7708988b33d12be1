import { ErrorCode, FlError } from '@funless/protocol';

import { compileAppScript } from './app/decide-app.js';
import { parseAppScript } from './app/parse-app-script.js';
import type { AppScript } from './app/types.js';

/** Where scripts come from: the Core's (cached) store fits this shape. */
export interface AppScriptSource {
  getAppScript(name: string): Promise<{ text: string } | undefined>;
}

/**
 * APP scripts by name, parsed and compiled, for the invocations that name them. Freshness is the
 * store's alone (`CachedStore`): a script is parsed once per record the store hands out, and the
 * parse is remembered with that record object, so it goes when the store forgets the record.
 */
export class ParsedAppScripts {
  readonly #source: AppScriptSource;
  readonly #parsed = new WeakMap<object, AppScript>();

  constructor(source: AppScriptSource) {
    this.#source = source;
  }

  /**
   * The parsed script named `name`, or undefined when there is none. A stored text that no longer
   * parses (it was checked at upload, so only a newer Core's script can do this) is an `internal` error.
   */
  async get(name: string): Promise<AppScript | undefined> {
    const stored = await this.#source.getAppScript(name);
    if (stored === undefined) return undefined;
    const known = this.#parsed.get(stored);
    if (known !== undefined) return known;
    const parsed = parseAppScript(stored.text);
    if (!parsed.ok) {
      throw new FlError(
        ErrorCode.Internal,
        `stored APP script ${name} does not parse: ${parsed.problems.map((p) => p.message).join('; ')}`,
      );
    }
    compileAppScript(parsed.script);
    this.#parsed.set(stored, parsed.script);
    return parsed.script;
  }
}
