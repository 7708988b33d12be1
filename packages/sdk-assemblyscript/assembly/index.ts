// @funless/sdk-assemblyscript: write a FunLess function in AssemblyScript.
//
//   import { JSON, run, fail } from "@funless/sdk-assemblyscript";
//
//   export function __invoke(len: i32): i32 {
//     return run(len, handle);
//   }
//
//   function handle(input: JSON.Obj): JSON.Value {
//     const name = input.getString("name");
//     if (name == null) return fail("missing name");
//     return JSON.obj().setString("payload", "Hello " + name + "!");
//   }
//
// `fl fn build` compiles it into a FunLess-ABI module (exports `memory` and `__invoke`).
export { JSON } from './json';
export { run, runText, fail } from './invoke';
export { log } from './log';
export { http, Method, Response } from './http';
