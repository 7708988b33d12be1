// {{name}}: a FunLess function in AssemblyScript.
// Build: fl fn build .   Deploy: fl fn create {{name}} .   Run: fl fn invoke {{name}} -a name=Test
import { JSON, run, fail, log } from '@funless/sdk-assemblyscript';

// The platform calls __invoke once per invocation; `run` reads the JSON arguments, calls your
// handler and hands its result (or its failure) back.
export function __invoke(len: i32): i32 {
  return run(len, handle);
}

function handle(input: JSON.Obj): JSON.Value {
  const name = input.getString('name');
  if (name == null) return fail('missing argument: name');
  log('greeting ' + name);
  return JSON.obj().setString('payload', 'Hello ' + name + '!');
}
