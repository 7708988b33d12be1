import type { Placement, PlacementRequest, WorkerView } from '../types.js';
import { APP_ALL_WORKERS, APP_DEFAULT_TAG, AppFollowup, AppStrategy } from './types.js';
import type { AppScript } from './types.js';

const BEST_FIRST = 0;
const RANDOM = 1;
const PLATFORM = 2;
const STRATEGY_CODES: Record<AppStrategy, number> = {
  [AppStrategy.BestFirst]: BEST_FIRST,
  [AppStrategy.Random]: RANDOM,
  [AppStrategy.Platform]: PLATFORM,
};
/** Worker names shown per reason in a failure message; the rest are counted. */
const NAMES_SHOWN = 3;
/** Affinity tags a script may use before decisions fall back from bit masks to map lookups. */
const MAX_MASK_TAGS = 30;

interface CompiledBlock {
  readonly number: number;
  readonly all: boolean;
  /** Ids (into the script's name table) of the listed Workers, in the order listed. */
  readonly ids: Int32Array;
  readonly names: readonly string[];
  readonly strategy: number;
  /** -1: no capacity_used threshold. */
  readonly capacityUsedPercent: number;
  /** Infinity: no max_concurrent_invocations threshold. */
  readonly maxConcurrent: number;
  readonly affinity: readonly string[];
  readonly antiAffinity: readonly string[];
  /** The same as bits of the script's affinity tag table (when it has at most MAX_MASK_TAGS tags). */
  readonly affinityMask: number;
  readonly antiAffinityMask: number;
}

interface CompiledEntry {
  readonly tag: string;
  readonly blocks: readonly CompiledBlock[];
  readonly followup: AppFollowup;
}

/**
 * An APP script prepared for fast decisions: entries by tag, Worker names interned to small
 * integers, and scratch buffers reused across decisions (decisions are synchronous, so one
 * compiled script never serves two at once).
 */
export class CompiledAppScript {
  private readonly entries = new Map<string, CompiledEntry>();
  private readonly defaultEntry: CompiledEntry | undefined;
  private readonly nameIds = new Map<string, number>();
  /** Per name id: index of that Worker in the current snapshot, or -1 when not connected. */
  private readonly slots: Int32Array;
  /** The Worker names, in order, of the snapshot `slots` was computed for. */
  private slotsNames: string[] = [];
  /** Whether `slots` describes the snapshot of the decision in progress. */
  private resolved = false;
  /** Every tag named in an affinity, as a bit number. */
  private readonly tagBits = new Map<string, number>();
  private readonly tagList: string[] = [];
  private readonly useMasks: boolean;
  /** Per snapshot index: the Worker's running affinity tags as bits, valid when its stamp is `generation`. */
  private masks = new Int32Array(64);
  private maskStamps = new Int32Array(64);
  private generation = 0;
  /** Whether every Worker's mask is computed for this decision (done when a "*" block needs them). */
  private masksComplete = false;
  /**
   * The affinity tags run anywhere (all masks OR-ed), known once a "*" block has seen every mask in
   * this decision: a block wanting a tag nobody runs then fails without a scan.
   */
  private unionMask = 0;
  private unionKnown = false;
  /**
   * The snapshot's numbers copied into typed arrays once per decision (when a block is first
   * evaluated): scanning them block after block costs a fraction of reading the objects again.
   */
  private free = new Float64Array(64);
  private total = new Float64Array(64);
  private inFlight = new Float64Array(64);
  private loaded = false;
  private candidates = new Int32Array(64);

  constructor(readonly script: AppScript) {
    for (const entry of script.entries) {
      for (const block of entry.blocks)
        for (const t of [...block.affinity, ...block.antiAffinity]) this.tagBit(t);
    }
    this.useMasks = this.tagList.length <= MAX_MASK_TAGS;
    const mask = (tags: readonly string[]): number =>
      this.useMasks ? tags.reduce((m, t) => m | (1 << this.tagBit(t)), 0) : 0;
    for (const entry of script.entries) {
      const blocks = entry.blocks.map((block, index) => {
        const all = block.workers === APP_ALL_WORKERS;
        const names = all ? [] : (block.workers as string[]);
        const ids = Int32Array.from(names, (name) => this.intern(name));
        return {
          number: index + 1,
          all,
          ids,
          names,
          strategy: STRATEGY_CODES[block.strategy],
          capacityUsedPercent: block.invalidate.capacityUsedPercent ?? -1,
          maxConcurrent: block.invalidate.maxConcurrentInvocations ?? Infinity,
          affinity: block.affinity,
          antiAffinity: block.antiAffinity,
          affinityMask: mask(block.affinity),
          antiAffinityMask: mask(block.antiAffinity),
        };
      });
      this.entries.set(entry.tag, { tag: entry.tag, blocks, followup: entry.followup });
    }
    this.defaultEntry = this.entries.get(APP_DEFAULT_TAG);
    // Matches `slotsNames` (no Workers): nobody is connected until a snapshot says otherwise.
    this.slots = new Int32Array(this.nameIds.size).fill(-1);
  }

