# Portability and installation. build_clang: the zoolens target builds with clang -O3 -Werror
# (1 process, -j2). install_module: cmake --install into a prefix, module load zoolens from
# Lmod, synth + analyze at 2 ranks and analyze.sbatch with the installed binary.
find_program(ZL_CLANG NAMES clang)
add_test(NAME build_clang COMMAND sh ${CMAKE_CURRENT_SOURCE_DIR}/build_clang.sh ${CMAKE_COMMAND}
                                  ${PROJECT_SOURCE_DIR} "${ZL_CLANG}")
# A whole configure and build: 2 processors so ctest -j does not crowd it, and a long timeout.
set_tests_properties(build_clang PROPERTIES PROCESSORS 2 TIMEOUT 900 LABELS build
                     SKIP_RETURN_CODE 77)

zl_launcher(launch2 2)
add_test(NAME install_module
         COMMAND bash ${CMAKE_CURRENT_SOURCE_DIR}/install_module.sh ${CMAKE_COMMAND} ${PROJECT_BINARY_DIR}
                 ${CMAKE_CURRENT_BINARY_DIR}/install ${PROJECT_VERSION} ${launch2})
set_tests_properties(install_module PROPERTIES PROCESSORS 2 TIMEOUT 300 LABELS "install;mpi"
                     SKIP_RETURN_CODE 77 ENVIRONMENT "${ZL_MPI_TEST_ENV}")
