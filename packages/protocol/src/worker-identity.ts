/**
 * What a Worker may call itself: the Worker checks its own name and tag at start, the Core checks
 * them again at join (a Worker of another version may send anything). APP scripts refer to Workers
 * by these names (docs/scheduling.md).
 */
import { NAME_MAX_LENGTH } from './abi.js';

/** A Worker name: 1-160 letters, digits, `_`, `.` or `-` (a host name fits). */
export const WORKER_NAME_PATTERN = new RegExp(`^[A-Za-z0-9_.-]{1,${NAME_MAX_LENGTH}}$`);
/** The name rule, as messages state it ("Worker name must be …"). */
export const WORKER_NAME_RULE = `1-${NAME_MAX_LENGTH} letters, digits, _, . or -`;
/** The tag rule, as messages state it ("Worker tag must be …"). */
export const WORKER_TAG_RULE = `1-${NAME_MAX_LENGTH} characters`;

/** Whether `name` follows {@link WORKER_NAME_RULE}. */
export function isWorkerName(name: unknown): name is string {
  return typeof name === 'string' && WORKER_NAME_PATTERN.test(name);
}

/** Whether `tag` follows {@link WORKER_TAG_RULE}. */
export function isWorkerTag(tag: unknown): tag is string {
  return typeof tag === 'string' && tag.length >= 1 && tag.length <= NAME_MAX_LENGTH;
}