  /** See {@link decideApp}. */
  decide(workers: readonly WorkerView[], req: PlacementRequest, random: () => number): Placement {
    const entry = this.entries.get(req.tag) ?? this.defaultEntry;
    if (entry === undefined) {
      return {
        ok: false,
        reason: `no matching tag: the script has no entry for tag "${req.tag}" and no "${APP_DEFAULT_TAG}" entry`,
      };
    }
    if (this.candidates.length < workers.length) {
      const size = workers.length * 2;
      this.candidates = new Int32Array(size);
      this.masks = new Int32Array(size);
      this.maskStamps = new Int32Array(size);
      this.free = new Float64Array(size);
      this.total = new Float64Array(size);
      this.inFlight = new Float64Array(size);
    }
    this.resolved = false;
    this.loaded = false;
    this.masksComplete = false;
    this.unionKnown = false;
    if (this.generation >= 0x7fffffff) {
      // Stamps from before the wrap must never match again.
      this.maskStamps.fill(0);
      this.generation = 0;
    }
    this.generation++;
    let index = this.tryEntry(entry, workers, req.capacityMiB, random);
    const fallback =
      index < 0 && entry.followup === AppFollowup.Default && entry !== this.defaultEntry
        ? this.defaultEntry
        : undefined;
    if (fallback !== undefined) index = this.tryEntry(fallback, workers, req.capacityMiB, random);
    if (index >= 0) return { ok: true, worker: workers[index]!.name };
    return { ok: false, reason: this.failureReason(entry, workers, req) };
  }

  private intern(name: string): number {
    let id = this.nameIds.get(name);
    if (id === undefined) {
      id = this.nameIds.size;
      this.nameIds.set(name, id);
    }
    return id;
  }

  private tagBit(tag: string): number {
    let bit = this.tagBits.get(tag);
    if (bit === undefined) {
      bit = this.tagList.length;
      this.tagBits.set(tag, bit);
      this.tagList.push(tag);
    }
    return bit;
  }

  /**
   * Maps each listed name to its Worker's index in this snapshot; once per decision, only if a
   * named block is reached. The mapping depends only on the sequence of names, which rarely
   * changes between decisions: comparing it is much cheaper than a map lookup per Worker.
   */
  private resolve(workers: readonly WorkerView[]): void {
    this.resolved = true;
    const previous = this.slotsNames;
    if (previous.length === workers.length) {
      let same = true;
      for (let i = 0; i < workers.length; i++) {
        if (workers[i]!.name !== previous[i]) {
          same = false;
          break;
        }
      }
      if (same) return;
    }
    const slots = this.slots;
    slots.fill(-1);
    const names = new Array<string>(workers.length);
    for (let i = 0; i < workers.length; i++) {
      const name = workers[i]!.name;
      names[i] = name;
      const id = this.nameIds.get(name);
      if (id !== undefined && slots[id]! < 0) slots[id] = i;
    }
    this.slotsNames = names;
  }

  private load(workers: readonly WorkerView[]): void {
    const { free, total, inFlight } = this;
    for (let i = 0; i < workers.length; i++) {
      const w = workers[i]!;
      free[i] = w.memoryFreeMiB;
      total[i] = w.memoryTotalMiB;
      inFlight[i] = w.inFlight;
    }
    this.loaded = true;
  }

  /** The affinity tags Worker `i` runs, as bits; computed at most once per decision. */
  private computeMask(i: number, w: WorkerView): number {
    const tags = this.tagList;
    const running = w.runningTags;
    let mask = 0;
    // Whichever side is smaller drives the lookups: a Worker runs few tags, a script names few.
    const size = running.size;
    if (size === 0) {
      // Nothing running: no lookups, and no iterator.
    } else if (size < tags.length) {
      for (const [tag, count] of running) {
        const bit = this.tagBits.get(tag);
        if (bit !== undefined && count > 0) mask |= 1 << bit;
      }
    } else {
      for (let b = 0; b < tags.length; b++) if ((running.get(tags[b]!) ?? 0) > 0) mask |= 1 << b;
    }
    this.masks[i] = mask;
    this.maskStamps[i] = this.generation;
    return mask;
  }

