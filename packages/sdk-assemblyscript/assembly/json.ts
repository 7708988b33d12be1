// A small JSON model, parser and serialiser: enough for function inputs and results, with no
// dependency beyond the AssemblyScript standard library.

export namespace JSON {
  /** What a `Value` holds. */
  export const enum Kind {
    Null = 0,
    Bool = 1,
    Num = 2,
    Str = 3,
    Arr = 4,
    Obj = 5,
  }

  /** Any JSON value. Use the `is*` checks and `as*` casts, or `instanceof`. */
  export abstract class Value {
    constructor(public readonly kind: Kind) {}

    get isNull(): bool {
      return this.kind == Kind.Null;
    }
    get isBool(): bool {
      return this.kind == Kind.Bool;
    }
    get isNum(): bool {
      return this.kind == Kind.Num;
    }
    get isStr(): bool {
      return this.kind == Kind.Str;
    }
    get isArr(): bool {
      return this.kind == Kind.Arr;
    }
    get isObj(): bool {
      return this.kind == Kind.Obj;
    }

    /** This value as a `Str`, or null when it is something else. */
    asStr(): Str | null {
      return this.kind == Kind.Str ? changetype<Str>(this) : null;
    }
    asNum(): Num | null {
      return this.kind == Kind.Num ? changetype<Num>(this) : null;
    }
    asBool(): Bool | null {
      return this.kind == Kind.Bool ? changetype<Bool>(this) : null;
    }
    asArr(): Arr | null {
      return this.kind == Kind.Arr ? changetype<Arr>(this) : null;
    }
    asObj(): Obj | null {
      return this.kind == Kind.Obj ? changetype<Obj>(this) : null;
    }

    /** The JSON text of this value. */
    abstract stringify(): string;

    toString(): string {
      return this.stringify();
    }
  }

  export class Null extends Value {
    constructor() {
      super(Kind.Null);
    }
    stringify(): string {
      return 'null';
    }
  }

  export class Bool extends Value {
    constructor(public value: bool) {
      super(Kind.Bool);
    }
    stringify(): string {
      return this.value ? 'true' : 'false';
    }
  }

  export class Num extends Value {
    constructor(public value: f64) {
      super(Kind.Num);
    }
    stringify(): string {
      return formatNumber(this.value);
    }
  }

  export class Str extends Value {
    constructor(public value: string) {
      super(Kind.Str);
    }
    stringify(): string {
      return quote(this.value);
    }
  }

  export class Arr extends Value {
    items: Value[] = [];
    constructor() {
      super(Kind.Arr);
    }
    get length(): i32 {
      return this.items.length;
    }
    /** The item at `index`, or null when out of range. */
    at(index: i32): Value | null {
      return index >= 0 && index < this.items.length ? this.items[index] : null;
    }
    /** Appends `value`; returns this array so calls chain. */
    push(value: Value): Arr {
      this.items.push(value);
      return this;
    }
    stringify(): string {
      const parts = new Array<string>(this.items.length);
      for (let i = 0; i < this.items.length; i++) parts[i] = this.items[i].stringify();
      return '[' + parts.join(',') + ']';
    }
  }

  export class Obj extends Value {
    /** Keys in insertion order. */
    keys: string[] = [];
    private values: Map<string, Value> = new Map();
    constructor() {
      super(Kind.Obj);
    }
    has(key: string): bool {
      return this.values.has(key);
    }
    /** The value at `key`, or null when absent. */
    get(key: string): Value | null {
      return this.values.has(key) ? this.values.get(key) : null;
    }
    /** Sets `key`; returns this object so calls chain. */
    set(key: string, value: Value): Obj {
      if (!this.values.has(key)) this.keys.push(key);
      this.values.set(key, value);
      return this;
    }
    /** The string at `key`, or null when absent or not a string. */
    getString(key: string): string | null {
      const value = this.get(key);
      if (value == null) return null;
      const str = value.asStr();
      return str == null ? null : str.value;
    }
    /** The number at `key`, or `fallback` when absent or not a number. */
    getNumber(key: string, fallback: f64 = NaN): f64 {
      const value = this.get(key);
      if (value == null) return fallback;
      const num = value.asNum();
      return num == null ? fallback : num.value;
    }
    /** The boolean at `key`, or `fallback` when absent or not a boolean. */
    getBool(key: string, fallback: bool = false): bool {
      const value = this.get(key);
      if (value == null) return fallback;
      const b = value.asBool();
      return b == null ? fallback : b.value;
    }
    getObj(key: string): Obj | null {
      const value = this.get(key);
      return value == null ? null : value.asObj();
    }
    getArr(key: string): Arr | null {
      const value = this.get(key);
      return value == null ? null : value.asArr();
    }
    setString(key: string, value: string): Obj {
      return this.set(key, new Str(value));
    }
    setNumber(key: string, value: f64): Obj {
      return this.set(key, new Num(value));
    }
    setBool(key: string, value: bool): Obj {
      return this.set(key, new Bool(value));
    }
    stringify(): string {
      const parts = new Array<string>(this.keys.length);
      for (let i = 0; i < this.keys.length; i++) {
        const key = this.keys[i];
        parts[i] = quote(key) + ':' + this.values.get(key).stringify();
      }
      return '{' + parts.join(',') + '}';
    }
  }

