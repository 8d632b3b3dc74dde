# Serial unit tests of the training kernels (data sets, networks, training runs). OpenBLAS runs
# single-threaded, as zoolens train runs it (one rank per core).
zl_unit_test(test_dataset)
zl_unit_test(test_nn ARGS ${ZL_SHARED_DIR}/zoos/dev/mnist/layout.csv)
zl_unit_test(test_train ARGS ${ZL_SHARED_DIR}/data/mnist)
set_tests_properties(test_dataset test_nn test_train PROPERTIES ENVIRONMENT OPENBLAS_NUM_THREADS=1)
# test_train skips (exit 77) without the MNIST files.
set_tests_properties(test_train PROPERTIES SKIP_RETURN_CODE 77)
