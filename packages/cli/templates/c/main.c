/* A FunLess function in C: answers {"name":"Test"} with {"payload":"Hello Test!"}. */
#include <string.h>

#include "funless.h"

int fl_handle(const char *input, size_t input_len) {
  char name[256];
  if (!fl_json_get_string(input, input_len, "name", name, sizeof name)) {
    strcpy(name, "World");
  }
  char greeting[300] = "Hello ";
  strcat(greeting, name);
  strcat(greeting, "!");

  char quoted[700];
  if (fl_json_quote(greeting, quoted, sizeof quoted) == 0) {
    fl_error("name too long");
    return 1;
  }
  char response[720] = "{\"payload\":";
  strcat(response, quoted);
  strcat(response, "}");
  fl_log("greeting sent");
  fl_respond(response);
  return 0;
}
