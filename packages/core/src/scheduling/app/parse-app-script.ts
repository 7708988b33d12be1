import { createRequire } from 'node:module';

import type * as Yaml from 'yaml';
import type { Document, Node, Pair } from 'yaml';
import {
  APP_ALL_WORKERS,
  APP_FOLLOWUPS,
  APP_STRATEGIES,
  AppFollowup,
  AppProblemKind,
  AppStrategy,
} from './types.js';
import type { AppBlock, AppInvalidate, AppParseResult, AppProblem, AppTagEntry } from './types.js';

const require = createRequire(import.meta.url);
let yamlLibrary: typeof Yaml | undefined;
/** The YAML library, loaded at the first parse: a Core that never sees a script does not hold it. */
function yaml(): typeof Yaml {
  return (yamlLibrary ??= require('yaml') as typeof Yaml);
}

const BLOCK_KEYS = ['workers', 'strategy', 'invalidate', 'affinity'] as const;
const INVALIDATE_KEYS = ['capacity_used', 'max_concurrent_invocations'] as const;
const FOLLOWUP_KEY = 'followup';
/**
 * Aliases followed before the script is refused: each one re-walks what it points to, so a small
 * text with many aliases to large nodes would cost far more than its size suggests.
 */
const MAX_ALIASES = 1000;
const PERCENT_PATTERN = /^\s*(-?\d+(?:\.\d+)?)\s*%?\s*$/;

/** Where a problem is: filled in as the walk goes deeper. */
interface Where {
  entry?: number;
  tag?: string;
  block?: number;
  field?: string;
}

/**
 * Parses the text of an APP script and checks it completely: on failure it lists every problem
 * found (not just the first), each with its tag, block number, field, line and what was expected.
 */
export function parseAppScript(text: string): AppParseResult {
  return new AppScriptParser(text).parse();
}

class AppScriptParser {
  private readonly problems: AppProblem[] = [];
  private readonly lines: Yaml.LineCounter = new (yaml().LineCounter)();
  private doc!: Document.Parsed;
  private aliases = 0;

  constructor(private readonly text: string) {}

  parse(): AppParseResult {
    this.doc = yaml().parseDocument(this.text, {
      lineCounter: this.lines,
      prettyErrors: false,
      uniqueKeys: true,
    });
    if (this.doc.errors.length > 0) {
      for (const error of this.doc.errors) {
        const { line, col } = this.lines.linePos(error.pos[0]);
        const what =
          error.code === 'MULTIPLE_DOCS'
            ? 'the text holds several YAML documents; a script is one'
            : error.message;
        this.problems.push({
          kind: AppProblemKind.NotYaml,
          line,
          column: col,
          expected: 'valid YAML',
          message: `line ${line}, column ${col}: not valid YAML: ${what}`,
        });
      }
      return { ok: false, problems: this.problems };
    }
    let entries: AppTagEntry[];
    try {
      entries = this.entries();
    } catch (error) {
      if (!(error instanceof TooManyAliases)) throw error;
      this.problems.length = 0;
      this.problems.push({
        kind: AppProblemKind.NotYaml,
        expected: `at most ${MAX_ALIASES} alias uses`,
        message: `script: expected at most ${MAX_ALIASES} alias uses (*name), got more`,
      });
      return { ok: false, problems: this.problems };
    }
    if (this.problems.length === 0) return { ok: true, script: { entries } };
    // In the order of the text, not of the walk (an entry's followup is checked before its blocks).
    this.problems.sort((a, b) => (a.line ?? 0) - (b.line ?? 0) || (a.column ?? 0) - (b.column ?? 0));
    return { ok: false, problems: this.problems };
  }

  private entries(): AppTagEntry[] {
    const root = this.resolve(this.doc.contents);
    const entries: AppTagEntry[] = [];
    if (!yaml().isSeq(root)) {
      this.problem(AppProblemKind.NotTagList, {}, root, 'a list of tag entries such as "- my_tag: [blocks]"');
    } else {
      const seen = new Map<string, number>();
      root.items.forEach((item, index) => {
        const entry = this.entry(this.resolve(item as Node), index + 1, seen);
        if (entry) entries.push(entry);
      });
    }
    return entries;
  }