  /** Every Worker's mask at once, for blocks that scan them all: one tight loop, no calls. */
  private computeAllMasks(workers: readonly WorkerView[]): void {
    const { maskStamps, masks, generation, tagList: tags, tagBits } = this;
    const count = tags.length;
    let union = 0;
    for (let i = 0; i < workers.length; i++) {
      if (maskStamps[i] === generation) {
        union |= masks[i]!;
        continue;
      }
      const running = workers[i]!.runningTags;
      const size = running.size;
      let mask = 0;
      if (size === 0) {
        // Nothing running: no lookups.
      } else if (count === 1) {
        if ((running.get(tags[0]!) ?? 0) > 0) mask = 1;
      } else if (size < count) {
        for (const [tag, n] of running) {
          const bit = tagBits.get(tag);
          if (bit !== undefined && n > 0) mask |= 1 << bit;
        }
      } else {
        for (let b = 0; b < count; b++) if ((running.get(tags[b]!) ?? 0) > 0) mask |= 1 << b;
      }
      masks[i] = mask;
      maskStamps[i] = generation;
      union |= mask;
    }
    this.masksComplete = true;
    this.unionMask = union;
    this.unionKnown = true;
  }

  private tryEntry(
    entry: CompiledEntry,
    workers: readonly WorkerView[],
    capacity: number,
    random: () => number,
  ): number {
    for (const block of entry.blocks) {
      const index = this.pick(block, workers, capacity, random);
      if (index >= 0) return index;
    }
    return -1;
  }

  /** Index in `workers` of the block's choice, or -1. */
  /**
   * Index in `workers` of the block's choice, or -1. The validity rules of `isValid` are written
   * out inline with everything hoisted into locals: this loop is the whole cost of a decision.
   */
  private pick(
    block: CompiledBlock,
    workers: readonly WorkerView[],
    capacity: number,
    random: () => number,
  ): number {
    if (!this.loaded) this.load(workers);
    if (!block.all && !this.resolved) this.resolve(workers);
    const { all, ids, strategy, capacityUsedPercent: percent, maxConcurrent } = block;
    const wanted = block.affinityMask;
    const unwanted = block.antiAffinityMask;
    const byMask = this.useMasks && (wanted | unwanted) !== 0;
    if (byMask && all && strategy !== BEST_FIRST && !this.masksComplete) this.computeAllMasks(workers);
    if (byMask && this.unionKnown && (this.unionMask & wanted) !== wanted) return -1;
    const { free, total, inFlight, masks, maskStamps, slots, candidates, generation, masksComplete } = this;
    const byLookup = !this.useMasks && block.affinity.length + block.antiAffinity.length > 0;
    const n = all ? workers.length : ids.length;
    let count = 0;
    let best = -1;
    let bestFree = -Infinity;
    let union = 0;
    for (let k = 0; k < n; k++) {
      const i = all ? k : slots[ids[k]!]!;
      if (i < 0) continue;
      // Affinity first: a block that asks for one usually rules out most Workers with it, in one load.
      if (byMask) {
        const mask =
          masksComplete || maskStamps[i] === generation ? masks[i]! : this.computeMask(i, workers[i]!);
        union |= mask;
        if ((mask & wanted) !== wanted || (mask & unwanted) !== 0) continue;
      }
      const f = free[i]!;
      if (f < capacity) continue;
      if (percent >= 0) {
        const t = total[i]!;
        // Multiplied out, so that "exactly at the limit" is not lost to a rounded division.
        if ((t - f + capacity) * 100 > percent * t) continue;
      }
      if (inFlight[i]! >= maxConcurrent) continue;
      if (byLookup && !satisfiesAffinity(workers[i]!, block)) continue;
      if (strategy === BEST_FIRST) return i;
      if (strategy === RANDOM) {
        candidates[count++] = i;
      } else if (f > bestFree) {
        best = i;
        bestFree = f;
      }
    }
    // A full scan of "*" checked every Worker's mask first: later blocks may skip the stamps, and
    // know which tags run anywhere.
    if (byMask && all) {
      this.masksComplete = true;
      this.unionMask = union;
      this.unionKnown = true;
    }
    if (strategy === RANDOM && count > 0) {
      // Clamped: a source may return 1, or garbage, and a pick must still be one of the candidates.
      const r = Math.floor(random() * count);
      return candidates[r >= 0 && r < count ? r : r >= count ? count - 1 : 0]!;
    }
    return best;
  }

