/* c_gen.h — the OpenMP C backend's parts.
 *
 *   print.c    the module as one C11 file: kernels, pragmas, comments
 *   data.c     embedded blobs: one binary file beside the C file, pulled in with .incbin
 *   backend.c  the Backend: write the file(s), compile with `cc`, link */
#ifndef CRATEC_C_GEN_H
#define CRATEC_C_GEN_H

#include "backend.h"

/* Writes M as C to OUT. DATA_FILE is the name (as the assembler will look
 * it up) of the file data.c writes the blobs to; unused without blobs. */
void c_print_module(FILE *out, const LModule *m, const char *data_file);

/* The blobs, laid out at the offsets c_data_offset gives, in PATH. */
bool c_write_data(const LModule *m, const char *path, Diag *d);
size_t c_data_offset(const LModule *m, int index);
/* The top-level asm statement defining one symbol per blob. */
void c_print_data_asm(FILE *out, const LModule *m, const char *data_file);
/* A blob's symbol: its exact name when exported, else a hidden cratec_data_NAME. */
void c_print_data_symbol(FILE *out, const LData *blob);

#endif
