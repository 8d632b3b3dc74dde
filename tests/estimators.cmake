# Issue-5 checks of the estimators and transfer on synth zoos: rff beats ridge on a nonlinear
# target; nothing beats R² 0 on a target of noise alone; transfer A -> identical B equals the
# in-sample fit on A (scikit-learn reference).
set(ZL_EST_DIR ${CMAKE_CURRENT_BINARY_DIR}/estimators)
add_test(NAME estimators_clean COMMAND ${CMAKE_COMMAND} -E rm -rf ${ZL_EST_DIR})
add_test(NAME estimators_mkdir COMMAND ${CMAKE_COMMAND} -E make_directory ${ZL_EST_DIR})
set_tests_properties(estimators_clean PROPERTIES FIXTURES_SETUP est_clean)
set_tests_properties(estimators_mkdir PROPERTIES FIXTURES_SETUP est_dir FIXTURES_REQUIRED est_clean)

function(zl_est_synth name)
  zl_mpi_test(estimators_synth_${name} 2 COMMAND $<TARGET_FILE:zoolens> synth --out
              ${ZL_EST_DIR}/${name}.h5 ${ARGN})
  set_tests_properties(estimators_synth_${name} PROPERTIES FIXTURES_SETUP est_zoos
                       FIXTURES_REQUIRED est_dir)
endfunction()
zl_est_synth(nonlinear --networks 1500 --seed 3 --target nonlinear)
zl_est_synth(noise --networks 1000 --seed 4 --target noise)
zl_est_synth(alpha --networks 600 --seed 5 --dataset alpha)
zl_est_synth(beta --networks 600 --seed 5 --dataset beta)

function(zl_est_analyze name)
  zl_mpi_test(estimators_analyze_${name} 2 COMMAND $<TARGET_FILE:zoolens> analyze ${ARGN})
  set_tests_properties(estimators_analyze_${name} PROPERTIES FIXTURES_SETUP est_reports
                       FIXTURES_REQUIRED est_zoos)
endfunction()
zl_est_analyze(nonlinear ${ZL_EST_DIR}/nonlinear.h5 --features wstats --rff-features 256 --out
               ${ZL_EST_DIR}/nonlinear)
zl_est_analyze(noise ${ZL_EST_DIR}/noise.h5 --rff-features 128 --out ${ZL_EST_DIR}/noise)
zl_est_analyze(transfer ${ZL_EST_DIR}/alpha.h5 ${ZL_EST_DIR}/beta.h5 --features wstats
               --estimator ridge --out ${ZL_EST_DIR}/transfer)

function(zl_est_check name)
  add_test(NAME estimators_${name} COMMAND ${ZL_PYTHON} ${ARGN})
  set_tests_properties(estimators_${name} PROPERTIES FIXTURES_REQUIRED est_reports TIMEOUT 120
                       SKIP_RETURN_CODE 77)
endfunction()
zl_est_check(rff_beats_ridge ${CMAKE_CURRENT_SOURCE_DIR}/check_scores.py
             ${ZL_EST_DIR}/nonlinear/report.json margin wstats rff ridge 0.3)
zl_est_check(noise_has_no_signal ${CMAKE_CURRENT_SOURCE_DIR}/check_scores.py
             ${ZL_EST_DIR}/noise/report.json below 0.03)
zl_est_check(transfer_is_in_sample ${CMAKE_CURRENT_SOURCE_DIR}/ref_transfer.py
             ${ZL_EST_DIR}/alpha.h5 ${ZL_EST_DIR}/transfer)

# analyze's own plots are valid SVG that renders, and report.md holds every cell the defaults
# promise: 4 feature sets x 2 estimators on the zoo (the noise run uses the defaults).
add_test(NAME estimators_plots_render COMMAND sh -c "${ZL_RENDER_SH}" sh
         ${ZL_EST_DIR}/transfer/pred_alpha_cnn_wstats_ridge.svg
         ${ZL_EST_DIR}/transfer/transfer_wstats_ridge.svg)
add_test(NAME estimators_plots_xml COMMAND sh -c "${ZL_XMLLINT_SH}" sh
         ${ZL_EST_DIR}/transfer/pred_alpha_cnn_wstats_ridge.svg
         ${ZL_EST_DIR}/transfer/transfer_wstats_ridge.svg)
set_tests_properties(estimators_plots_render estimators_plots_xml PROPERTIES TIMEOUT 60
                     SKIP_RETURN_CODE 77 FIXTURES_REQUIRED est_reports)
zl_est_check(report_md_cells ${CMAKE_CURRENT_SOURCE_DIR}/check_scores.py
             ${ZL_EST_DIR}/noise/report.md cells wstats,hparams,spectral,pooled ridge,rff)
