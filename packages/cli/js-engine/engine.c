/*
 * The FunLess ABI for JavaScript functions (docs/functions.md, "JavaScript and TypeScript"):
 * QuickJS plus this glue make the engine; each function module links the engine with its own
 * bundle (fl_bundle, fl_bundle_name), which `fl fn build` generates.
 *
 * _initialize creates the engine and evaluates the prelude (console, fetch, the calling
 * convention) and then the bundle, once. `fl fn build` runs it at build time and writes the memory
 * it leaves as the module's data, without _initialize (preinitialise.ts); the Worker restores that
 * state after every invocation, so each call starts from the evaluated bundle without evaluating
 * it again, and nothing a call does survives it.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "quickjs.h"

/* Appended to quickjs.c by the engine build (quickjs-engine.ts): sets Math.random's state. */
void fl_seed_random(JSContext *ctx, uint64_t seed);

#define FL_IMPORT(name) __attribute__((import_module("fl_imps"), import_name(#name)))

FL_IMPORT(__get_input_data) void fl_imp_get_input_data(int32_t ptr);
FL_IMPORT(__insert_response) void fl_imp_insert_response(int32_t ptr, int32_t len);
FL_IMPORT(__insert_error) void fl_imp_insert_error(int32_t ptr, int32_t len);
FL_IMPORT(__console_log) void fl_imp_console_log(int32_t ptr, int32_t len);
FL_IMPORT(__http_request)
void fl_imp_http_request(int32_t resp_ptr, int32_t resp_len_ptr, int32_t status_ptr, int32_t method,
                         int32_t uri_ptr, int32_t uri_len, int32_t hdr_ptr, int32_t hdr_len,
                         int32_t body_ptr, int32_t body_len);

/* From the per-function part: the bundle's source text and the file name errors show. */
extern const char fl_bundle[];
extern const size_t fl_bundle_len;
extern const char fl_bundle_name[];
/* From the engine: the prelude's source text (prelude.js). */
extern const char fl_prelude[];
extern const size_t fl_prelude_len;

/* The shadow stack the module is linked with (-z stack-size), and what QuickJS may use of it. */
#ifndef FL_STACK_BYTES
#define FL_STACK_BYTES (256 * 1024)
#endif
#define FL_JS_STACK_BYTES (FL_STACK_BYTES - 64 * 1024)

/* Free heap kept after initialisation, so that a typical call allocates without growing the
 * memory (a grown memory cannot be restored: the Worker then makes a fresh instance). */
#ifndef FL_HEADROOM_BYTES
#define FL_HEADROOM_BYTES (64 * 1024)
#endif

static JSRuntime *rt;
static JSContext *ctx;
/* The prelude's invoke(inputText): calls the function, settles its result through the host. */
static JSValue invoke_fn;
/* Why the bundle could not be loaded, told to every invocation. */
static char *load_error;
/* What the current invocation answered: -1 nothing yet, 0 a result, 1 an error. */
static int outcome;

static void log_line(int stream, const char *text, size_t len) {
  if (stream == 2) {
    /* stderr: a line of the invocation's logs on the stderr stream. */
    while (len > 0) {
      ssize_t n = write(2, text, len);
      if (n <= 0) return;
      text += n;
      len -= (size_t)n;
    }
    write(2, "\n", 1);
  } else {
    fl_imp_console_log((int32_t)(uintptr_t)text, (int32_t)len);
  }
}

/* The text of an exception: String(e), and its stack when it has one. */
static char *exception_text(JSContext *c, int with_stack) {
  JSValue ex = JS_GetException(c);
  const char *text = JS_ToCString(c, ex);
  const char *stack = NULL;
  JSValue stack_val = JS_UNDEFINED;
  if (with_stack && JS_IsError(c, ex)) {
    stack_val = JS_GetPropertyStr(c, ex, "stack");
    if (JS_IsString(stack_val)) stack = JS_ToCString(c, stack_val);
  }
  const char *shown = text ? text : "an exception that cannot be shown as a string";
  size_t len = strlen(shown) + (stack ? strlen(stack) + 1 : 0) + 1;
  char *out = malloc(len);
  if (out) {
    strcpy(out, shown);
    if (stack) {
      strcat(out, "\n");
      strcat(out, stack);
      /* The stack ends with a line break: drop it. */
      size_t n = strlen(out);
      while (n > 0 && out[n - 1] == '\n') out[--n] = '\0';
    }
  }
  if (stack) JS_FreeCString(c, stack);
  JS_FreeValue(c, stack_val);
  if (text) JS_FreeCString(c, text);
  JS_FreeValue(c, ex);
  return out;
}