  /** The slow path, taken only when the placement fails: says why each tried block found nothing. */
  private failureReason(entry: CompiledEntry, workers: readonly WorkerView[], req: PlacementRequest): string {
    if (!this.resolved) this.resolve(workers);
    const own =
      entry.tag === req.tag ? `entry "${entry.tag}"` : `entry "${entry.tag}" (no entry for the tag)`;
    const parts = [
      `no Worker for tag "${req.tag}" under script ${own}: ${this.explainEntry(entry, workers, req)}`,
    ];
    if (entry.followup === AppFollowup.Default && entry !== this.defaultEntry) {
      parts.push(
        this.defaultEntry === undefined
          ? `Followup default, but the script has no "${APP_DEFAULT_TAG}" entry`
          : `Followup default, entry "${APP_DEFAULT_TAG}": ${this.explainEntry(this.defaultEntry, workers, req)}`,
      );
    }
    return parts.join('. ');
  }

  private explainEntry(entry: CompiledEntry, workers: readonly WorkerView[], req: PlacementRequest): string {
    return entry.blocks
      .map((block) => {
        const label = block.all
          ? `block ${block.number} ("*")`
          : `block ${block.number} (${block.names.length} listed)`;
        return `${label}: ${this.explainBlock(block, workers, req.capacityMiB)}`;
      })
      .join('; ');
  }

  /** Groups the block's Workers by the first rule each breaks; a few names per group, the rest counted. */
  private explainBlock(block: CompiledBlock, workers: readonly WorkerView[], capacity: number): string {
    if (block.all && workers.length === 0) return 'no Worker is connected';
    if (!block.all && block.names.length === 0) return 'lists no Workers';
    const reasons = [
      'not connected',
      `without ${capacity} MiB free`,
      `over capacity_used ${block.capacityUsedPercent}%`,
      `at max_concurrent_invocations ${block.maxConcurrent}`,
      ...block.affinity.map((t) => `not running "${t}" (affinity)`),
      ...block.antiAffinity.map((t) => `running "${t}" (anti-affinity)`),
      'valid',
    ];
    const counts = new Array<number>(reasons.length).fill(0);
    const shown: string[][] = reasons.map(() => []);
    const add = (reason: number, name: string): void => {
      if (counts[reason]!++ < NAMES_SHOWN) shown[reason]!.push(`"${name}"`);
    };
    if (block.all) {
      for (const w of workers) add(reasonCode(w, capacity, block), w.name);
    } else {
      block.names.forEach((name, k) => {
        const i = this.slots[block.ids[k]!]!;
        add(i < 0 ? 0 : reasonCode(workers[i]!, capacity, block), name);
      });
    }
    const groups: string[] = [];
    counts.forEach((count, reason) => {
      if (count === 0) return;
      const more = count > NAMES_SHOWN ? ` and ${count - NAMES_SHOWN} more` : '';
      groups.push(`${reasons[reason]}: ${shown[reason]!.join(', ')}${more}`);
    });
    return groups.join(', ');
  }
}

/** Affinity checked by map lookups, for scripts with more affinity tags than a mask holds. */
function satisfiesAffinity(w: WorkerView, block: CompiledBlock): boolean {
  const running = w.runningTags;
  for (const t of block.affinity) if (!((running.get(t) ?? 0) > 0)) return false;
  for (const t of block.antiAffinity) if ((running.get(t) ?? 0) > 0) return false;
  return true;
}

/**
 * Why one Worker is not valid for a block, as an index into the reasons of `explainBlock`: the
 * first rule it breaks, in the order `pick` checks them.
 */
function reasonCode(w: WorkerView, capacity: number, block: CompiledBlock): number {
  if (w.memoryFreeMiB < capacity) return 1;
  const percent = block.capacityUsedPercent;
  if (percent >= 0 && (w.memoryTotalMiB - w.memoryFreeMiB + capacity) * 100 > percent * w.memoryTotalMiB)
    return 2;
  if (w.inFlight >= block.maxConcurrent) return 3;
  const { affinity, antiAffinity } = block;
  for (let j = 0; j < affinity.length; j++) if (!((w.runningTags.get(affinity[j]!) ?? 0) > 0)) return 4 + j;
  for (let j = 0; j < antiAffinity.length; j++) {
    if ((w.runningTags.get(antiAffinity[j]!) ?? 0) > 0) return 4 + affinity.length + j;
  }
  return 4 + affinity.length + antiAffinity.length;
}
