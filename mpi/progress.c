#include "zl_progress.h"

#include <stdio.h>
#include <unistd.h>

#include "zl_comm.h"

/* How often a line is printed when stderr is not a terminal: often enough to see a job move in a
 * SLURM log, rarely enough not to flood it. */
#define ZL_PROGRESS_LOG_SECONDS 10.0

void zl_progress_start(zl_progress *p, MPI_Comm comm, const char *what, const char *unit,
                       int64_t total, int64_t mine) {
  p->active = zl_comm_rank(comm) == 0;
  p->tty = isatty(STDERR_FILENO);
  p->what = what;
  p->unit = unit;
  p->total = total;
  p->scale = mine > 0 ? (double)total / (double)mine : 0.0;
  p->t0 = p->last = MPI_Wtime();
}

static void print_line(zl_progress *p, double done, double now, int final) {
  double dt = now - p->t0, rate = dt > 0 ? done / dt : 0.0;
  double eta = rate > 0 ? ((double)p->total - done) / rate : 0.0;
  if (final)
    fprintf(stderr, "%s%s: %lld %s in %.1f s (%.3g %s/s)\n", p->tty ? "\r" : "", p->what,
            (long long)p->total, p->unit, dt, rate, p->unit);
  else
    fprintf(stderr, "%s%s: %.0f/%lld %s, %.3g %s/s, ETA %.0f s%s", p->tty ? "\r" : "", p->what,
            done, (long long)p->total, p->unit, rate, p->unit, eta, p->tty ? "   " : "\n");
  fflush(stderr);
}

void zl_progress_update(zl_progress *p, int64_t done) {
  if (!p->active) return;
  double now = MPI_Wtime();
  if (now - p->last < (p->tty ? 0.5 : ZL_PROGRESS_LOG_SECONDS)) return;
  p->last = now;
  print_line(p, (double)done * p->scale, now, 0);
}

void zl_progress_end(zl_progress *p) {
  if (p->active) print_line(p, (double)p->total, MPI_Wtime(), 1);
}