  // Shorthands to build results: JSON.obj().set("payload", JSON.str("hi")).
  export function obj(): Obj {
    return new Obj();
  }
  export function arr(): Arr {
    return new Arr();
  }
  export function str(value: string): Str {
    return new Str(value);
  }
  export function num(value: f64): Num {
    return new Num(value);
  }
  export function boolean(value: bool): Bool {
    return new Bool(value);
  }
  export function nul(): Null {
    return new Null();
  }

  let parseError: string = '';

  /** Why the last `parse` returned null. */
  export function lastError(): string {
    return parseError;
  }

  /** Parses JSON text; returns null on a syntax error (see `lastError()`). */
  export function parse(text: string): Value | null {
    const parser = new Parser(text);
    parser.skipSpace();
    const value = parser.value(0);
    if (value == null) {
      parseError = parser.error;
      return null;
    }
    parser.skipSpace();
    if (parser.pos < text.length) {
      parseError = 'unexpected text after the JSON value at offset ' + parser.pos.toString();
      return null;
    }
    return value;
  }

  /** The JSON text of `value`. */
  export function stringify(value: Value): string {
    return value.stringify();
  }

  // Nesting deeper than this is refused rather than overflowing the stack.
  const MAX_DEPTH: i32 = 512;

  class Parser {
    pos: i32 = 0;
    error: string = '';
    constructor(public text: string) {}

    fail(what: string): Value | null {
      if (this.error.length == 0) this.error = what + ' at offset ' + this.pos.toString();
      return null;
    }

    skipSpace(): void {
      while (this.pos < this.text.length) {
        const c = this.text.charCodeAt(this.pos);
        if (c != 0x20 && c != 0x0a && c != 0x0d && c != 0x09) break;
        this.pos++;
      }
    }

    literal(word: string, value: Value): Value | null {
      if (this.text.substr(this.pos, word.length) != word) return this.fail('invalid literal');
      this.pos += word.length;
      return value;
    }

    value(depth: i32): Value | null {
      if (depth > MAX_DEPTH) return this.fail('nesting too deep');
      if (this.pos >= this.text.length) return this.fail('unexpected end of input');
      const c = this.text.charCodeAt(this.pos);
      if (c == 0x7b) return this.object(depth);
      if (c == 0x5b) return this.array(depth);
      if (c == 0x22) {
        const s = this.string();
        return s == null ? null : new Str(s);
      }
      if (c == 0x74) return this.literal('true', new Bool(true));
      if (c == 0x66) return this.literal('false', new Bool(false));
      if (c == 0x6e) return this.literal('null', new Null());
      if (c == 0x2d || (c >= 0x30 && c <= 0x39)) return this.number();
      return this.fail('unexpected character');
    }

    number(): Value | null {
      const start = this.pos;
      if (this.text.charCodeAt(this.pos) == 0x2d) this.pos++;
      let digits = 0;
      while (this.pos < this.text.length) {
        const c = this.text.charCodeAt(this.pos);
        if ((c >= 0x30 && c <= 0x39) || c == 0x2e || c == 0x65 || c == 0x45 || c == 0x2b || c == 0x2d) {
          if (c >= 0x30 && c <= 0x39) digits++;
          this.pos++;
        } else break;
      }
      if (digits == 0) return this.fail('invalid number');
      const n = parseFloat(this.text.substring(start, this.pos));
      if (isNaN(n)) return this.fail('invalid number');
      return new Num(n);
    }

