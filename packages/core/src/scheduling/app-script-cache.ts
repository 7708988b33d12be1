import { ErrorCode, FlError } from '@funless/protocol';

import { compileAppScript } from './app/decide-app.js';
import { parseAppScript } from './app/parse-app-script.js';
import type { AppScript } from './app/types.js';

/** Where scripts come from: the Core's store fits this shape. */
export interface AppScriptSource {
  getAppScript(name: string): Promise<{ text: string } | undefined>;
}

export interface AppScriptCacheOptions {
  /**
   * How long a cached script is trusted before its text is read again, in ms: changes made
   * through this Core invalidate at once, this bounds how long one made through another Core
   * sharing the database takes to show. @default 5_000
   */
  maxAgeMs?: number;
  /** @default Date.now */
  now?: () => number;
}

interface Entry {
  text: string;
  script: AppScript;
  loadedAt: number;
}

/**
 * Parsed (and compiled) APP scripts by name, so that an invocation naming a script costs no query
 * and no parse. One per Core app (`buildApp` makes it and puts it in the routes' context): the
 * routes that change scripts call `invalidate`, the invoke route reads with `get`.
 */
export class AppScriptCache {
  private readonly entries = new Map<string, Entry>();
  private readonly maxAgeMs: number;
  private readonly now: () => number;
  // Bumped on every invalidation, so that a load that started before a change does not put back
  // what the change removed.
  private generation = 0;

  constructor(
    private readonly source: AppScriptSource,
    options: AppScriptCacheOptions = {},
  ) {
    this.maxAgeMs = options.maxAgeMs ?? 5_000;
    this.now = options.now ?? Date.now;
  }

  /** The script, fresh enough to use without a query; undefined when no script has that name. */
  peek(name: string): AppScript | undefined {
    const entry = this.entries.get(name);
    return entry !== undefined && this.now() - entry.loadedAt < this.maxAgeMs ? entry.script : undefined;
  }

  /**
   * The parsed script named `name`, or undefined when there is none. A stored text that no longer
   * parses (it was checked at upload, so only a newer Core's script can do this) is an `internal` error.
   */
  async get(name: string): Promise<AppScript | undefined> {
    const fresh = this.peek(name);
    if (fresh !== undefined) return fresh;
    const generation = this.generation;
    const stored = await this.source.getAppScript(name);
    if (stored === undefined) {
      if (generation === this.generation) this.entries.delete(name);
      return undefined;
    }
    const previous = this.entries.get(name);
    let script: AppScript;
    if (previous !== undefined && previous.text === stored.text) {
      script = previous.script;
    } else {
      const parsed = parseAppScript(stored.text);
      if (!parsed.ok) {
        throw new FlError(
          ErrorCode.Internal,
          `stored APP script ${name} does not parse: ${parsed.problems.map((p) => p.message).join('; ')}`,
        );
      }
      script = parsed.script;
      compileAppScript(script);
    }
    if (generation === this.generation)
      this.entries.set(name, { text: stored.text, script, loadedAt: this.now() });
    return script;
  }

  /** Forgets one script (after an update or a delete), or all of them. */
  invalidate(name?: string): void {
    this.generation++;
    if (name === undefined) this.entries.clear();
    else this.entries.delete(name);
  }
}
