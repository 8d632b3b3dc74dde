# valgrind's memcheck on a small analyze at 1 rank (issue 11, item 8; tests/valgrind.sh): zero
# errors, leaks included, in zoolens and in what it calls; tests/valgrind.supp ignores only what
# Open MPI's MPI_Init and MPI_Finalize never free. Not in the ZL_SANITIZE tree (valgrind cannot
# run AddressSanitizer's binaries). Skips without valgrind (jobs/setup.sh installs it).
if(NOT ZL_SANITIZE)
  find_program(ZL_VALGRIND NAMES valgrind)
  zl_launcher(launch1 1)
  add_test(NAME valgrind_analyze
           COMMAND sh ${CMAKE_CURRENT_SOURCE_DIR}/valgrind.sh "${ZL_VALGRIND}"
                   ${CMAKE_CURRENT_SOURCE_DIR}/valgrind.supp ${CMAKE_CURRENT_BINARY_DIR}/valgrind
                   $<TARGET_FILE:zoolens> ${launch1})
  set_tests_properties(valgrind_analyze PROPERTIES TIMEOUT 300 LABELS "valgrind;mpi"
                       SKIP_RETURN_CODE 77 ENVIRONMENT "${ZL_MPI_TEST_ENV}")
endif()