/* host.log(stream, text): one line of logs; stream 1 is console, 2 is stderr. */
static JSValue host_log(JSContext *c, JSValueConst this_val, int argc, JSValueConst *argv) {
  int32_t stream = 1;
  if (argc < 2 || JS_ToInt32(c, &stream, argv[0])) return JS_EXCEPTION;
  size_t len;
  const char *text = JS_ToCStringLen(c, &len, argv[1]);
  if (!text) return JS_EXCEPTION;
  log_line(stream, text, len);
  JS_FreeCString(c, text);
  return JS_UNDEFINED;
}

/* host.respond(json) and host.fail(message): the invocation's answer. */
static JSValue host_settle(JSContext *c, JSValueConst this_val, int argc, JSValueConst *argv,
                           int magic) {
  if (outcome != -1) return JS_UNDEFINED;
  size_t len;
  const char *text = JS_ToCStringLen(c, &len, argc > 0 ? argv[0] : JS_UNDEFINED);
  if (!text) return JS_EXCEPTION;
  if (magic == 0)
    fl_imp_insert_response((int32_t)(uintptr_t)text, (int32_t)len);
  else
    fl_imp_insert_error((int32_t)(uintptr_t)text, (int32_t)len);
  outcome = magic;
  JS_FreeCString(c, text);
  return JS_UNDEFINED;
}

/*
 * host.http(method, url, headers, body, maxBytes) -> [status, bodyText]: one outbound request
 * through __http_request (method 0 GET, 1 POST, 2 PUT, 3 DELETE; headers "Key:Value" lines).
 * Status 0: the request failed, and the host wrote why into the logs.
 */
static JSValue host_http(JSContext *c, JSValueConst this_val, int argc, JSValueConst *argv) {
  int32_t method, max_bytes;
  if (argc < 5 || JS_ToInt32(c, &method, argv[0]) || JS_ToInt32(c, &max_bytes, argv[4]))
    return JS_EXCEPTION;
  if (max_bytes < 0) max_bytes = 0;
  size_t url_len, hdr_len, body_len;
  const char *url = JS_ToCStringLen(c, &url_len, argv[1]);
  const char *hdr = url ? JS_ToCStringLen(c, &hdr_len, argv[2]) : NULL;
  const char *body = hdr ? JS_ToCStringLen(c, &body_len, argv[3]) : NULL;
  char *response = body ? malloc((size_t)max_bytes + 1) : NULL;
  JSValue result = JS_EXCEPTION;
  if (body && !response) {
    JS_ThrowRangeError(c, "out of memory for a response of up to %d bytes", max_bytes);
  } else if (response) {
    /* Non-zero on entry: the size of the buffer, so the host never writes past it. */
    uint32_t length = (uint32_t)max_bytes;
    uint16_t status = 0;
    fl_imp_http_request((int32_t)(uintptr_t)response, (int32_t)(uintptr_t)&length,
                        (int32_t)(uintptr_t)&status, method, (int32_t)(uintptr_t)url,
                        (int32_t)url_len, (int32_t)(uintptr_t)hdr, (int32_t)hdr_len,
                        (int32_t)(uintptr_t)body, (int32_t)body_len);
    if (status == 0 || length > (uint32_t)max_bytes) length = 0;
    result = JS_NewArray(c);
    JS_SetPropertyUint32(c, result, 0, JS_NewInt32(c, status));
    JS_SetPropertyUint32(c, result, 1, JS_NewStringLen(c, response, length));
  }
  free(response);
  if (body) JS_FreeCString(c, body);
  if (hdr) JS_FreeCString(c, hdr);
  if (url) JS_FreeCString(c, url);
  return result;
}

static const JSCFunctionListEntry host_functions[] = {
    JS_CFUNC_DEF("log", 2, host_log),
    JS_CFUNC_MAGIC_DEF("respond", 1, host_settle, 0),
    JS_CFUNC_MAGIC_DEF("fail", 1, host_settle, 1),
    JS_CFUNC_DEF("http", 5, host_http),
};

static void set_load_error(const char *prefix) {
  char *text = exception_text(ctx, 1);
  const char *shown = text ? text : "out of memory";
  load_error = malloc(strlen(prefix) + strlen(shown) + 1);
  if (load_error) {
    strcpy(load_error, prefix);
    strcat(load_error, shown);
  }
  free(text);
}

