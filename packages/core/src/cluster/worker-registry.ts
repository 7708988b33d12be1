import type { WorkerView } from '../scheduling/types.js';
import type { WorkerInfo } from './cluster.js';

/** What a Worker says about itself when it joins. */
export interface WorkerJoin {
  name: string;
  tag: string;
  memoryTotalMiB: number;
  memoryFreeMiB: number;
  threads: number;
  version: string;
}

/** A resource report from a Worker. */
export interface WorkerReport {
  memoryTotalMiB: number;
  /** Free memory on the Worker at report time, in MiB. */
  memoryFreeMiB: number;
  /** Capacity held at report time by invocations this Core placed, in MiB. */
  reservedMiB: number;
  /** Share of the machine's CPU busy since the Worker's previous sample, 0 to 1. */
  cpuUse?: number;
  /** The machine's load average over 1, 5 and 15 minutes. */
  loadAverage1?: number;
  loadAverage5?: number;
  loadAverage15?: number;
}

/** A function being placed or finished, as the accounting needs it. */
export interface Placed {
  tag: string;
  capacityMiB: number;
}

/** What `reserve` took, to give back with `release`. */
export interface Reservation {
  readonly placed: Placed;
  released: boolean;
}

interface HeldReservation extends Reservation {
  entry: Entry;
}

interface Entry {
  join: WorkerJoin;
  /** The view handed to policies; mutated in place so that `views()` allocates nothing. */
  view: WorkerView & { runningTags: Map<string, number> };
  /** Free memory if this Core had nothing running there, from the last report, in MiB. */
  baselineFreeMiB: number;
  /** Capacity of this Core's invocations in flight on the Worker, in MiB. */
  reservedMiB: number;
  reportAt: number;
  /** CPU use and load averages from the last report; null until the first one. */
  cpuUse: number | null;
  loadAverage: [number, number, number] | null;
}

/**
 * The Workers joined to this Core, with their last report plus what the Core has placed on them
 * since. Free memory for a decision is the report's baseline (free memory plus the capacity this
 * Core had reserved at report time) minus what this Core has in flight now, so a burst of
 * placements between two reports never oversubscribes a Worker, and finished invocations give
 * their memory back at once instead of at the next report.
 */
export class WorkerRegistry {
  readonly #entries = new Map<string, Entry>();
  #views: WorkerView[] | undefined;

  constructor(private readonly now: () => number = Date.now) {}

  get size(): number {
    return this.#entries.size;
  }

  has(name: string): boolean {
    return this.#entries.has(name);
  }

  /** Adds a Worker (or resets one that rejoined) with nothing placed on it. */
  add(join: WorkerJoin): void {
    const total = nonNegative(join.memoryTotalMiB);
    const free = clamp(join.memoryFreeMiB, total);
    this.#entries.set(join.name, {
      join,
      view: {
        name: join.name,
        tag: join.tag,
        memoryTotalMiB: total,
        memoryFreeMiB: free,
        inFlight: 0,
        runningTags: new Map(),
      },
      baselineFreeMiB: free,
      reservedMiB: 0,
      reportAt: this.now(),
      cpuUse: null,
      loadAverage: null,
    });
    this.#views = undefined;
  }

  remove(name: string): boolean {
    const removed = this.#entries.delete(name);
    if (removed) this.#views = undefined;
    return removed;
  }

  report(name: string, report: WorkerReport): void {
    const entry = this.#entries.get(name);
    if (!entry) return;
    const total = nonNegative(report.memoryTotalMiB);
    entry.view.memoryTotalMiB = total;
    entry.baselineFreeMiB = clamp(report.memoryFreeMiB + nonNegative(report.reservedMiB), total);
    entry.reportAt = this.now();
    if (report.cpuUse !== undefined) entry.cpuUse = report.cpuUse;
    if (report.loadAverage1 !== undefined) {
      entry.loadAverage = [report.loadAverage1, report.loadAverage5 ?? 0, report.loadAverage15 ?? 0];
    }
    this.#refreshFree(entry);
  }

  /**
   * Accounts for an invocation placed on `name`. Returns the reservation to `release` when the
   * invocation ends (however it ends); undefined for an unknown Worker.
   */
  reserve(name: string, placed: Placed): Reservation | undefined {
    const entry = this.#entries.get(name);
    if (!entry) return undefined;
    entry.reservedMiB += placed.capacityMiB;
    entry.view.inFlight++;
    entry.view.runningTags.set(placed.tag, (entry.view.runningTags.get(placed.tag) ?? 0) + 1);
    this.#refreshFree(entry);
    const reservation: HeldReservation = { entry, placed, released: false };
    return reservation;
  }

  /**
   * Gives back what `reserve` took. Bound to the Worker's entry at reservation time: a Worker that
   * rejoined meanwhile has a fresh account that a late release must not touch. Idempotent.
   */
  release(reservation: Reservation | undefined): void {
    if (!reservation || reservation.released) return;
    reservation.released = true;
    const { entry, placed } = reservation as HeldReservation;
    entry.reservedMiB = Math.max(0, entry.reservedMiB - placed.capacityMiB);
    entry.view.inFlight = Math.max(0, entry.view.inFlight - 1);
    const count = (entry.view.runningTags.get(placed.tag) ?? 0) - 1;
    if (count > 0) entry.view.runningTags.set(placed.tag, count);
    else entry.view.runningTags.delete(placed.tag);
    this.#refreshFree(entry);
  }

  /** The Workers as policies see them, in join order. The array and views are live: read, never keep. */
  views(): readonly WorkerView[] {
    this.#views ??= [...this.#entries.values()].map((e) => e.view);
    return this.#views;
  }

  /** The Workers as `GET /v1/workers` shows them. */
  info(): WorkerInfo[] {
    const now = this.now();
    return [...this.#entries.values()].map((e) => ({
      name: e.view.name,
      tag: e.view.tag,
      memoryTotalMiB: e.view.memoryTotalMiB,
      memoryFreeMiB: e.view.memoryFreeMiB,
      inFlight: e.view.inFlight,
      threads: e.join.threads,
      runningTags: [...e.view.runningTags.keys()].sort(),
      secondsSinceReport: Math.max(0, Math.floor((now - e.reportAt) / 1000)),
      cpuUse: e.cpuUse,
      loadAverage: e.loadAverage,
    }));
  }

  #refreshFree(entry: Entry): void {
    entry.view.memoryFreeMiB = clamp(entry.baselineFreeMiB - entry.reservedMiB, entry.view.memoryTotalMiB);
  }
}

function nonNegative(n: number): number {
  return Number.isFinite(n) && n > 0 ? n : 0;
}

function clamp(n: number, max: number): number {
  return Math.min(nonNegative(n), max);
}