  private entry(node: Node | null, entryNo: number, seen: Map<string, number>): AppTagEntry | undefined {
    const where: Where = { entry: entryNo };
    if (!yaml().isMap(node)) {
      this.problem(AppProblemKind.NotTagList, where, node, 'a tag entry: a mapping "my_tag: [blocks]"');
      return undefined;
    }
    let followupPair: Pair | undefined;
    const tagPairs: Pair[] = [];
    let badKeys = 0;
    for (const pair of node.items) {
      const key = this.keyOf(pair);
      if (key === FOLLOWUP_KEY) followupPair = pair;
      else if (key === undefined || key.trim() === '') {
        badKeys++;
        this.problem(
          AppProblemKind.NotTagList,
          where,
          pair.key as Node,
          'a tag name (a non-empty string; quote numbers) as the key',
        );
      } else {
        tagPairs.push(pair);
      }
    }
    if (tagPairs.length === 0 && badKeys > 0) return undefined;
    if (tagPairs.length !== 1) {
      const found = tagPairs.map((p) => JSON.stringify(this.keyOf(p))).join(', ');
      this.problem(
        AppProblemKind.NotTagList,
        where,
        node,
        'exactly one tag per entry (write one "- tag: [blocks]" item per tag)',
        tagPairs.length === 0 ? 'no tag' : `tags ${found}`,
      );
      return undefined;
    }
    const pair = tagPairs[0]!;
    const tag = this.keyOf(pair)!;
    where.tag = tag;
    const first = seen.get(tag);
    if (first !== undefined) {
      this.problem(
        AppProblemKind.DuplicateTag,
        where,
        pair.key as Node,
        `each tag once (tag "${tag}" is already the subject of entry ${first})`,
        `tag "${tag}" again`,
      );
    } else {
      seen.set(tag, entryNo);
    }
    let followup: AppFollowup = AppFollowup.Fail;
    if (followupPair !== undefined) {
      const value = this.resolve(followupPair.value as Node | null);
      if (yaml().isScalar(value) && APP_FOLLOWUPS.includes(value.value as AppFollowup)) {
        followup = value.value as AppFollowup;
      } else {
        this.problem(
          AppProblemKind.UnknownFollowup,
          { ...where, field: FOLLOWUP_KEY },
          value,
          oneOf(APP_FOLLOWUPS),
        );
      }
    }
    const blocksNode = this.resolve(pair.value as Node | null);
    if (!yaml().isSeq(blocksNode) || blocksNode.items.length === 0) {
      const isEmpty =
        blocksNode === null ||
        (yaml().isScalar(blocksNode) && blocksNode.value === null) ||
        yaml().isSeq(blocksNode);
      this.problem(
        AppProblemKind.NoBlocks,
        where,
        blocksNode ?? (pair.key as Node),
        'a non-empty list of blocks such as - workers: "*"',
        isEmpty ? 'no blocks' : undefined,
      );
      return undefined;
    }
    const blocks: AppBlock[] = [];
    blocksNode.items.forEach((item, index) => {
      const block = this.block(this.resolve(item as Node), { ...where, block: index + 1 });
      if (block) blocks.push(block);
    });
    return { tag, blocks, followup };
  }

