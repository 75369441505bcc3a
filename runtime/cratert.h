/* cratert.h — the CRATE runtime (libcratert): the one header generated code
 * needs. It knows nothing of the compiler.
 *
 * Conventions
 *   - Tensors are float32, row-major, contiguous unless a leading dimension
 *     (ld*) says otherwise. Shapes are written (rows, cols) in comments.
 *   - Functions that can fail return 0 on success and -1 on failure, filling
 *     a crt_error (which may be NULL) with a message that names the file and,
 *     where there is one, the tensor.
 *   - Nothing here allocates in a steady-state step: buffers come from a
 *     crt_arena set up once.
 *
 * Sections: errors · command line · memory · threads · GEMM · safetensors · data ·
 *           random numbers · loss · optimizers · schedules · checkpoints ·
 *           progress and metrics */
#ifndef CRATERT_H
#define CRATERT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#ifdef __cplusplus
extern "C" {
#endif

/* ==== errors ================================================================ */

typedef struct crt_error {
  char msg[1024];
} crt_error;

/* Formats into E (if not NULL); returns -1 so callers can `return crt_fail(...)`. */
int crt_fail(crt_error *e, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* ==== command line ========================================================== */

/* One option of a command: "--weights FILE", "--threads N", "-O2" (a short
 * name of two characters takes its value attached: "-O" with "-O2"). */
typedef enum { CRT_ARG_FLAG, CRT_ARG_STRING, CRT_ARG_INT, CRT_ARG_DOUBLE } crt_arg_type;

typedef struct crt_option {
  const char *name;      /* "--weights", "-o", "-O" */
  crt_arg_type type;
  void *dest;            /* bool*, const char **, long *, double * */
  const char *metavar;   /* shown in help: "FILE"; NULL for flags */
  const char *help;
} crt_option;

/* Parses ARGV[0..ARGC) against OPTS (terminated by an entry with name NULL).
 * "--name=value" and "--name value" are both accepted; "--" ends options.
 * Other words go to POSITIONAL (at most MAX_POSITIONAL; *NPOS gets the
 * count). An unknown option is an error with a "did you mean" hint. */
int crt_parse_args(int argc, char **argv, const crt_option *opts, const char **positional,
                   int max_positional, int *npos, crt_error *e);
/* Prints one aligned line per option: "  --weights FILE   help text". */
void crt_print_options(FILE *out, const crt_option *opts);

/* Levenshtein distance, and the candidate (NULL-terminated list) close
 * enough to WORD to be a likely typo, or NULL: for "did you mean" hints. */
int crt_edit_distance(const char *a, const char *b);
const char *crt_closest_word(const char *word, const char *const *candidates);

/* ==== memory ================================================================= */

#define CRT_ALIGN 64

/* 64-byte aligned, zero-filled; NULL on failure. */
void *crt_alloc(size_t bytes);
void crt_free(void *p);

/* A bump allocator over one 64-byte-aligned block: sized once (the memory
 * planner knows the peak), then reused every step without touching malloc. */
typedef struct crt_arena {
  unsigned char *base;
  size_t size, used, peak;
} crt_arena;

int crt_arena_init(crt_arena *a, size_t bytes, crt_error *e);
void *crt_arena_alloc(crt_arena *a, size_t bytes);   /* NULL when full */
size_t crt_arena_mark(const crt_arena *a);
void crt_arena_release(crt_arena *a, size_t mark);   /* frees everything after mark */
void crt_arena_destroy(crt_arena *a);

/* ==== threads ================================================================ */
/* (section owned by the threads/GEMM work; see runtime/parallel.c) */

/* ==== GEMM =================================================================== */
/* (section owned by the threads/GEMM work; see runtime/gemm.c) */

/* ==== safetensors ============================================================ */

typedef enum {
  CRT_F32, CRT_F64, CRT_F16, CRT_BF16,
  CRT_I64, CRT_I32, CRT_I16, CRT_I8, CRT_U8, CRT_BOOL,
} crt_dtype;

#define CRT_MAX_RANK 8

/* A tensor inside a file (or to be written to one). */
typedef struct crt_tensor {
  const char *name;
  crt_dtype dtype;
  int rank;
  int64_t shape[CRT_MAX_RANK];
  const void *data;       /* little-endian bytes, as in the file */
  size_t nbytes;
} crt_tensor;

const char *crt_dtype_name(crt_dtype t);   /* "F32", "I64", ... as safetensors spells them */
size_t crt_dtype_size(crt_dtype t);

/* An open, fully validated safetensors file (mapped read-only). Validation:
 * header length against file size, JSON well-formed, each entry's dtype,
 * shape and data_offsets consistent, offsets in range and not overlapping. */
typedef struct crt_st_file crt_st_file;

crt_st_file *crt_st_open(const char *path, crt_error *e);
/* Same checks on a buffer in memory (the buffer must outlive the result). */
crt_st_file *crt_st_open_memory(const void *data, size_t size, const char *name, crt_error *e);
void crt_st_close(crt_st_file *f);
const char *crt_st_path(const crt_st_file *f);
int crt_st_count(const crt_st_file *f);
const crt_tensor *crt_st_at(const crt_st_file *f, int i);
/* Looks NAME up; a key spelled "module." NAME (DataParallel checkpoints)
 * also matches. NULL when absent. */
const crt_tensor *crt_st_find(const crt_st_file *f, const char *name);
/* A string from the __metadata__ table, or NULL. */
const char *crt_st_metadata(const crt_st_file *f, const char *key);

/* What a model expects to find: a key and the shape of an F32 tensor. */
typedef struct crt_param_spec {
  const char *key;
  int rank;
  int64_t shape[4];
} crt_param_spec;

/* Checks F against SPECS (every key present, F32, right shape; no key the
 * model does not know) and copies each tensor into dst[i]. Errors name the
 * file and the tensor: "w.safetensors: tensor 'cls_token': expected shape
 * (1, 1, 64), found (1, 64)". */
int crt_st_load_f32(const crt_st_file *f, const crt_param_spec *specs, int n, float *const *dst,
                    crt_error *e);

/* Writes TENSORS to PATH atomically (temporary file in the same directory,
 * fsync, rename), with METADATA as NULL-terminated key/value string pairs
 * (may be NULL). */
int crt_st_write(const char *path, const crt_tensor *tensors, int n, const char *const *metadata,
                 crt_error *e);

/* ==== data =================================================================== */
/* (section owned by the data/training-machinery work) */

/* ==== random numbers ========================================================= */
/* (section owned by the data/training-machinery work) */

/* ==== loss =================================================================== */
/* (section owned by the data/training-machinery work) */

/* ==== optimizers ============================================================= */
/* (section owned by the data/training-machinery work) */

/* ==== schedules ============================================================== */
/* (section owned by the data/training-machinery work) */

/* ==== checkpoints ============================================================ */
/* (section owned by the data/training-machinery work) */

/* ==== progress and metrics =================================================== */
/* (section owned by the data/training-machinery work) */

#ifdef __cplusplus
}
#endif
#endif
