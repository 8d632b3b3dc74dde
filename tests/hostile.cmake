# Hostile headers (issue 11, item 7): files whose headers claim absurd sizes fail at once with an
# exact one-line message. Each runs under `ulimit -v 1000000` (about 1 GB of address space): a
# parser that sized an allocation or a loop by the claim would fail differently (or not at once).
set(ZL_ULIMIT_SH "ulimit -v 1000000 && exec \"$@\"")
set(ZL_HOSTILE_ENV "")
if(ZL_SANITIZE)
  # ASan reserves terabytes of shadow address space, so under ulimit -v it cannot start; its own
  # cap on one allocation (returning NULL beyond it) stands in for the limit.
  set(ZL_ULIMIT_SH "exec \"$@\"")
  set(ZL_HOSTILE_ENV "ASAN_OPTIONS=allocator_may_return_null=1:max_allocation_size_mb=1000")
endif()

# .npy, idx (plain and gzip) and CSV headers, through the kernels' API.
add_executable(test_hostile test_hostile.c)
target_link_libraries(test_hostile PRIVATE zl_kernels zl_testlib ZLIB::ZLIB)
add_test(NAME hostile_kernels COMMAND sh -c "${ZL_ULIMIT_SH}" sh $<TARGET_FILE:test_hostile>)
set_tests_properties(hostile_kernels PROPERTIES TIMEOUT 60 LABELS unit)

# Zoo files whose /weights, /layout or a string dataset claim extents the file cannot hold (chunks
# never written): zl_zoo_open and the string read refuse them at 1 and 2 ranks.
set(ZL_HOSTILE_DIR ${CMAKE_CURRENT_BINARY_DIR}/hostile_files)
file(MAKE_DIRECTORY ${ZL_HOSTILE_DIR})
zl_mpi_program(hostile_zoo)
foreach(np 1 2)
  zl_mpi_test(hostile_zoo_np${np} ${np} COMMAND sh -c "${ZL_ULIMIT_SH}" sh
              $<TARGET_FILE:hostile_zoo> ${ZL_HOSTILE_DIR} TIMEOUT 60)
endforeach()
set_tests_properties(hostile_zoo_np1 PROPERTIES FIXTURES_SETUP hostile_files)

# info and analyze at 2 ranks on the zoo claiming 10^12 rows: one line, exit 1, under the limit
# (analyze's rank 0 would otherwise size its run index by the claim).
zl_launcher(launch2 2)
string(CONCAT ZL_HOSTILE_WEIGHTS_SH
       "n=$(wc -c < huge_weights.h5) && exec sh \"$0\" 1 \"zoolens: huge_weights.h5: /weights: "
       "shape [1000000000000, 30] of 4-byte elements does not fit in the file's $n bytes\" \"$@\"")
foreach(cmd info analyze)
  set(args huge_weights.h5)
  if(cmd STREQUAL analyze)
    list(APPEND args --out analyze_out)
  endif()
  zl_script_test(hostile_${cmd} 2 ${ZL_HOSTILE_DIR} hostile_files -c "${ZL_HOSTILE_WEIGHTS_SH}"
                 ${ZL_EXPECT_ERROR} ${launch2} sh -c "${ZL_ULIMIT_SH}" sh $<TARGET_FILE:zoolens>
                 ${cmd} ${args})
endforeach()

# import at 2 ranks of directories hostile in weights.npy, layout.csv and metrics.csv.gz.
function(zl_hostile_import name message)
  zl_script_test(hostile_import_${name} 2 ${ZL_HOSTILE_DIR} hostile_files ${ZL_EXPECT_ERROR} 1
                 "zoolens: ${message}" ${launch2} sh -c "${ZL_ULIMIT_SH}" sh
                 $<TARGET_FILE:zoolens> import ${name} ${name}.h5)
endfunction()
zl_hostile_import(huge_npy "huge_npy/weights.npy: truncated: header says 1000000000000 x 4970 float32 (19880000000000000 bytes) but the file holds 16")
zl_hostile_import(wide_layout "wide_layout/layout.csv: line 1: more than 65536 fields")
zl_hostile_import(long_metrics
                  "long_metrics/metrics.csv.gz: line 2: a field longer than 1048576 bytes")
zl_hostile_import(many_tensors "many_tensors/layout.csv: 31 tensors for 30 parameters")

if(ZL_HOSTILE_ENV)
  foreach(t hostile_kernels hostile_zoo_np1 hostile_zoo_np2 hostile_info hostile_analyze
            hostile_import_huge_npy hostile_import_wide_layout hostile_import_long_metrics
            hostile_import_many_tensors)
    set_property(TEST ${t} APPEND PROPERTY ENVIRONMENT ${ZL_HOSTILE_ENV})
  endforeach()
endif()
