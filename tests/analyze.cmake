# zoolens analyze end to end on a synth zoo: planted signal recovered, same scores at 1, 2, 4 ranks.
set(ZL_ANALYZE_DIR ${CMAKE_CURRENT_BINARY_DIR}/analyze)
set(ZL_SYNTH_N 1500)
# rff at D = 128 where the point is agreement (ranks, file splits, reruns), not accuracy: what they
# check does not depend on D, and the default D = 1024 costs ~30 s per feature set on 2 cores.
set(ZL_TEST_RFF --rff-features 128)
add_test(NAME analyze_clean COMMAND ${CMAKE_COMMAND} -E rm -rf ${ZL_ANALYZE_DIR})
set_tests_properties(analyze_clean PROPERTIES FIXTURES_SETUP analyze_clean)
add_test(NAME analyze_mkdir COMMAND ${CMAKE_COMMAND} -E make_directory ${ZL_ANALYZE_DIR})
set_tests_properties(analyze_mkdir PROPERTIES FIXTURES_SETUP analyze_dir FIXTURES_REQUIRED analyze_clean)
zl_mpi_test(analyze_synth 2 COMMAND $<TARGET_FILE:zoolens> synth --networks ${ZL_SYNTH_N} --seed 7
            --out ${ZL_ANALYZE_DIR}/synth.h5)
set_tests_properties(analyze_synth PROPERTIES FIXTURES_SETUP analyze_zoo FIXTURES_REQUIRED analyze_dir)
foreach(np 1 2 3 4)
  zl_mpi_test(analyze_np${np} ${np} COMMAND $<TARGET_FILE:zoolens> analyze ${ZL_ANALYZE_DIR}/synth.h5
              ${ZL_TEST_RFF} --out ${ZL_ANALYZE_DIR}/np${np})
  set_tests_properties(analyze_np${np} PROPERTIES FIXTURES_SETUP analyze_reports
                       FIXTURES_REQUIRED analyze_zoo)
endforeach()

# predictions.h5 alone: each group's columns in rank order; a group with the first group's rows
# links to its columns, one with other or fewer rows has its own.
zl_mpi_program(test_predictions)
foreach(np 1 2 4)
  zl_mpi_test(test_predictions_np${np} ${np} COMMAND $<TARGET_FILE:test_predictions>
              ${ZL_ANALYZE_DIR} TIMEOUT 60)
  set_tests_properties(test_predictions_np${np} PROPERTIES FIXTURES_REQUIRED analyze_dir)
endforeach()

zl_mpi_program(check_synth_report)
add_test(NAME analyze_planted_signal
         COMMAND check_synth_report ${ZL_ANALYZE_DIR}/np2/report.json ${ZL_ANALYZE_DIR}/synth.h5
                 ${ZL_SYNTH_N})
set_tests_properties(analyze_planted_signal PROPERTIES FIXTURES_REQUIRED analyze_reports TIMEOUT 60)
foreach(np 2 3 4)
  add_test(NAME analyze_ranks_agree_np${np}
           COMMAND $<TARGET_FILE:zoolens> compare ${ZL_ANALYZE_DIR}/np1/report.json
                   ${ZL_ANALYZE_DIR}/np${np}/report.json --tolerance 0)
  set_tests_properties(analyze_ranks_agree_np${np} PROPERTIES FIXTURES_REQUIRED analyze_reports
                       TIMEOUT 60)
endforeach()

