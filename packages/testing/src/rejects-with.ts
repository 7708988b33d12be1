import assert from 'node:assert/strict';

import { FlError } from '@funless/protocol';

/** Asserts that `promise` rejects with an `FlError` of `code`, its message matching `pattern` if given. */
export function rejectsWith(promise: Promise<unknown>, code: string, pattern?: RegExp): Promise<void> {
  return assert.rejects(promise, (error: unknown) => {
    assert.ok(error instanceof FlError, String(error));
    assert.equal(error.code, code, error.message);
    if (pattern) assert.match(error.message, pattern);
    return true;
  });
}