  private block(node: Node | null, where: Where): AppBlock | undefined {
    if (!yaml().isMap(node)) {
      this.problem(AppProblemKind.BadBlock, where, node, 'a block: a mapping with at least "workers"');
      return undefined;
    }
    const block: AppBlock = {
      workers: [],
      strategy: AppStrategy.BestFirst,
      invalidate: {},
      affinity: [],
      antiAffinity: [],
    };
    let hasWorkers = false;
    for (const pair of node.items) {
      const key = this.keyOf(pair);
      const value = this.resolve(pair.value as Node | null);
      const at = { ...where, field: key };
      switch (key) {
        case 'workers': {
          hasWorkers = true;
          const workers = this.workers(value, at);
          if (workers) block.workers = workers;
          break;
        }
        case 'strategy':
          if (yaml().isScalar(value) && APP_STRATEGIES.includes(value.value as AppStrategy)) {
            block.strategy = value.value as AppStrategy;
          } else {
            this.problem(AppProblemKind.UnknownStrategy, at, value, oneOf(APP_STRATEGIES));
          }
          break;
        case 'invalidate':
          block.invalidate = this.invalidate(value, at);
          break;
        case 'affinity':
          this.affinity(value, at, block);
          break;
        default:
          this.unknownKey(pair, where, BLOCK_KEYS);
      }
    }
    if (!hasWorkers) {
      this.problem(
        AppProblemKind.MissingWorkers,
        { ...where, field: 'workers' },
        node,
        'a "workers" field: a list of Worker names or "*"',
        'a block without it',
      );
    }
    return block;
  }

  private workers(node: Node | null, where: Where): AppBlock['workers'] | undefined {
    const expected = 'a list of Worker names or "*"';
    if (yaml().isScalar(node) && node.value === APP_ALL_WORKERS) return APP_ALL_WORKERS;
    if (!yaml().isSeq(node)) {
      this.problem(AppProblemKind.BadWorkers, where, node, expected);
      return undefined;
    }
    const names: string[] = [];
    let ok = true;
    node.items.forEach((item, index) => {
      const value = this.resolve(item as Node);
      const at = { ...where, field: `${where.field}[${index}]` };
      if (!yaml().isScalar(value) || typeof value.value !== 'string' || value.value.trim() === '') {
        this.problem(
          AppProblemKind.BadWorkers,
          at,
          value,
          'a Worker name (a non-empty string; quote numbers)',
        );
        ok = false;
      } else if (value.value === APP_ALL_WORKERS) {
        this.problem(
          AppProblemKind.BadWorkers,
          at,
          value,
          '"*" on its own (workers: "*"), not inside a list',
        );
        ok = false;
      } else if (names.includes(value.value)) {
        this.problem(
          AppProblemKind.BadWorkers,
          at,
          value,
          'each Worker once per block',
          `"${value.value}" again`,
        );
        ok = false;
      } else {
        names.push(value.value);
      }
    });
    return ok ? names : undefined;
  }

  private invalidate(node: Node | null, where: Where): AppInvalidate {
    const result: AppInvalidate = {};
    if (!yaml().isMap(node)) {
      this.problem(
        AppProblemKind.BadInvalidate,
        where,
        node,
        'a mapping with capacity_used and/or max_concurrent_invocations',
      );
      return result;
    }
    for (const pair of node.items) {
      const key = this.keyOf(pair);
      const value = this.resolve(pair.value as Node | null);
      const at = { ...where, field: `invalidate.${key}` };
      if (key === 'capacity_used') {
        const percent = percentOf(yaml().isScalar(value) ? value.value : undefined);
        if (percent === undefined) {
          this.problem(
            AppProblemKind.BadCapacityUsed,
            at,
            value,
            'a percentage from 0 to 100, written 50%, "50" or 50',
          );
        } else {
          result.capacityUsedPercent = percent;
        }
      } else if (key === 'max_concurrent_invocations') {
        const n = yaml().isScalar(value) ? value.value : undefined;
        // 3.0 and 3e0 are floats in YAML even though their value is whole: only digits count.
        const digits = yaml().isScalar(value) && /^\+?\d+$/.test(value.source ?? String(n));
        if (typeof n === 'number' && Number.isSafeInteger(n) && n > 0 && digits) {
          result.maxConcurrentInvocations = n;
        } else {
          this.problem(AppProblemKind.BadMaxConcurrentInvocations, at, value, 'a positive integer');
        }
      } else {
        this.unknownKey(pair, { ...where, field: 'invalidate' }, INVALIDATE_KEYS);
      }
    }
    return result;
  }

