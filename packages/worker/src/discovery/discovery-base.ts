import { EventEmitter } from 'node:events';

import type { Discovery, DiscoveryEvents, DiscoveryKind } from './discovery.js';

/** The bookkeeping every implementation shares: the known set, and events only on changes. */
export abstract class DiscoveryBase extends EventEmitter<DiscoveryEvents> implements Discovery {
  abstract readonly kind: DiscoveryKind;
  readonly #known = new Set<string>();
  protected closed = false;

  abstract start(): Promise<void>;
  abstract close(): Promise<void>;

  urls(): string[] {
    return [...this.#known];
  }

  protected has(url: string): boolean {
    return this.#known.has(url);
  }

  /** Records `url` and emits `found` if it is new. */
  protected add(url: string): void {
    if (this.closed || this.#known.has(url)) return;
    this.#known.add(url);
    this.emit('found', url);
  }

  /** Forgets `url` and emits `lost` if it was known. */
  protected remove(url: string): void {
    if (this.closed || !this.#known.delete(url)) return;
    this.emit('lost', url);
  }
}
