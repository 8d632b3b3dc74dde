# Hostile headers (issue 11, item 7): files whose headers claim absurd sizes fail at once with an
# exact one-line message. Each runs under `ulimit -v 1000000` (about 1 GB of address space): a
# parser that sized an allocation or a loop by the claim would fail differently (or not at once).
set(ZL_ULIMIT_SH "ulimit -v 1000000 && exec \"$@\"")

# .npy, idx (plain and gzip) and CSV headers, through the kernels' API.
add_executable(test_hostile test_hostile.c)
target_link_libraries(test_hostile PRIVATE zl_kernels zl_testlib ZLIB::ZLIB)
add_test(NAME hostile_kernels COMMAND sh -c "${ZL_ULIMIT_SH}" sh $<TARGET_FILE:test_hostile>)
set_tests_properties(hostile_kernels PROPERTIES TIMEOUT 60 LABELS unit)