    // Returns null on error (with `error` set); the empty string is a valid result.
    string(): string | null {
      this.pos++; // opening quote
      let out = '';
      let runStart = this.pos;
      while (true) {
        if (this.pos >= this.text.length) {
          this.fail('unterminated string');
          return null;
        }
        const c = this.text.charCodeAt(this.pos);
        if (c == 0x22) {
          out += this.text.substring(runStart, this.pos);
          this.pos++;
          return out;
        }
        if (c < 0x20) {
          this.fail('control character in string');
          return null;
        }
        if (c != 0x5c) {
          this.pos++;
          continue;
        }
        out += this.text.substring(runStart, this.pos);
        this.pos++;
        if (this.pos >= this.text.length) {
          this.fail('unterminated string');
          return null;
        }
        const e = this.text.charCodeAt(this.pos);
        this.pos++;
        if (e == 0x22) out += '"';
        else if (e == 0x5c) out += '\\';
        else if (e == 0x2f) out += '/';
        else if (e == 0x62) out += '\b';
        else if (e == 0x66) out += '\f';
        else if (e == 0x6e) out += '\n';
        else if (e == 0x72) out += '\r';
        else if (e == 0x74) out += '\t';
        else if (e == 0x75) {
          if (this.pos + 4 > this.text.length) {
            this.fail('invalid \\u escape');
            return null;
          }
          const code = parseInt(this.text.substr(this.pos, 4), 16);
          if (isNaN(code)) {
            this.fail('invalid \\u escape');
            return null;
          }
          out += String.fromCharCode(<i32>code);
          this.pos += 4;
        } else {
          this.pos--;
          this.fail('invalid escape');
          return null;
        }
        runStart = this.pos;
      }
    }

    array(depth: i32): Value | null {
      this.pos++;
      const result = new Arr();
      this.skipSpace();
      if (this.pos < this.text.length && this.text.charCodeAt(this.pos) == 0x5d) {
        this.pos++;
        return result;
      }
      while (true) {
        this.skipSpace();
        const item = this.value(depth + 1);
        if (item == null) return null;
        result.push(item);
        this.skipSpace();
        if (this.pos >= this.text.length) return this.fail('unterminated array');
        const c = this.text.charCodeAt(this.pos);
        this.pos++;
        if (c == 0x5d) return result;
        if (c != 0x2c) {
          this.pos--;
          return this.fail('expected , or ]');
        }
      }
    }

    object(depth: i32): Value | null {
      this.pos++;
      const result = new Obj();
      this.skipSpace();
      if (this.pos < this.text.length && this.text.charCodeAt(this.pos) == 0x7d) {
        this.pos++;
        return result;
      }
      while (true) {
        this.skipSpace();
        if (this.pos >= this.text.length || this.text.charCodeAt(this.pos) != 0x22) {
          return this.fail('expected a string key');
        }
        const key = this.string();
        if (key == null) return null;
        this.skipSpace();
        if (this.pos >= this.text.length || this.text.charCodeAt(this.pos) != 0x3a) {
          return this.fail('expected :');
        }
        this.pos++;
        this.skipSpace();
        const item = this.value(depth + 1);
        if (item == null) return null;
        result.set(key, item);
        this.skipSpace();
        if (this.pos >= this.text.length) return this.fail('unterminated object');
        const c = this.text.charCodeAt(this.pos);
        this.pos++;
        if (c == 0x7d) return result;
        if (c != 0x2c) {
          this.pos--;
          return this.fail('expected , or }');
        }
      }
    }
  }

  const HEX = '0123456789abcdef';

  /** `value` as a JSON string literal. */
  export function quote(value: string): string {
    let out = '"';
    let runStart = 0;
    for (let i = 0; i < value.length; i++) {
      const c = value.charCodeAt(i);
      if (c >= 0x20 && c != 0x22 && c != 0x5c) continue;
      out += value.substring(runStart, i);
      if (c == 0x22) out += '\\"';
      else if (c == 0x5c) out += '\\\\';
      else if (c == 0x0a) out += '\\n';
      else if (c == 0x0d) out += '\\r';
      else if (c == 0x09) out += '\\t';
      else if (c == 0x08) out += '\\b';
      else if (c == 0x0c) out += '\\f';
      else out += '\\u00' + HEX.charAt(c >> 4) + HEX.charAt(c & 15);
      runStart = i + 1;
    }
    return out + value.substring(runStart) + '"';
  }

  // Integers print without a fraction ("3", not "3.0"); JSON has no NaN or Infinity.
  function formatNumber(value: f64): string {
    if (!isFinite(value)) return 'null';
    if (value == Math.floor(value) && Math.abs(value) < 9007199254740992) {
      return (<i64>value).toString();
    }
    return value.toString();
  }
}
