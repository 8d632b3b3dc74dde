/* analyze on a synth zoo recovers the planted signal: R² within 0.03 of the planted R² (the noise
 * level synth stored), Kendall τ high, every network used. Serial; args: report.json zoo.h5 N. */
#include <jansson.h>
#include <math.h>
#include <mpi.h>
#include <stdlib.h>
#include <string.h>

#include "zl_comm.h"
#include "zl_test.h"
#include "zl_zoo.h"

int main(int argc, char **argv) {
  MPI_Init(&argc, &argv);
  zl_comm_init();
  if (argc != 4) {
    fprintf(stderr, "usage: check_synth_report report.json zoo.h5 N\n");
    MPI_Finalize();
    return 2;
  }
  json_error_t e;
  json_t *rep = json_load_file(argv[1], 0, &e);
  ZL_CHECK(rep != NULL);
  zl_zoo zoo = NULL;
  double planted = NAN;
  int found = 0;
  ZL_CHECK(zl_zoo_open(MPI_COMM_SELF, argv[2], &zoo) == 0);
  ZL_CHECK(zl_zoo_get_attr_double(zoo, "synth_planted_r2", &planted, &found) == 0 && found);
  zl_zoo_destroy(&zoo);
  if (rep) {
    /* The W-stats ridge result: linear in the planted statistics, it must reach the noise level. */
    json_t *res = NULL, *all = json_object_get(rep, "results");
    for (size_t i = 0; i < json_array_size(all); i++) {
      json_t *r = json_array_get(all, i);
      if (!strcmp(json_string_value(json_object_get(r, "features")), "wstats") &&
          !strcmp(json_string_value(json_object_get(r, "estimator")), "ridge"))
        res = r;
    }
    ZL_CHECK(res != NULL);
    json_t *in = json_array_get(json_object_get(rep, "inputs"), 0);
    double r2 = json_number_value(json_object_get(res, "r2"));
    double tau = json_number_value(json_object_get(res, "kendall_tau"));
    printf("planted R² %.4f, analyze R² %.4f, tau %.4f\n", planted, r2, tau);
    ZL_CHECK(planted > 0.8);
    ZL_CHECK(fabs(r2 - planted) < 0.03);
    ZL_CHECK(tau > 0.75);
    ZL_CHECK(json_integer_value(json_object_get(in, "networks")) == atoll(argv[3]));
    ZL_CHECK(json_integer_value(json_object_get(in, "dropped_nonfinite")) == 0);
    json_t *folds = json_object_get(res, "per_fold");
    ZL_CHECK(json_array_size(folds) == 5);
    long long total = 0;
    for (size_t k = 0; k < json_array_size(folds); k++)
      total += json_integer_value(json_object_get(json_array_get(folds, k), "networks"));
    ZL_CHECK(total == atoll(argv[3]));
    json_decref(rep);
  }
  int rc = zl_test_finish();
  MPI_Finalize();
  return rc;
}
