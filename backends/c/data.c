/* Embedded weights for the C backend. A C array initializer for hundreds of
 * megabytes would take the C compiler minutes and gigabytes, so the bytes go
 * in one binary file beside the C source and the assembler copies them with
 * `.incbin` into a read-only section, each blob at its alignment under its
 * own symbol. The C file names the binary file without a directory: compile
 * it from its directory or with `-Wa,-I<that directory>`. */
#include "c_gen.h"

#include <errno.h>
#include <string.h>

static size_t align_up(size_t n, size_t align) { return (n + align - 1) / align * align; }

size_t c_data_offset(const LModule *m, int index) {
  size_t offset = 0;
  for (int i = 0; i < index; i++) offset = align_up(offset, m->data.items[i]->align) + m->data.items[i]->size;
  return align_up(offset, m->data.items[index]->align);
}

bool c_write_data(const LModule *m, const char *path, Diag *d) {
  FILE *f = fopen(path, "wb");
  if (!f) {
    diag(d, DIAG_ERROR, "cannot write %s: %s", path, strerror(errno));
    return false;
  }
  bool ok = true;
  size_t at = 0;
  static const char zeros[256];
  for (int i = 0; i < m->data.len && ok; i++) {
    size_t offset = c_data_offset(m, i);
    while (at < offset && ok) {
      size_t n = offset - at < sizeof zeros ? offset - at : sizeof zeros;
      ok = fwrite(zeros, 1, n, f) == n;
      at += n;
    }
    const LData *blob = m->data.items[i];
    ok = ok && fwrite(blob->bytes, 1, blob->size, f) == blob->size;
    at += blob->size;
  }
  ok &= fclose(f) == 0;
  if (!ok) diag(d, DIAG_ERROR, "cannot write %s: %s", path, strerror(errno));
  return ok;
}

void c_print_data_asm(FILE *out, const LModule *m, const char *data_file) {
  fprintf(out, "/* Embedded data: the bytes of %s, placed by the assembler. */\n", data_file);
  fputs("__asm__(\".pushsection .rodata.cratec,\\\"a\\\",@progbits\\n\"\n", out);
  for (int i = 0; i < m->data.len; i++) {
    const LData *blob = m->data.items[i];
    fprintf(out, "        \".balign %zu\\n\"\n", blob->align);
    if (blob->exported) fprintf(out, "        \".globl %s\\n\"\n", blob->name);
    fputs("        \"", out);
    c_print_data_symbol(out, blob);
    fputs(":\\n\"\n", out);
    fprintf(out, "        \".incbin \\\"%s\\\", %zu, %zu\\n\"\n", data_file, c_data_offset(m, i), blob->size);
  }
  fputs("        \".popsection\\n\");\n", out);
  for (int i = 0; i < m->data.len; i++) {
    fputs("extern float ", out);
    c_print_data_symbol(out, m->data.items[i]);
    fputs(m->data.items[i]->exported ? "[];   /* read-only */\n"
                                     : "[] __attribute__((visibility(\"hidden\")));   /* read-only */\n",
          out);
  }
  fputc('\n', out);
}

void c_print_data_symbol(FILE *out, const LData *blob) {
  fprintf(out, blob->exported ? "%s" : "cratec_data_%s", blob->name);
}
