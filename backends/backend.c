/* The registry of backends: the driver picks one by name (--backend). */
#include "backend.h"

#include <string.h>

extern const Backend llvm_backend;
extern const Backend c_backend;

static const Backend *const backends[] = {&llvm_backend, &c_backend};
static const char *const names[] = {"llvm", "c", NULL};

const Backend *backend_find(const char *name) {
  for (size_t i = 0; i < sizeof backends / sizeof backends[0]; i++)
    if (strcmp(backends[i]->name, name) == 0) return backends[i];
  return NULL;
}

const char *const *backend_names(void) { return names; }

const char *emit_kind_name(EmitKind kind) {
  static const char *const kind_names[] = {
      [EMIT_EXE] = "exe", [EMIT_OBJ] = "obj", [EMIT_LIB] = "lib", [EMIT_SHARED] = "shared",
      [EMIT_LLVM] = "llvm", [EMIT_ASM] = "asm", [EMIT_C] = "c",
  };
  return kind >= EMIT_EXE && kind <= EMIT_C ? kind_names[kind] : "?";
}

bool emit_kind_links(EmitKind kind) { return kind == EMIT_EXE || kind == EMIT_LIB || kind == EMIT_SHARED; }
