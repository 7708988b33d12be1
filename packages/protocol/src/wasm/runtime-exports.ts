import { ExternKind, ValueType, type WasmModule } from './read-module.js';

/**
 * Exports the Worker adds to a module before compiling it, so that it can reach the memory (WASI
 * needs it even when the module keeps it private) and snapshot and restore an instance (see
 * docs/runtime.md, "Isolation"). A function may not export names with this prefix itself.
 */
export const RUNTIME_EXPORT_PREFIX = '\u0000fl.';
export const runtimeMemoryExport = `${RUNTIME_EXPORT_PREFIX}memory`;
export const runtimeGlobalExport = (index: number): string => `${RUNTIME_EXPORT_PREFIX}global.${index}`;
export const runtimeTableExport = (index: number): string => `${RUNTIME_EXPORT_PREFIX}table.${index}`;

/**
 * Most exports V8 compiles in one module (its `kV8MaxWasmExports`): the module's own exports plus
 * those the runtime adds must stay within it.
 */
export const MAX_EXPORTS = 100_000;

export interface RuntimeExport {
  name: string;
  kind: ExternKind;
  index: number;
}

/**
 * An instance of the module can be reset to its post-instantiation state by restoring memory,
 * mutable globals and tables. False when some state cannot be read back from JavaScript (passive
 * segments, v128 globals).
 */
export function isSnapshotable(module: WasmModule): boolean {
  return !module.hasPassiveSegments && !module.mutableGlobals.some((g) => g.type === ValueType.V128);
}

/**
 * The exports the Worker adds: memory 0 always; every own mutable global and table when the
 * module is snapshotable.
 */
export function runtimeExports(module: WasmModule): RuntimeExport[] {
  const out: RuntimeExport[] = [{ name: runtimeMemoryExport, kind: ExternKind.Memory, index: 0 }];
  if (isSnapshotable(module)) {
    for (const g of module.mutableGlobals) {
      out.push({ name: runtimeGlobalExport(g.index), kind: ExternKind.Global, index: g.index });
    }
    for (const t of module.tables)
      out.push({ name: runtimeTableExport(t), kind: ExternKind.Table, index: t });
  }
  return out;
}
