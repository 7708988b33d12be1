import type { FunctionRecord, ModuleRecord } from '../store/index.js';

/** A function as the API shows it. */
export interface FunctionJson {
  name: string;
  module: string;
  /** Hex SHA-256 of the code. */
  hash: string;
  /** Code size in bytes. */
  size: number;
  metadata: { tag: string; capacity: number };
  created_at: string;
  updated_at: string;
}

export function functionJson(fn: FunctionRecord): FunctionJson {
  return {
    name: fn.name,
    module: fn.module,
    hash: fn.hash,
    size: fn.size,
    metadata: { tag: fn.metadata.tag, capacity: fn.metadata.capacityMiB },
    created_at: fn.createdAt.toISOString(),
    updated_at: fn.updatedAt.toISOString(),
  };
}

export function moduleJson(module: ModuleRecord): { name: string } {
  return { name: module.name };
}
