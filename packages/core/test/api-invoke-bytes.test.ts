// The invoke route hands the cluster the exact bytes of `args` and answers the exact bytes of the
// result: nothing between the client and the guest re-encodes them.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';

import { INVOCATION_LIMITS } from '@funless/protocol';
import { watFixture } from '@funless/testing';

import type { ClusterFunction, InvokeOptions } from '../src/cluster/index.js';
import { RecordingCluster } from './support/recording-cluster.js';
import { createTestCore } from './support/test-core.js';
import type { TestCore } from './support/test-core.js';

/** Records like `RecordingCluster` and answers each invocation with its own input bytes. */
class BytesEchoCluster extends RecordingCluster {
  constructor() {
    super(() => Promise.resolve(null));
  }

  override async invoke(
    fn: ClusterFunction,
    input: Uint8Array,
    options?: InvokeOptions,
  ): Promise<Uint8Array> {
    this.invocations.push({ fn, args: undefined, input, options });
    return Promise.resolve(input);
  }
}

describe('invoke passes args and results as bytes', () => {
  const cluster = new BytesEchoCluster();
  let core: TestCore;
  const url = '/v1/fn/_/echo';
  const post = (body: string | Buffer) =>
    core.request('POST', url, { body, headers: { 'content-type': 'application/json' } });

  before(async () => {
    core = await createTestCore('sqlite', { cluster });
    const created = await core.request('POST', '/v1/fn/_', {
      form: { name: 'echo', code: await watFixture('hello') },
    });
    assert.equal(created.status, 201, created.body);
  });
  after(() => core.close());

  test('the exact bytes of args reach the cluster, and its bytes are the answer', async () => {
    const args = '{ "n" : 12345678901234567890, "s": "caf\\u00e9 \\"}\\"", "deep": [[[]]] }';
    const res = await post(`{"scheduling":{"language":"none"},"args":${args}}`);
    assert.equal(res.status, 200, res.body);
    assert.equal(res.body, `{"data":${args}}`);
    assert.match(String(res.headers['content-type']), /^application\/json/);
    assert.equal(Buffer.from(cluster.invocations.at(-1)!.input).toString(), args);
  });

  test('no body, an empty body, one of only whitespace, {} and "args": null all pass {}', async () => {
    for (const body of ['', '\t \n', '{}', '{"args":null}']) {
      const res = await post(body);
      assert.equal(res.status, 200, res.body);
      assert.equal(res.body, '{"data":{}}');
    }
  });

  test('a body that is not UTF-8 is a 400 saying so', async () => {
    const res = await post(
      Buffer.from([0x7b, 0x22, 0x61, 0x72, 0x67, 0x73, 0x22, 0x3a, 0x22, 0xff, 0x22, 0x7d]),
    );
    assert.equal(res.status, 400);
    assert.match(res.body, /malformed JSON body: it is not valid UTF-8/);
  });

  test('args over the input limit are a 413 naming the limit; the cluster is not asked', async () => {
    const before = cluster.invocations.length;
    const args = `{"x":"${'a'.repeat(INVOCATION_LIMITS.maxInputBytes)}"}`;
    const res = await post(`{"args":${args}}`);
    assert.equal(res.status, 413);
    assert.match(
      res.body,
      new RegExp(
        `args of ${args.length} bytes are larger than the input limit of ${INVOCATION_LIMITS.maxInputBytes} bytes`,
      ),
    );
    assert.equal(cluster.invocations.length, before);
  });
});
