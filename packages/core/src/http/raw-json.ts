/**
 * Byte-level reading of JSON that has already been parsed and checked: finds where a member's
 * value lies in the raw bytes, so that it can be passed on exactly as the client sent it (no
 * number rounded, no string re-escaped, nothing re-encoded).
 */

const QUOTE = 0x22;
const BACKSLASH = 0x5c;
const COLON = 0x3a;
const COMMA = 0x2c;
const OPEN_BRACE = 0x7b;
const CLOSE_BRACE = 0x7d;
const OPEN_BRACKET = 0x5b;
const CLOSE_BRACKET = 0x5d;

function isSpace(byte: number | undefined): boolean {
  return byte === 0x20 || byte === 0x09 || byte === 0x0a || byte === 0x0d;
}

function skipSpace(bytes: Uint8Array, i: number): number {
  while (isSpace(bytes[i])) i++;
  return i;
}

/** From the opening quote of a string to just past its closing quote. */
function skipString(bytes: Uint8Array, i: number): number {
  for (i++; i < bytes.length; i++) {
    const byte = bytes[i];
    if (byte === BACKSLASH) i++;
    else if (byte === QUOTE) return i + 1;
  }
  return i;
}

/** From the first byte of a value to just past its last. */
function skipValue(bytes: Uint8Array, i: number): number {
  const first = bytes[i];
  if (first === QUOTE) return skipString(bytes, i);
  if (first !== OPEN_BRACE && first !== OPEN_BRACKET) {
    // A number, true, false or null: runs to the next delimiter.
    while (i < bytes.length) {
      const byte = bytes[i];
      if (byte === COMMA || byte === CLOSE_BRACE || byte === CLOSE_BRACKET || isSpace(byte)) break;
      i++;
    }
    return i;
  }
  // Nesting is counted, not recursed into: no depth overflows this.
  let depth = 0;
  while (i < bytes.length) {
    const byte = bytes[i];
    if (byte === QUOTE) {
      i = skipString(bytes, i);
      continue;
    }
    if (byte === OPEN_BRACE || byte === OPEN_BRACKET) depth++;
    else if (byte === CLOSE_BRACE || byte === CLOSE_BRACKET) {
      depth--;
      if (depth === 0) return i + 1;
    }
    i++;
  }
  return i;
}

const decoder = new TextDecoder();
const encoder = new TextEncoder();
/** Keys as they are written without escapes, quotes included: a route asks for one or two. */
const quotedKeys = new Map<string, Uint8Array>();

/** True when `json[start, end)` is exactly `key`'s bytes. */
function keyIs(json: Uint8Array, start: number, end: number, key: Uint8Array): boolean {
  if (end - start !== key.length) return false;
  for (let j = 0; j < key.length; j++) if (json[start + j] !== key[j]) return false;
  return true;
}

function hasEscape(json: Uint8Array, start: number, end: number): boolean {
  for (let j = start; j < end; j++) if (json[j] === BACKSLASH) return true;
  return false;
}

/**
 * The raw bytes of the value of member `key` of the top-level object in `json`, or `undefined`
 * when it has none. `json` must be valid JSON whose top level is an object (parse and check it
 * first): this only finds boundaries. Like `JSON.parse`, the last of duplicate keys wins, and a
 * key written with escapes (`"\u0061rgs"`) is the key it spells. Returns a view, not a copy.
 */
export function jsonMemberBytes(json: Uint8Array, key: string): Uint8Array | undefined {
  let quoted = quotedKeys.get(key);
  if (!quoted) {
    quoted = encoder.encode(JSON.stringify(key));
    if (quotedKeys.size < 16) quotedKeys.set(key, quoted);
  }
  let foundStart = -1;
  let foundEnd = -1;
  let i = skipSpace(json, 0);
  if (json[i] === OPEN_BRACE) {
    i++;
    for (;;) {
      i = skipSpace(json, i);
      if (json[i] !== QUOTE) break;
      const keyStart = i;
      i = skipString(json, i);
      const matches = hasEscape(json, keyStart, i)
        ? JSON.parse(decoder.decode(json.subarray(keyStart, i))) === key
        : keyIs(json, keyStart, i, quoted);
      i = skipSpace(json, i);
      if (json[i] !== COLON) break;
      i = skipSpace(json, i + 1);
      const valueStart = i;
      i = skipValue(json, i);
      if (matches) {
        foundStart = valueStart;
        foundEnd = i;
      }
      i = skipSpace(json, i);
      if (json[i] !== COMMA) break;
      i++;
    }
  }
  return foundStart < 0 ? undefined : json.subarray(foundStart, foundEnd);
}
