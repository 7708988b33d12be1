// The runtime API of JavaScript functions (docs/functions.md, "JavaScript and TypeScript"):
// console, fetch, and the calling convention. engine.c evaluates this script before the bundle;
// its value is a function taking the host's native functions and returning link(), which picks
// the function out of the bundle and returns invoke(inputText).
(function (host) {
  'use strict';

  const METHODS = { GET: 0, POST: 1, PUT: 2, DELETE: 3 };
  /** The response body a request may receive, unless it asks for another bound. */
  const DEFAULT_MAX_RESPONSE_BYTES = 1024 * 1024;

  /** How console shows a value: strings as they are, errors with their stack, the rest as JSON. */
  function show(value) {
    if (typeof value === 'string') return value;
    if (value instanceof Error) return value.stack ? `${value}\n${value.stack}`.trimEnd() : String(value);
    if (typeof value === 'function') return `[Function ${value.name || '(anonymous)'}]`;
    if (typeof value === 'bigint') return `${value}n`;
    if (typeof value === 'object' && value !== null) {
      try {
        const json = JSON.stringify(value);
        if (json !== undefined) return json;
      } catch {
        // a cycle or a BigInt inside: fall back to String()
      }
    }
    return String(value);
  }

  function logger(stream) {
    return (...args) => {
      for (const line of args.map(show).join(' ').split('\n')) host.log(stream, line);
    };
  }

  const log = logger(1);
  const error = logger(2);
  globalThis.console = { log, info: log, debug: log, trace: log, warn: error, error };

  /** The headers of a request or response, names compared without case. */
  class Headers {
    #map = new Map();
    constructor(init) {
      if (init == null) return;
      const entries =
        init instanceof Headers ? init.entries() : Array.isArray(init) ? init : Object.entries(init);
      for (const [name, value] of entries) this.set(name, value);
    }
    get(name) {
      const entry = this.#map.get(String(name).toLowerCase());
      return entry === undefined ? null : entry[1];
    }
    has(name) {
      return this.#map.has(String(name).toLowerCase());
    }
    set(name, value) {
      const key = String(name);
      if (!/^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/.test(key)) throw new TypeError(`invalid header name: ${key}`);
      const text = String(value);
      if (/[\r\n]/.test(text)) throw new TypeError(`invalid value for header ${key}: it has a line break`);
      this.#map.set(key.toLowerCase(), [key, text]);
    }
    delete(name) {
      this.#map.delete(String(name).toLowerCase());
    }
    *entries() {
      for (const [key, value] of this.#map.values()) yield [key, value];
    }
    [Symbol.iterator]() {
      return this.entries();
    }
  }

  /** What fetch resolves to. The platform passes no response headers to functions. */
  class Response {
    #body;
    constructor(status, body, url) {
      this.status = status;
      this.ok = status >= 200 && status < 300;
      this.url = url;
      this.headers = new Headers();
      this.#body = body;
    }
    async text() {
      return this.#body;
    }
    async json() {
      return JSON.parse(this.#body);
    }
  }

  /**
   * fetch(url, { method, headers, body, maxResponseBytes }): the request runs synchronously
   * underneath (the engine waits for the answer), and the promise is settled when it returns. A
   * failed request (not allowed, network error, timeout, body larger than maxResponseBytes)
   * rejects with a TypeError; the platform writes why into the invocation's logs.
   */
  function fetch(resource, options = {}) {
    return new Promise((resolve) => {
      const url = String(resource);
      const method = String(options.method ?? 'GET').toUpperCase();
      if (!(method in METHODS)) {
        throw new TypeError(`fetch: method ${method} is not available: use GET, POST, PUT or DELETE`);
      }
      const headers = [...new Headers(options.headers)].map(([k, v]) => `${k}:${v}`).join('\n');
      const body = options.body == null ? '' : String(options.body);
      const max = options.maxResponseBytes ?? DEFAULT_MAX_RESPONSE_BYTES;
      const [status, text] = host.http(METHODS[method], url, headers, body, max);
      if (status === 0) throw new TypeError(`fetch ${method} ${url} failed (the invocation's logs say why)`);
      resolve(new Response(status, text, url));
    });
  }

  globalThis.fetch = fetch;
  globalThis.Headers = Headers;
  globalThis.Response = Response;

  const NOT_JSON = 'the function returned a value that is not JSON-serialisable';

  /** The result as JSON text, or a message saying why it cannot be one. */
  function serialise(value) {
    if (value === undefined) return [undefined, `${NOT_JSON}: undefined (return a value, e.g. {} or null)`];
    if (typeof value === 'function') return [undefined, `${NOT_JSON}: a function`];
    if (typeof value === 'symbol') return [undefined, `${NOT_JSON}: a symbol`];
    try {
      return [JSON.stringify(value), undefined];
    } catch (e) {
      const message = String(e?.message ?? e);
      if (/bigint/i.test(message)) return [undefined, `${NOT_JSON}: it contains a BigInt (${message})`];
      if (/circular/i.test(message)) return [undefined, `${NOT_JSON}: it contains a cycle (${message})`];
      return [undefined, `${NOT_JSON}: ${e}`];
    }
  }

  function settle(value) {
    const [json, problem] = serialise(value);
    if (problem === undefined) host.respond(json);
    else host.fail(problem);
  }

  function failed(e) {
    if (e instanceof Error && e.stack) error(e);
    host.fail(String(e));
  }

  return function link() {
    // The bundle's exports (esbuild's iife format, globalName __fl_module).
    const module = globalThis.__fl_module;
    const main = typeof module?.default === 'function' ? module.default : module?.main;
    if (typeof main !== 'function') {
      const got =
        module?.default !== undefined
          ? `its default export is ${typeof module.default}`
          : `its main export is ${typeof module?.main}`;
      throw new TypeError(`the function module must export a function as default or as main: ${got}`);
    }
    return function invoke(input) {
      let out;
      try {
        out = main(JSON.parse(input));
      } catch (e) {
        failed(e);
        return;
      }
      if (out !== null && typeof out === 'object' && typeof out.then === 'function') out.then(settle, failed);
      else settle(out);
    };
  };
});
