# The zoo file (mpi/zoo.c), its serial parsers (kernels/npy.c, table.c), and the import and info
# jobs. Import and info run as the real zoolens binary under the launcher, driven by scripts that
# check exit codes and exact messages.
zl_unit_test(test_npy)
zl_unit_test(test_table)

zl_mpi_program(test_zoo)
foreach(np 1 2 4)
  zl_mpi_test(test_zoo_np${np} ${np} COMMAND $<TARGET_FILE:test_zoo> TIMEOUT 120)
endforeach()

# Tiny Small CNN Zoo directories (good and broken) and broken zoo files, written afresh (stale
# outputs removed) before any test that uses them.
zl_mpi_program(zoo_fixtures)
zl_mpi_test(zoo_fixtures 1 COMMAND $<TARGET_FILE:zoo_fixtures> ${ZL_ZOO_FIXTURES} TIMEOUT 60)
set_tests_properties(zoo_fixtures PROPERTIES FIXTURES_SETUP zoo_fixtures)
zl_mpi_program(test_import)

function(zl_zoo_script_test name np)
  zl_script_test(${name} ${np} ${ZL_ZOO_FIXTURES} zoo_fixtures ${ARGN})
endfunction()

# Round trips: every weight bit and value compared. --block-mib 1 makes several blocks per rank
# (52 rows of 4970 floats), and at 2 ranks unequal block counts (53 and 52 rows of tiny_gz).
set(roundtrip ${CMAKE_CURRENT_SOURCE_DIR}/zoo_roundtrip.sh)
foreach(np 1 2 4)
  zl_launcher(launch ${np})
  zl_zoo_script_test(import_tiny_gz_np${np} ${np} ${roundtrip} tiny_gz tiny_gz_np${np}.h5
                     $<TARGET_FILE:zoolens> $<TARGET_FILE:test_import> "--block-mib 1" ${launch})
  zl_zoo_script_test(import_dev_mnist_np${np} ${np} ${roundtrip} ${ZL_SHARED_DIR}/zoos/dev/mnist
                     dev_mnist_np${np}.h5 $<TARGET_FILE:zoolens> $<TARGET_FILE:test_import>
                     "--block-mib 1" ${launch})
endforeach()
zl_launcher(launch2 2)
zl_zoo_script_test(import_tiny_csv_np2 2 ${roundtrip} tiny_csv tiny_csv_np2.h5
                   $<TARGET_FILE:zoolens> $<TARGET_FILE:test_import>
                   "--dataset fashion_mnist --architecture mlp" ${launch2})

# Bad input, at 2 ranks: exit code and the exact one-line message, no hang.
set(expect ${CMAKE_CURRENT_SOURCE_DIR}/expect_error.sh)
function(zl_zoo_bad name code message)
  zl_zoo_script_test(${name} 2 ${expect} ${code} "zoolens: ${message}" ${launch2}
                     $<TARGET_FILE:zoolens> ${ARGN})
endfunction()
zl_zoo_bad(import_bad_usage 2 "import: expected SRC_DIR OUT.h5 (see zoolens import --help)"
           import tiny_csv)
zl_zoo_bad(import_bad_nodir 1 "no_such_dir: no such directory" import no_such_dir out.h5)
zl_zoo_bad(import_bad_noweights 1 "bad_noweights/weights.npy: no such file"
           import bad_noweights out.h5)
zl_zoo_bad(import_bad_nolayout 1 "bad_nolayout/layout.csv: no such file" import bad_nolayout out.h5)
zl_zoo_bad(import_bad_nometrics 1 "bad_nometrics: no metrics.csv.gz or metrics.csv"
           import bad_nometrics out.h5)
zl_zoo_bad(import_bad_truncated 1
           "bad_truncated/weights.npy: truncated: header says 37 x 30 float32 (4440 bytes) but the file holds 4400"
           import bad_truncated out.h5)
zl_zoo_bad(import_bad_dtype 1 "bad_dtype/weights.npy: dtype '<f8' is not float32 ('<f4')"
           import bad_dtype out.h5)
zl_zoo_bad(import_bad_rows 1 "bad_rows/metrics.csv: 36 rows but weights.npy has 37"
           import bad_rows out.h5)
zl_zoo_bad(import_bad_layout 1 "bad_layout/layout.csv does not cover the 30 parameters"
           import bad_layout out.h5)
zl_zoo_bad(import_bad_accuracy 1 "bad_accuracy/metrics.csv: line 4: test_accuracy 'abc' is not a number"
           import bad_accuracy out.h5)
zl_zoo_bad(import_bad_noname 1
           "bad_noname/metrics.csv: no column 'config.dataset': name it with --dataset"
           import bad_noname out.h5)
zl_zoo_bad(import_bad_outdir 1 "no/such/dir/out.h5.part: cannot create: No such file or directory"
           import tiny_csv no/such/dir/out.h5)
zl_zoo_bad(info_bad_usage 2 "info: expected one ZOO.h5 (see zoolens info --help)" info)
zl_zoo_bad(info_bad_missing 1 "missing.h5: no such file" info missing.h5)
zl_zoo_bad(info_bad_nothdf5 1 "nothdf5.h5: not an HDF5 file" info nothdf5.h5)
zl_zoo_bad(info_bad_notzoo 1 "notzoo.h5: not a zoolens zoo (no 'format' attribute)" info notzoo.h5)
zl_zoo_bad(info_bad_version 1 "version2.h5: format_version is 2, this zoolens reads 1"
           info version2.h5)
zl_zoo_bad(info_bad_shape 1 "shape.h5: /weights: shape [37, 30] does not match n_params 31"
           info shape.h5)
zl_zoo_bad(info_bad_layout 1 "gap.h5: /layout does not cover the 30 parameters" info gap.h5)
zl_zoo_bad(info_bad_column 1
           "short.h5: /metrics/test_loss: shape [36] does not match the 37 rows of /weights"
           info short.h5)
