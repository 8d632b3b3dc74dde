#include "zl_cli.h"

#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "zl_comm.h"

static void print_help(const char *cmd, const char *synopsis, const zl_opt *opts, int n_opts) {
  printf("usage: zoolens %s %s\n\noptions:\n", cmd, synopsis);
  for (int i = 0; i < n_opts; i++) {
    char left[64];
    snprintf(left, sizeof left, "--%s%s%s", opts[i].name, opts[i].has_arg ? " " : "",
             opts[i].has_arg ? opts[i].arg : "");
    printf("  %-28s %s\n", left, opts[i].help);
  }
  printf("  %-28s %s\n", "--help", "print this help and exit");
}

int zl_cli_parse(MPI_Comm comm, const char *cmd, const char *synopsis, const zl_opt *opts,
                 int n_opts, zl_opt_fn fn, void *ctx, int argc, char **argv, int *first_pos) {
  struct option *lo = zl_calloc((size_t)n_opts + 2, sizeof *lo, "option table");
  if (!lo) return ZL_ERR_RUNTIME;
  for (int i = 0; i < n_opts; i++)
    lo[i] = (struct option){opts[i].name, opts[i].has_arg ? required_argument : no_argument, NULL,
                            1000 + i};
  lo[n_opts] = (struct option){"help", no_argument, NULL, 'h'};
  /* getopt keeps global state: reset it, since tests run several subcommands in one process. */
  optind = 1;
  opterr = 0;
  int rc = 0, c, li;
  /* GNU getopt permutes argv so that positionals end up at the back, in their order: options may
   * come before or after the zoo paths, as the synopses show. */
  while ((c = getopt_long(argc, argv, ":", lo, &li)) != -1) {
    if (c == 'h') {
      if (zl_comm_rank(comm) == 0) print_help(cmd, synopsis, opts, n_opts);
      rc = ZL_CLI_HELP;
      break;
    }
    if (c == '?' || c == ':') {
      const char *bad = argv[optind - 1];
      rc = ZL_ERR(ZL_ERR_USAGE, "%s: %s '%s' (see zoolens %s --help)", cmd,
                  c == ':' ? "missing value for option" : "unknown option", bad, cmd);
      break;
    }
    rc = fn(ctx, c - 1000, optarg);
    if (rc) break;
  }
  free(lo);
  *first_pos = optind;
  return rc;
}

int zl_cli_long(const char *cmd, const char *opt, const char *arg, long long min, long long max,
                long long *out) {
  char *end = NULL;
  errno = 0;
  long long v = strtoll(arg, &end, 10);
  if (errno || end == arg || *end || v < min || v > max)
    return ZL_ERR(ZL_ERR_USAGE, "%s: --%s: '%s' is not a whole number in [%lld, %lld]", cmd, opt,
                  arg, min, max);
  *out = v;
  return 0;
}

int zl_cli_double(const char *cmd, const char *opt, const char *arg, double *out) {
  char *end = NULL;
  errno = 0;
  double v = strtod(arg, &end);
  if (errno || end == arg || *end)
    return ZL_ERR(ZL_ERR_USAGE, "%s: --%s: '%s' is not a number", cmd, opt, arg);
  *out = v;
  return 0;
}

int zl_cli_fail(MPI_Comm comm, int code) {
  if (code && zl_comm_rank(comm) == 0) {
    fprintf(stderr, "zoolens: %s\n", zl_error_message());
    /* For bug reports: where in zoolens the error was raised. */
    if (getenv("ZL_DEBUG")) fprintf(stderr, "zoolens: (raised at %s)\n", zl_error_where());
    fflush(stderr);
  }
  return code;
}
