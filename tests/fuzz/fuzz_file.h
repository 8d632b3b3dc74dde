/* The readers under fuzzing take file names, not buffers: each harness writes its input to a file
 * of its own (one per process, so parallel fuzzers do not collide) and removes it at exit. */
#ifndef ZL_FUZZ_FILE_H
#define ZL_FUZZ_FILE_H

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#define ZL_FUZZ_MAX_FILES 2

static char zl_fuzz_paths[ZL_FUZZ_MAX_FILES][64];

static inline void zl_fuzz_remove_files(void) {
  for (int i = 0; i < ZL_FUZZ_MAX_FILES; i++)
    if (zl_fuzz_paths[i][0]) unlink(zl_fuzz_paths[i]);
}

/* The path of this process's file number `which` (0 or 1, < ZL_FUZZ_MAX_FILES), named with suffix
 * (".npy", ".csv": the readers do not look at names); removed at exit. */
static inline const char *zl_fuzz_path(int which, const char *suffix) {
  if (!zl_fuzz_paths[which][0]) {
    const char *tmp = getenv("TMPDIR");
    snprintf(zl_fuzz_paths[which], sizeof zl_fuzz_paths[which], "%s/zl-fuzz-%ld-%d%s",
             tmp && *tmp ? tmp : "/tmp", (long)getpid(), which, suffix);
    atexit(zl_fuzz_remove_files);
  }
  return zl_fuzz_paths[which];
}

/* Writes data[0..size) to zl_fuzz_path(which, suffix) and returns that path. A harness that cannot
 * write its input has nothing to test: it stops the run. */
static inline const char *zl_fuzz_file(int which, const char *suffix, const uint8_t *data,
                                       size_t size) {
  const char *path = zl_fuzz_path(which, suffix);
  FILE *f = fopen(path, "wb");
  if (!f || fwrite(data, 1, size, f) != size || fclose(f)) {
    perror(path);
    abort();
  }
  return path;
}

#endif
