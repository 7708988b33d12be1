/**
 * What a client sees of activation ids (docs/activations.md): the Core makes them, the CLI checks
 * an id it is given before asking for it.
 */

/** 32 lowercase hex digits: 12 of the time in ms, 20 random. */
export const ACTIVATION_ID_PATTERN = /^[0-9a-f]{32}$/;

/** The response header of an invocation that names its activation record. */
export const ACTIVATION_ID_HEADER = 'X-Fl-Activation-Id';

export function isActivationId(value: unknown): value is string {
  return typeof value === 'string' && ACTIVATION_ID_PATTERN.test(value);
}
