# Serial unit tests of kernels/ (no MPI): one per module.
zl_unit_test(test_rng)
# The allocators: overflow, out of memory, huge-page arrays. Under ASan an allocation of near
# SIZE_MAX bytes would abort the test instead of returning NULL.
zl_unit_test(test_error)
set_tests_properties(test_error PROPERTIES ENVIRONMENT "ASAN_OPTIONS=allocator_may_return_null=1")
zl_unit_test(test_wstats)
zl_unit_test(test_metrics)
zl_unit_test(test_folds)
zl_unit_test(test_qmap)

# W-stats against numpy.
zl_ref_test(ref_wstats)
# Exact sums (any order, the same bits), ridge from per-fold Grams against LAPACK, the random
# features' cosine against libm.
zl_unit_test(test_xsum)
zl_unit_test(test_ridgesys)
zl_unit_test(test_rffcos)
# The exact kernel path: distances, the Gaussian kernel, predictions, by hand.
zl_unit_test(test_krr)
zl_unit_test(test_sort)
# Histogram boosted trees against hand-worked splits and leaf values.
zl_unit_test(test_gbm)
# The dnn estimator's network: hand values, gradient against finite differences, Adam.
zl_unit_test(test_mlp)
