#include "scratch.h"

#include <check.h>
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

const char *scratch_dir(void) {
  static char dir[4096];
  const char *base = getenv("TMPDIR");
  snprintf(dir, sizeof dir, "%s/runtime_io.XXXXXX", base && *base ? base : "/tmp");
  ck_assert_ptr_nonnull(mkdtemp(dir));
  return dir;
}

const char *scratch_path(char *buf, size_t size, const char *dir, const char *name) {
  snprintf(buf, size, "%s/%s", dir, name);
  return buf;
}

void scratch_remove(const char *dir) {
  DIR *d = opendir(dir);
  ck_assert_ptr_nonnull(d);
  char path[8192];
  for (struct dirent *ent; (ent = readdir(d));)
    if (ent->d_type != DT_DIR) unlink(scratch_path(path, sizeof path, dir, ent->d_name));
  closedir(d);
  ck_assert_int_eq(rmdir(dir), 0);
}

int scratch_entries(const char *dir) {
  DIR *d = opendir(dir);
  ck_assert_ptr_nonnull(d);
  int n = 0;
  for (struct dirent *ent; (ent = readdir(d));)
    n += ent->d_name[0] != '.' || (ent->d_name[1] && (ent->d_name[1] != '.' || ent->d_name[2]));
  closedir(d);
  return n;
}

unsigned char *scratch_read(const char *path, size_t *size) {
  FILE *fp = fopen(path, "rb");
  ck_assert_msg(fp != NULL, "cannot open %s", path);
  fseek(fp, 0, SEEK_END);
  long n = ftell(fp);
  fseek(fp, 0, SEEK_SET);
  unsigned char *buf = malloc(n > 0 ? (size_t)n : 1);
  *size = fread(buf, 1, (size_t)n, fp);
  fclose(fp);
  return buf;
}

void scratch_write(const char *path, const void *data, size_t size) {
  FILE *fp = fopen(path, "wb");
  ck_assert_msg(fp != NULL, "cannot create %s", path);
  ck_assert_uint_eq(fwrite(data, 1, size, fp), size);
  ck_assert_int_eq(fclose(fp), 0);
}
