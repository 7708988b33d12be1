import { readFile } from 'node:fs/promises';

import wabtInit from 'wabt';

type Wabt = Awaited<ReturnType<typeof wabtInit>>;
let wabt: Promise<Wabt> | undefined;

/** Compiles WebAssembly text to a binary with wabt (all post-MVP features on). */
export async function wat(source: string, filename = 'inline.wat'): Promise<Uint8Array> {
  wabt ??= wabtInit();
  const module = (await wabt).parseWat(filename, source, {
    bulk_memory: true,
    mutable_globals: true,
    sign_extension: true,
    sat_float_to_int: true,
    multi_value: true,
  });
  try {
    module.resolveNames();
    module.validate();
    return Uint8Array.from(module.toBinary({}).buffer);
  } finally {
    module.destroy();
  }
}

const fixturesDir = new URL('../../fixtures/', import.meta.url);

/** Compiles `fixtures/wat/<name>.wat`. */
export async function watFixture(name: string): Promise<Uint8Array> {
  const source = await readFile(new URL(`wat/${name}.wat`, fixturesDir), 'utf8');
  return wat(source, `${name}.wat`);
}
