/*
 * funless.h: the FunLess function ABI for C, in one header (docs/functions.md, shape (a)).
 *
 * Include it in exactly one .c file and define
 *
 *     int fl_handle(const char *input, size_t input_len);
 *
 * which gets the invocation's arguments as JSON text and answers with fl_respond(json) and
 * returns 0, or with fl_error(message) and returns 1. fl_log() writes to the invocation's logs,
 * fl_http() makes an outbound HTTP request, fl_json_get_string() / fl_json_quote() are small JSON
 * helpers. Build it with `fl fn build <dir>` (clang --target=wasm32-wasi, no entry point, exports
 * `memory` and `__invoke`).
 */
#ifndef FUNLESS_H
#define FUNLESS_H

#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#define FL_IMPORT(name) __attribute__((import_module("fl_imps"), import_name(#name)))

FL_IMPORT(__get_input_data) void fl_imp_get_input_data(int32_t ptr);
FL_IMPORT(__insert_response) void fl_imp_insert_response(int32_t ptr, int32_t len);
FL_IMPORT(__insert_error) void fl_imp_insert_error(int32_t ptr, int32_t len);
FL_IMPORT(__console_log) void fl_imp_console_log(int32_t ptr, int32_t len);
FL_IMPORT(__http_request)
void fl_imp_http_request(int32_t resp_ptr, int32_t resp_len_ptr, int32_t status_ptr, int32_t method,
                         int32_t uri_ptr, int32_t uri_len, int32_t hdr_ptr, int32_t hdr_len,
                         int32_t body_ptr, int32_t body_len);

/* Your function: see the comment at the top. */
int fl_handle(const char *input, size_t input_len);

/* Hands back the JSON result of the invocation. */
static inline void fl_respond(const char *json) {
  fl_imp_insert_response((int32_t)(uintptr_t)json, (int32_t)strlen(json));
}

/* Hands back an error message (the caller sees it as the error detail). */
static inline void fl_error(const char *message) {
  fl_imp_insert_error((int32_t)(uintptr_t)message, (int32_t)strlen(message));
}

/* Writes one line to the invocation's logs. */
static inline void fl_log(const char *message) {
  fl_imp_console_log((int32_t)(uintptr_t)message, (int32_t)strlen(message));
}

enum fl_http_method { FL_GET = 0, FL_POST = 1, FL_PUT = 2, FL_DELETE = 3 };

/*
 * Outbound HTTP. `headers` are "Key:Value" lines joined by '\n' (or NULL), `body` may be NULL.
 * The response body goes to `response`, NUL-terminated; the host is told its size and never
 * writes more (a longer body fails). Returns the HTTP status, 0 when the request failed (the
 * reason is in the invocation's logs).
 */
static inline int fl_http(enum fl_http_method method, const char *url, const char *headers,
                          const char *body, char *response, size_t response_cap) {
  if (response_cap == 0) return 0;
  /* Non-zero on entry: the size of our buffer, keeping one byte for the NUL. */
  uint32_t length = (uint32_t)(response_cap - 1);
  uint16_t status = 0;
  fl_imp_http_request((int32_t)(uintptr_t)response, (int32_t)(uintptr_t)&length,
                      (int32_t)(uintptr_t)&status, (int32_t)method, (int32_t)(uintptr_t)url,
                      (int32_t)strlen(url), (int32_t)(uintptr_t)(headers ? headers : ""),
                      headers ? (int32_t)strlen(headers) : 0, (int32_t)(uintptr_t)(body ? body : ""),
                      body ? (int32_t)strlen(body) : 0);
  if (length > response_cap - 1) length = 0;
  response[status == 0 ? 0 : length] = '\0';
  return status;
}

/*
 * Finds the string value of `"key"` anywhere in `json` (first match, escapes \" \\ \/ \n \t \r
 * decoded, \uXXXX kept as is) and copies it NUL-terminated into `out`. Enough for flat inputs
 * like {"name":"Test"}. Returns 1 when found, 0 otherwise.
 */
static inline int fl_json_get_string(const char *json, size_t len, const char *key, char *out,
                                     size_t cap) {
  size_t key_len = strlen(key);
  for (size_t i = 0; i + key_len + 2 <= len; i++) {
    if (json[i] != '"' || strncmp(json + i + 1, key, key_len) != 0 || json[i + key_len + 1] != '"')
      continue;
    size_t j = i + key_len + 2;
    while (j < len && (json[j] == ' ' || json[j] == '\t' || json[j] == '\n' || json[j] == '\r')) j++;
    if (j >= len || json[j] != ':') continue;
    j++;
    while (j < len && (json[j] == ' ' || json[j] == '\t' || json[j] == '\n' || json[j] == '\r')) j++;
    if (j >= len || json[j] != '"') return 0;
    j++;
    size_t o = 0;
    while (j < len && json[j] != '"') {
      char c = json[j++];
      if (c == '\\' && j < len) {
        char e = json[j++];
        c = e == 'n' ? '\n' : e == 't' ? '\t' : e == 'r' ? '\r' : e;
        if (e == 'u') { /* keep \uXXXX undecoded */
          if (o + 2 < cap) { out[o++] = '\\'; out[o++] = 'u'; }
          continue;
        }
      }
      if (o + 1 < cap) out[o++] = c;
    }
    if (cap > 0) out[o < cap ? o : cap - 1] = '\0';
    return j < len;
  }
  return 0;
}

/*
 * Writes `text` as a JSON string literal (with quotes) into `out`, NUL-terminated.
 * Returns the length written, or 0 when `cap` is too small.
 */
static inline size_t fl_json_quote(const char *text, char *out, size_t cap) {
  static const char hex[] = "0123456789abcdef";
  size_t o = 0;
  if (cap < 3) return 0;
  out[o++] = '"';
  for (const unsigned char *p = (const unsigned char *)text; *p; p++) {
    char esc = *p == '"' ? '"' : *p == '\\' ? '\\' : *p == '\n' ? 'n' : *p == '\r' ? 'r' : *p == '\t' ? 't' : 0;
    size_t need = esc ? 2 : *p < 0x20 ? 6 : 1;
    if (o + need + 2 > cap) return 0;
    if (esc) {
      out[o++] = '\\';
      out[o++] = esc;
    } else if (*p < 0x20) {
      out[o++] = '\\'; out[o++] = 'u'; out[o++] = '0'; out[o++] = '0';
      out[o++] = hex[*p >> 4]; out[o++] = hex[*p & 15];
    } else {
      out[o++] = (char)*p;
    }
  }
  out[o++] = '"';
  out[o] = '\0';
  return o;
}

/* Static constructors (libc's and yours) run once, before the first invocation: the module is
 * built without an entry point, so nothing else would run them. */
extern void __wasm_call_ctors(void);

__attribute__((export_name("__invoke"))) int32_t __invoke(int32_t input_len) {
  static int initialised = 0;
  if (!initialised) {
    initialised = 1;
    __wasm_call_ctors();
  }
  char *input = malloc((size_t)input_len + 1);
  if (input == NULL) {
    fl_error("out of memory reading the input");
    return 1;
  }
  fl_imp_get_input_data((int32_t)(uintptr_t)input);
  input[input_len] = '\0';
  int result = fl_handle(input, (size_t)input_len);
  free(input);
  return result;
}

#endif
