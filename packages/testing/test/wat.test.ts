import assert from 'node:assert/strict';
import { test } from 'node:test';

import { watFixture } from '../src/index.js';

test('the hello fixture answers Hello <name>! through the FunLess ABI', async () => {
  const bytes = await watFixture('hello');
  const input = new TextEncoder().encode(JSON.stringify({ name: 'Test' }));
  let response = '';
  const memoryRef: { current?: WebAssembly.Memory } = {};
  const view = () => new Uint8Array(memoryRef.current!.buffer);
  const { instance } = await WebAssembly.instantiate(bytes, {
    fl_imps: {
      __get_input_data: (ptr: number) => view().set(input, ptr),
      __insert_response: (ptr: number, len: number) => {
        response = new TextDecoder().decode(view().subarray(ptr, ptr + len));
      },
    },
  });
  memoryRef.current = instance.exports.memory as WebAssembly.Memory;
  const code = (instance.exports.__invoke as (len: number) => number)(input.length);
  assert.equal(code, 0);
  assert.deepEqual(JSON.parse(response), { payload: 'Hello Test!' });
});