# Real data: the dev zoo (when ../shared is there) analysed on 2 ranks with the defaults and gbm,
# then every held-out prediction and the per-fold R² and τ recomputed independently with numpy +
# scikit-learn, and rff's R² on W-stats held to within 0.01 of scikit-learn's gradient-boosted
# trees on the same features and folds (issue 5's target), and so is gbm's (issue 12; measured
# when written: gbm 0.764, scikit-learn 0.740).
set(ZL_DEV_ZOO ${ZL_SHARED_DIR}/zoos/dev/mnist)
if(EXISTS ${ZL_DEV_ZOO}/weights.npy)
  zl_mpi_test(analyze_dev_import 1 COMMAND $<TARGET_FILE:zoolens> import ${ZL_DEV_ZOO}
              ${ZL_ANALYZE_DIR}/dev.h5)
  set_tests_properties(analyze_dev_import PROPERTIES FIXTURES_SETUP analyze_dev_zoo
                       FIXTURES_REQUIRED analyze_dir)
  zl_mpi_test(analyze_dev 2 TIMEOUT 400 COMMAND $<TARGET_FILE:zoolens> analyze
              ${ZL_ANALYZE_DIR}/dev.h5 --estimator ridge,rff,gbm --out ${ZL_ANALYZE_DIR}/dev)
  set_tests_properties(analyze_dev PROPERTIES FIXTURES_SETUP analyze_dev_report
                       FIXTURES_REQUIRED analyze_dev_zoo)
  add_test(NAME analyze_dev_vs_sklearn COMMAND ${ZL_PYTHON} ${CMAKE_CURRENT_SOURCE_DIR}/ref_analyze.py
           ${ZL_ANALYZE_DIR}/dev.h5 ${ZL_ANALYZE_DIR}/dev)
  set_tests_properties(analyze_dev_vs_sklearn PROPERTIES FIXTURES_REQUIRED analyze_dev_report
                       SKIP_RETURN_CODE 77 TIMEOUT 300)
  add_test(NAME analyze_dev_rff_vs_gbm COMMAND ${ZL_PYTHON} ${PROJECT_SOURCE_DIR}/jobs/bench/sklearn_table.py
           ${ZL_ANALYZE_DIR}/dev.h5 ${ZL_ANALYZE_DIR}/dev 0 --require-rff-within 0.01
           --require-gbm-within 0.01)
  set_tests_properties(analyze_dev_rff_vs_gbm PROPERTIES FIXTURES_REQUIRED analyze_dev_report
                       SKIP_RETURN_CODE 77 TIMEOUT 300)
  # Issue 12: zoolens's dnn at or above scikit-learn's MLPRegressor − 0.03 with the same hidden
  # layers (64, 64 here, for time) on the same W-stats and folds. Measured when written: dnn R²
  # 0.377, MLPRegressor −2.45 (200 epochs) and −4.21 (early stopping): 80 networks per fit.
  zl_mpi_test(analyze_dev_dnn 2 TIMEOUT 300 COMMAND $<TARGET_FILE:zoolens> analyze
              ${ZL_ANALYZE_DIR}/dev.h5 --features wstats --estimator dnn --dnn-hidden 64,64
              --out ${ZL_ANALYZE_DIR}/dev_dnn)
  set_tests_properties(analyze_dev_dnn PROPERTIES FIXTURES_SETUP analyze_dev_dnn
                       FIXTURES_REQUIRED analyze_dev_zoo)
  add_test(NAME analyze_dev_dnn_vs_mlp COMMAND ${ZL_PYTHON} ${PROJECT_SOURCE_DIR}/jobs/bench/dnn_bench.py
           ${ZL_ANALYZE_DIR}/dev.h5 ${ZL_ANALYZE_DIR}/dev_dnn --hidden 64,64 --require-within 0.03)
  set_tests_properties(analyze_dev_dnn_vs_mlp PROPERTIES FIXTURES_REQUIRED analyze_dev_dnn
                       SKIP_RETURN_CODE 77 TIMEOUT 300)
else()
  message(STATUS "zoolens: ${ZL_DEV_ZOO} not found: the dev-zoo analyze tests are not registered")
endif()
# The same cross-check on the synth zoo, which needs nothing from ../shared.
add_test(NAME analyze_synth_vs_sklearn COMMAND ${ZL_PYTHON} ${CMAKE_CURRENT_SOURCE_DIR}/ref_analyze.py
         ${ZL_ANALYZE_DIR}/synth.h5 ${ZL_ANALYZE_DIR}/np2)
set_tests_properties(analyze_synth_vs_sklearn PROPERTIES FIXTURES_REQUIRED analyze_reports
                     SKIP_RETURN_CODE 77 TIMEOUT 300)

# Bad input at 2 ranks: exit code 1, the exact one-line message, no hang.
zl_launcher(launch2 2)
zl_mpi_test(analyze_synth_tiny 1 COMMAND $<TARGET_FILE:zoolens> synth --networks 3 --out
            ${ZL_ANALYZE_DIR}/three.h5)
set_tests_properties(analyze_synth_tiny PROPERTIES FIXTURES_SETUP analyze_three
                     FIXTURES_REQUIRED analyze_dir)
zl_mpi_test(analyze_import_nan 1 COMMAND $<TARGET_FILE:zoolens> import ${ZL_ZOO_FIXTURES}/tiny_gz
            ${ZL_ANALYZE_DIR}/nan.h5)
set_tests_properties(analyze_import_nan PROPERTIES FIXTURES_SETUP analyze_nan
                     FIXTURES_REQUIRED "analyze_dir;zoo_fixtures")
function(zl_analyze_bad name fixture message)
  zl_script_test(${name} 2 ${ZL_ANALYZE_DIR} "${fixture};zoo_fixtures" ${ZL_EXPECT_ERROR} 1
                 "zoolens: ${message}" ${launch2} $<TARGET_FILE:zoolens> analyze ${ARGN})