/* Evaluates the prelude, which returns its link function; link(module) returns invoke. */
static void load(void) {
  JSValue host = JS_NewObject(ctx);
  JS_SetPropertyFunctionList(ctx, host, host_functions,
                             sizeof host_functions / sizeof host_functions[0]);
  JSValue prelude = JS_Eval(ctx, fl_prelude, fl_prelude_len, "<funless prelude>", JS_EVAL_TYPE_GLOBAL);
  if (JS_IsException(prelude)) {
    JS_FreeValue(ctx, host);
    set_load_error("the JavaScript engine failed to start: ");
    return;
  }
  JSValue link = JS_Call(ctx, prelude, JS_UNDEFINED, 1, (JSValueConst *)&host);
  JS_FreeValue(ctx, prelude);
  JS_FreeValue(ctx, host);
  if (JS_IsException(link)) {
    set_load_error("the JavaScript engine failed to start: ");
    return;
  }
  JSValue bundle = JS_Eval(ctx, fl_bundle, fl_bundle_len, fl_bundle_name, JS_EVAL_TYPE_GLOBAL);
  if (JS_IsException(bundle)) {
    JS_FreeValue(ctx, link);
    set_load_error("the function's code failed while loading: ");
    return;
  }
  JS_FreeValue(ctx, bundle);
  invoke_fn = JS_Call(ctx, link, JS_UNDEFINED, 0, NULL);
  JS_FreeValue(ctx, link);
  if (JS_IsException(invoke_fn)) set_load_error("");
}

extern void __wasm_call_ctors(void);

__attribute__((export_name("_initialize"))) void _initialize(void) {
  __wasm_call_ctors();
  rt = JS_NewRuntime();
  ctx = rt ? JS_NewContext(rt) : NULL;
  if (!ctx) {
    load_error = "the JavaScript engine could not start: out of memory";
    return;
  }
  JS_SetMaxStackSize(rt, FL_JS_STACK_BYTES);
  load();
  JS_RunGC(rt);
  /* Leave free heap behind, part of the snapshot, for the calls to allocate from (volatile: the
   * compiler would drop a malloc that is freed unused). */
  void *volatile headroom = malloc(FL_HEADROOM_BYTES);
  free(headroom);
}

/* Why the bundle failed to load, or NULL: the build reads it after running _initialize. */
__attribute__((export_name("fl_load_error"))) const char *fl_load_error(void) { return load_error; }

/* Runs the jobs promises queued (the function's async continuations) until none is left. */
static int run_jobs(void) {
  JSContext *job_ctx;
  for (;;) {
    int r = JS_ExecutePendingJob(rt, &job_ctx);
    if (r == 0) return 0;
    if (r < 0) return -1;
  }
}

static int32_t fail_with(const char *message) {
  fl_imp_insert_error((int32_t)(uintptr_t)message, (int32_t)strlen(message));
  return 1;
}

static int32_t fail_with_exception(void) {
  char *text = exception_text(ctx, 0);
  int32_t rc = fail_with(text ? text : "out of memory");
  free(text);
  return rc;
}

__attribute__((export_name("__invoke"))) int32_t __invoke(int32_t input_len) {
  if (load_error) return fail_with(load_error);
  outcome = -1;
  uint64_t seed = 0;
  getentropy(&seed, sizeof seed);
  fl_seed_random(ctx, seed);
  char *input = malloc((size_t)input_len + 1);
  if (!input) return fail_with("out of memory reading the input");
  fl_imp_get_input_data((int32_t)(uintptr_t)input);
  JSValue text = JS_NewStringLen(ctx, input, (size_t)input_len);
  free(input);
  if (JS_IsException(text)) return fail_with_exception();
  JS_UpdateStackTop(rt);
  JSValue r = JS_Call(ctx, invoke_fn, JS_UNDEFINED, 1, (JSValueConst *)&text);
  JS_FreeValue(ctx, text);
  if (JS_IsException(r)) return fail_with_exception();
  JS_FreeValue(ctx, r);
  if (run_jobs() < 0 && outcome == -1) return fail_with_exception();
  if (outcome == -1)
    return fail_with("the function's promise never settled: it waited for something that cannot "
                     "happen here (there are no timers or events; fetch is synchronous)");
  return outcome;
}
