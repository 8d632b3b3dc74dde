/* One option table per subcommand that drives both getopt_long and --help (IOR's idea, done with
 * the standard parser). Every rank parses the same argv (mpirun/srun hand each rank identical
 * arguments), so no broadcast is needed; only rank 0 prints. */
#ifndef ZL_CLI_H
#define ZL_CLI_H

#include <mpi.h>

typedef struct {
  const char *name; /* long option without "--" */
  int has_arg;      /* 0 or 1 */
  const char *arg;  /* name of the argument in --help, e.g. "N" */
  const char *help;
} zl_opt;

/* Called for each option found: index into the table and its argument (NULL when none). Returns 0,
 * or ZL_ERR_USAGE with an error recorded. */
typedef int (*zl_opt_fn)(void *ctx, int index, const char *arg);

/* Parses argv[1..] (argv[0] is the subcommand name). Positional arguments are left in
 * argv[*first_pos .. argc). Returns 0, ZL_ERR_USAGE (message recorded: "<cmd>: ..."), or
 * ZL_CLI_HELP when --help was given (help printed on rank 0). Not collective. */
#define ZL_CLI_HELP (-1)
int zl_cli_parse(MPI_Comm comm, const char *cmd, const char *synopsis, const zl_opt *opts,
                 int n_opts, zl_opt_fn fn, void *ctx, int argc, char **argv, int *first_pos);

/* Strict number parsing for option values; record "<cmd>: --<opt>: ..." and return ZL_ERR_USAGE. */
int zl_cli_long(const char *cmd, const char *opt, const char *arg, long long min, long long max,
                long long *out);
int zl_cli_double(const char *cmd, const char *opt, const char *arg, double *out);

/* Prints "zoolens: <recorded message>" on rank 0 and returns code (for a subcommand's exit). */
int zl_cli_fail(MPI_Comm comm, int code);

#endif