endfunction()
zl_analyze_bad(analyze_bad_missing analyze_dir "missing.h5: no such file" missing.h5 --out o)
zl_analyze_bad(analyze_bad_version analyze_dir
               "${ZL_ZOO_FIXTURES}/version2.h5: format_version is 2, this zoolens reads 1"
               ${ZL_ZOO_FIXTURES}/version2.h5 --out o)
zl_analyze_bad(analyze_bad_nan analyze_nan
               "nan.h5: /metrics/test_accuracy: row 5 is not finite (nan)" nan.h5 --out o)
zl_analyze_bad(analyze_bad_folds analyze_three "three.h5: 3 training runs are fewer than 5 folds"
               three.h5 --out o)
zl_script_test(analyze_bad_usage 2 ${ZL_ANALYZE_DIR} analyze_dir ${ZL_EXPECT_ERROR} 2
               "zoolens: analyze: --out DIR is required" ${launch2} $<TARGET_FILE:zoolens> analyze
               three.h5)

# A zoo split over files by disjoint run ranges (a SLURM job array's files) analyses like the whole.
zl_mpi_test(analyze_split_a 2 COMMAND $<TARGET_FILE:zoolens> synth --networks 600 --seed 7 --out
            ${ZL_ANALYZE_DIR}/part_a.h5)
zl_mpi_test(analyze_split_b 2 COMMAND $<TARGET_FILE:zoolens> synth --networks 900 --seed 7
            --first-run 600 --out ${ZL_ANALYZE_DIR}/part_b.h5)
set_tests_properties(analyze_split_a analyze_split_b PROPERTIES FIXTURES_SETUP analyze_parts
                     FIXTURES_REQUIRED analyze_dir)
zl_mpi_test(analyze_split 2 COMMAND $<TARGET_FILE:zoolens> analyze ${ZL_ANALYZE_DIR}/part_a.h5
            ${ZL_ANALYZE_DIR}/part_b.h5 ${ZL_TEST_RFF} --out ${ZL_ANALYZE_DIR}/split)
set_tests_properties(analyze_split PROPERTIES FIXTURES_SETUP analyze_split_report
                     FIXTURES_REQUIRED analyze_parts)
add_test(NAME analyze_split_equals_whole
         COMMAND $<TARGET_FILE:zoolens> compare ${ZL_ANALYZE_DIR}/np2/report.json
                 ${ZL_ANALYZE_DIR}/split/report.json --tolerance 0 --ignore-inputs)
set_tests_properties(analyze_split_equals_whole PROPERTIES
                     FIXTURES_REQUIRED "analyze_split_report;analyze_reports" TIMEOUT 60)
# ... while compare, minding inputs, reports the changed files as drift.
add_test(NAME compare_reports_input_change
         COMMAND $<TARGET_FILE:zoolens> compare ${ZL_ANALYZE_DIR}/np2/report.json
                 ${ZL_ANALYZE_DIR}/split/report.json)
set_tests_properties(compare_reports_input_change PROPERTIES
                     FIXTURES_REQUIRED "analyze_split_report;analyze_reports" TIMEOUT 60
                     PASS_REGULAR_EXPRESSION "input .*synth.h5: 1 -> 2 files.*not reproduced")
zl_analyze_bad(analyze_bad_same_runs analyze_parts
               "part_a.h5, part_a.h5: run 0 is in both files (the files of one zoo must hold different runs)"
               part_a.h5 part_a.h5 --out o)
add_test(NAME compare_drift COMMAND sh ${CMAKE_CURRENT_SOURCE_DIR}/compare_drift.sh
         $<TARGET_FILE:zoolens> ${ZL_ANALYZE_DIR}/np1/report.json ${ZL_ANALYZE_DIR})
set_tests_properties(compare_drift PROPERTIES FIXTURES_REQUIRED analyze_reports TIMEOUT 60)

# Same inputs and seed on the same rank count: the same report, to the last bit.
zl_mpi_test(analyze_np2_again 2 COMMAND $<TARGET_FILE:zoolens> analyze ${ZL_ANALYZE_DIR}/synth.h5
            ${ZL_TEST_RFF} --out ${ZL_ANALYZE_DIR}/np2_again)
set_tests_properties(analyze_np2_again PROPERTIES FIXTURES_SETUP analyze_again
                     FIXTURES_REQUIRED analyze_zoo)
add_test(NAME analyze_reproducible
         COMMAND $<TARGET_FILE:zoolens> compare ${ZL_ANALYZE_DIR}/np2/report.json
                 ${ZL_ANALYZE_DIR}/np2_again/report.json --tolerance 0)
set_tests_properties(analyze_reproducible PROPERTIES
                     FIXTURES_REQUIRED "analyze_reports;analyze_again" TIMEOUT 60)