  private affinity(node: Node | null, where: Where, block: AppBlock): void {
    if (!yaml().isSeq(node)) {
      this.problem(AppProblemKind.BadAffinity, where, node, 'a list of tags, "!tag" for anti-affinity');
      return;
    }
    node.items.forEach((item, index) => {
      const value = this.resolve(item as Node);
      const at = { ...where, field: `affinity[${index}]` };
      const raw = yaml().isScalar(value) && typeof value.value === 'string' ? value.value : undefined;
      const anti = raw?.startsWith('!') ?? false;
      const tag = anti ? raw!.slice(1) : raw;
      if (tag === undefined || tag === '') {
        this.problem(
          AppProblemKind.BadAffinity,
          at,
          value,
          'a tag, or "!tag" for anti-affinity (quote "!tag")',
        );
        return;
      }
      const same = anti ? block.antiAffinity : block.affinity;
      const opposite = anti ? block.affinity : block.antiAffinity;
      if (opposite.includes(tag)) {
        this.problem(
          AppProblemKind.BadAffinity,
          at,
          value,
          `not both "${tag}" and "!${tag}" in one block`,
          'a contradiction',
        );
      } else if (!same.includes(tag)) {
        same.push(tag);
      }
    });
  }

  private unknownKey(pair: Pair, where: Where, allowed: readonly string[]): void {
    const key = this.keyOf(pair);
    this.problem(
      AppProblemKind.UnknownKey,
      where,
      pair.key as Node,
      oneOf(allowed),
      key === undefined ? 'a key that is not a string' : `unknown key "${key}"`,
    );
  }

  /** The key of a pair as a string; undefined when it is not a scalar string. */
  private keyOf(pair: Pair): string | undefined {
    const key = this.resolve(pair.key as Node | null);
    return yaml().isScalar(key) && typeof key.value === 'string' ? key.value : undefined;
  }

  private resolve(node: Node | null | undefined): Node | null {
    if (node === undefined || node === null) return null;
    if (yaml().isAlias(node)) {
      if (++this.aliases > MAX_ALIASES) throw new TooManyAliases();
      return (node.resolve(this.doc) as Node | undefined) ?? null;
    }
    if (yaml().isPair(node)) return null;
    return node;
  }

  private problem(
    kind: AppProblemKind,
    where: Where,
    node: Node | null,
    expected: string,
    got?: string,
  ): void {
    const problem: AppProblem = { kind, ...where, expected, message: '' };
    const offset = node?.range?.[0];
    const parts: string[] = [];
    if (where.entry !== undefined) {
      parts.push(
        where.tag === undefined ? `entry ${where.entry}` : `tag "${where.tag}" (entry ${where.entry})`,
      );
    }
    if (where.block !== undefined) parts.push(`block ${where.block}`);
    if (where.field !== undefined) parts.push(where.field);
    if (offset !== undefined) {
      const { line, col } = this.lines.linePos(offset);
      problem.line = line;
      problem.column = col;
      parts.push(`line ${line}, column ${col}`);
    }
    const location = parts.length > 0 ? parts.join(', ') : 'script';
    problem.message = `${location}: expected ${expected}, got ${got ?? describe(node)}`;
    this.problems.push(problem);
  }
}

class TooManyAliases extends Error {}

function oneOf(values: readonly string[]): string {
  return `one of ${values.map((v) => `"${v}"`).join(', ')}`;
}

/** The percentage a `capacity_used` value stands for, or undefined when it is not one. */
function percentOf(value: unknown): number | undefined {
  let n: number | undefined;
  if (typeof value === 'number') n = value;
  else if (typeof value === 'string') {
    const match = PERCENT_PATTERN.exec(value);
    if (match) n = Number(match[1]);
  }
  return n !== undefined && Number.isFinite(n) && n >= 0 && n <= 100 ? n : undefined;
}

function describe(node: Node | null): string {
  if (node === null) return 'nothing';
  if (yaml().isMap(node)) return 'a mapping';
  if (yaml().isSeq(node)) return 'a list';
  if (yaml().isScalar(node)) {
    const { value } = node;
    if (value === null || value === undefined) return 'nothing';
    if (typeof value === 'string') return JSON.stringify(value);
    if (typeof value === 'number' || typeof value === 'boolean' || typeof value === 'bigint')
      return String(value);
    return 'a value of another type';
  }
  return 'something else';
}
