# Serial unit tests of kernels/ (no MPI): one per module.
zl_unit_test(test_rng)
zl_unit_test(test_wstats)
zl_unit_test(test_metrics)
zl_unit_test(test_folds)

# W-stats against numpy: a C program prints fixed rows and their W-stats, the script recomputes
# them (skips with 77 when numpy is missing).
add_executable(ref_wstats_print ref_wstats_print.c)
target_link_libraries(ref_wstats_print PRIVATE zl_kernels)
if(ZL_PYTHON)
  add_test(NAME ref_wstats COMMAND ${ZL_PYTHON} ${CMAKE_CURRENT_SOURCE_DIR}/ref_wstats.py
                                   $<TARGET_FILE:ref_wstats_print>)
  set_tests_properties(ref_wstats PROPERTIES TIMEOUT 120 LABELS unit SKIP_RETURN_CODE 77)
else()
  message(STATUS "ref_wstats not registered: no python3 found")
endif()
