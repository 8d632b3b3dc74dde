# Tooling (issue 11, item 8). A second tree built with ZL_SANITIZE (address + undefined; clang,
# else this tree's compiler) runs every unit test and a subset of the MPI tests (the whole jobs
# on small zoos, and the bad-input and hostile-file error paths, where leaks hide), and, with
# clang, the libFuzzer harnesses of tests/fuzz for a bounded number of inputs each; valgrind's
# memcheck runs a small analyze from this tree (tests/valgrind.cmake). Label sanitize: skip them
# with `ctest -LE sanitize`.
if(ZL_FUZZ)
  # In the sanitizer tree: each harness from its checked-in seed corpus (tests/fuzz/corpus/<name>)
  # for ZL_FUZZ_RUNS inputs with a fixed seed. New inputs go to fuzz/<name>.new, never into the
  # source tree; a crashing input is saved as fuzz/crash-<sha1> (replay: fuzz_<name> FILE).
  set(ZL_FUZZ_RUNS 1500 CACHE STRING "Inputs each fuzz test of a parser runs")
  # Each zoo input is an HDF5 file written and then opened twice, the second time over MPI-IO.
  set(ZL_FUZZ_ZOO_RUNS 200 CACHE STRING "Inputs the zoo validator's fuzz test runs")
  set(ZL_FUZZ_DIR ${CMAKE_CURRENT_BINARY_DIR}/fuzz)
  file(MAKE_DIRECTORY ${ZL_FUZZ_DIR})
  string(CONCAT ZL_FUZZ_SH "rm -rf \"$1\" && mkdir \"$1\" && exec \"$2\" -runs=$3 -seed=1 "
                "-artifact_prefix=\"$4\"/ \"$1\" \"$5\"")
  foreach(name npy csv idx layout zoo)
    add_executable(fuzz_${name} fuzz/fuzz_${name}.c)
    target_link_libraries(fuzz_${name} PRIVATE zl_jobs)
    target_link_options(fuzz_${name} PRIVATE -fsanitize=fuzzer)
    add_test(NAME fuzz_${name}
             COMMAND sh -c "${ZL_FUZZ_SH}" sh ${ZL_FUZZ_DIR}/${name}.new $<TARGET_FILE:fuzz_${name}>
                     $<IF:$<STREQUAL:${name},zoo>,${ZL_FUZZ_ZOO_RUNS},${ZL_FUZZ_RUNS}> ${ZL_FUZZ_DIR}
                     ${CMAKE_CURRENT_SOURCE_DIR}/fuzz/corpus/${name})
    set_tests_properties(fuzz_${name} PROPERTIES TIMEOUT 120 LABELS fuzz)
  endforeach()
endif()

if(NOT ZL_SANITIZE)
  # In a plain tree: build the sanitizer tree (a fixture), then run its tests through its ctest.
  find_program(ZL_CLANG NAMES clang)
  set(ZL_SANITIZE_DIR ${CMAKE_CURRENT_BINARY_DIR}/sanitize CACHE PATH
      "Where sanitize_build configures and builds the sanitizer tree (kept between runs)")
  add_test(NAME sanitize_build
           COMMAND sh ${CMAKE_CURRENT_SOURCE_DIR}/sanitize_build.sh ${CMAKE_COMMAND}
                   ${PROJECT_SOURCE_DIR} ${ZL_SANITIZE_DIR} ${CMAKE_C_COMPILER} "${ZL_CLANG}"
                   ${ZL_WERROR} "${ZL_MPIEXEC_FLAGS}" ${ZL_SHARED_DIR})
  # A whole configure and build: 2 processors so ctest -j does not crowd it, and a long timeout.
  set_tests_properties(sanitize_build PROPERTIES PROCESSORS 2 TIMEOUT 900 LABELS sanitize
                       FIXTURES_SETUP sanitize_tree)
  # Open MPI never frees some of what MPI_Init and MPI_Finalize allocate: LeakSanitizer ignores
  # leaks whose stack passes through those two, and only those.
  # Their stacks pass through Open MPI's components, built without frame pointers: only the slow
  # unwinder reaches the MPI_Init or MPI_Finalize frame that the suppression names.
  set(ZL_SANITIZE_ENV "LSAN_OPTIONS=suppressions=${CMAKE_CURRENT_SOURCE_DIR}/lsan.supp:print_suppressions=0:fast_unwind_on_malloc=0"
                      "UBSAN_OPTIONS=print_stacktrace=1")
  # The whole jobs at 2 ranks on small zoos (synth and analyze, train; the zoo I/O program), then
  # files that fail: hostile headers (import's among them), a bit-flipped zoo and a short column.
  # A few: under ASan (and the slow unwinder) each MPI start costs seconds of CPU, and CI must end
  # within 15 minutes. The unit tests of training (30 s each under ASan) run in the plain tree.
  string(CONCAT ZL_SANITIZE_MPI "^(test_zoo_np2|analyze_np2|trainjob_np2|hostile_.*|"
                "baddata_flipped_meta|info_bad_column)$")
  set(ZL_SANITIZE_RUNS "unit\;-L\;unit\;-E\;^test_(train|nn)$"
                       "mpi\;-L\;mpi\;-R\;${ZL_SANITIZE_MPI}")
  if(ZL_CLANG)
    list(APPEND ZL_SANITIZE_RUNS "fuzz\;-L\;fuzz")
  endif()
  foreach(run ${ZL_SANITIZE_RUNS})
    list(POP_FRONT run name)
    add_test(NAME sanitize_${name} COMMAND ${CMAKE_CTEST_COMMAND} --test-dir ${ZL_SANITIZE_DIR}
                                           --output-on-failure ${run})
    set_tests_properties(sanitize_${name} PROPERTIES TIMEOUT 900 LABELS sanitize
                         FIXTURES_REQUIRED sanitize_tree ENVIRONMENT "${ZL_SANITIZE_ENV}")
  endforeach()
  # The MPI tests run at 2 ranks, one at a time.
  set_tests_properties(sanitize_mpi PROPERTIES PROCESSORS 2)
endif()
