# Serial unit tests of kernels/ (no MPI): one per module.
zl_unit_test(test_rng)
zl_unit_test(test_wstats)
zl_unit_test(test_metrics)
zl_unit_test(test_folds)
zl_unit_test(test_qmap)

# W-stats against numpy.
zl_ref_test(ref_wstats)
