# A zoo split into 300 shard files (a SLURM job array's output) analyses exactly like the same zoo
# in one file, given as a file list or as a directory, also under `ulimit -n 256`; 2 ranks.
set(ZL_SHARDS_DIR ${CMAKE_CURRENT_BINARY_DIR}/shards)
set(ZL_SHARDS_OPTS --features wstats,hparams --estimator ridge --folds 3 --seed 5)
add_test(NAME shards_clean COMMAND ${CMAKE_COMMAND} -E rm -rf ${ZL_SHARDS_DIR})
set_tests_properties(shards_clean PROPERTIES FIXTURES_SETUP shards_clean)
add_test(NAME shards_mkdir COMMAND ${CMAKE_COMMAND} -E make_directory ${ZL_SHARDS_DIR}/files
                                   ${ZL_SHARDS_DIR}/empty)
set_tests_properties(shards_mkdir PROPERTIES FIXTURES_SETUP shards_dir FIXTURES_REQUIRED shards_clean)

# The whole zoo: 600 networks, one run each.
zl_mpi_test(shards_whole 2 COMMAND $<TARGET_FILE:zoolens> synth --networks 600 --seed 11 --out
            ${ZL_SHARDS_DIR}/whole.h5)
# Shards 0 and 1 (runs 0-1, 2-3) by synth --first-run, as train-array.sbatch's tasks make them; the
# other 298 cut from the whole file. The reports only match if synth's rows depend on the run id
# alone.
foreach(k 0 1)
  math(EXPR run "2 * ${k}")
  zl_mpi_test(shards_synth_${k} 1 COMMAND $<TARGET_FILE:zoolens> synth --networks 2 --seed 11
              --first-run ${run} --out ${ZL_SHARDS_DIR}/files/shard-0000${k}.h5)
  set_tests_properties(shards_synth_${k} PROPERTIES FIXTURES_SETUP shards_files
                       FIXTURES_REQUIRED shards_dir)
endforeach()
zl_mpi_program(shard_zoo)
zl_mpi_test(shards_cut 1 COMMAND $<TARGET_FILE:shard_zoo> ${ZL_SHARDS_DIR}/whole.h5 4 298
            ${ZL_SHARDS_DIR}/files 2)
set_tests_properties(shards_whole PROPERTIES FIXTURES_SETUP shards_whole FIXTURES_REQUIRED shards_dir)
set_tests_properties(shards_cut PROPERTIES FIXTURES_SETUP shards_files FIXTURES_REQUIRED shards_whole)
# An unfinished file of a task still writing is not an input (it would fail to open).
add_test(NAME shards_part COMMAND ${CMAKE_COMMAND} -E touch ${ZL_SHARDS_DIR}/files/shard-99999.h5.part
                                  ${ZL_SHARDS_DIR}/empty/shard-00000.h5.part)
set_tests_properties(shards_part PROPERTIES FIXTURES_SETUP shards_files FIXTURES_REQUIRED shards_dir)

zl_mpi_test(shards_analyze_whole 2 COMMAND $<TARGET_FILE:zoolens> analyze ${ZL_SHARDS_DIR}/whole.h5
            ${ZL_SHARDS_OPTS} --out ${ZL_SHARDS_DIR}/report_whole)
set_tests_properties(shards_analyze_whole PROPERTIES FIXTURES_SETUP shards_whole_report
                     FIXTURES_REQUIRED shards_whole)
zl_launcher(shards_launch 2)
string(JOIN " " shards_opts_words ${ZL_SHARDS_OPTS})
zl_script_test(shards_analyze 2 ${ZL_SHARDS_DIR} "shards_files;shards_whole_report"
               ${CMAKE_CURRENT_SOURCE_DIR}/shards.sh $<TARGET_FILE:zoolens> "${shards_opts_words}"
               ${shards_launch})
# Two analyses of 300 files: about 1 s per file on 2 ranks of a busy 2-core machine (each file is
# opened collectively for its metadata, its rows and its features), seconds on an idle one.
set_tests_properties(shards_analyze PROPERTIES TIMEOUT 400)
zl_script_test(shards_empty_dir 2 ${ZL_SHARDS_DIR} shards_files ${ZL_EXPECT_ERROR} 2
               "zoolens: analyze: empty: no *.h5 files in the directory" ${shards_launch}
               $<TARGET_FILE:zoolens> analyze empty --out o)
