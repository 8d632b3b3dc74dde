# Issue 10: analyze writes the same bits at 1, 2, 3 and 4 ranks — every score, λ and bandwidth
# (compare --tolerance 0) and every prediction (h5diff, which is exact by default) — for ridge, rff
# on random features (a 17 000-network zoo: two row tiles, so ranks hold different tiles) and rff's
# exact kernel (two 300-network zoos), and transfer between all three; gbm (issue 12) on the same
# zoos; then on the real dev zoo.
set(ZL_DET_DIR ${CMAKE_CURRENT_BINARY_DIR}/determinism)
add_test(NAME det_clean COMMAND ${CMAKE_COMMAND} -E rm -rf ${ZL_DET_DIR})
add_test(NAME det_mkdir COMMAND ${CMAKE_COMMAND} -E make_directory ${ZL_DET_DIR})
set_tests_properties(det_clean PROPERTIES FIXTURES_SETUP det_clean)
set_tests_properties(det_mkdir PROPERTIES FIXTURES_SETUP det_dir FIXTURES_REQUIRED det_clean)
find_program(ZL_H5DIFF h5diff)

function(zl_det_synth name)
  zl_mpi_test(det_synth_${name} 2 COMMAND $<TARGET_FILE:zoolens> synth --out
              ${ZL_DET_DIR}/${name}.h5 ${ARGN})
  set_tests_properties(det_synth_${name} PROPERTIES FIXTURES_SETUP det_zoos
                       FIXTURES_REQUIRED det_dir)
endfunction()
zl_det_synth(big --networks 17000 --seed 21)
zl_det_synth(gamma --networks 16500 --seed 24 --dataset gamma)
zl_det_synth(alpha --networks 300 --seed 22 --dataset alpha --target nonlinear)
zl_det_synth(beta --networks 300 --seed 23 --dataset beta --target nonlinear)

# One analysis per rank count, then each compared with the 1-rank one. FIXTURE: what the zoos need.
function(zl_det_runs tag fixture)
  foreach(np 1 2 3 4)
    zl_mpi_test(det_${tag}_np${np} ${np} TIMEOUT 300 COMMAND $<TARGET_FILE:zoolens> analyze ${ARGN}
                --out ${ZL_DET_DIR}/${tag}_np${np})
    set_tests_properties(det_${tag}_np${np} PROPERTIES FIXTURES_SETUP det_${tag}_reports
                         FIXTURES_REQUIRED ${fixture})
  endforeach()
  foreach(np 2 3 4)
    add_test(NAME det_${tag}_same_np${np}
             COMMAND $<TARGET_FILE:zoolens> compare ${ZL_DET_DIR}/${tag}_np1/report.json
                     ${ZL_DET_DIR}/${tag}_np${np}/report.json --tolerance 0)
    set_tests_properties(det_${tag}_same_np${np} PROPERTIES FIXTURES_REQUIRED det_${tag}_reports
                         TIMEOUT 60)
    if(ZL_H5DIFF)
      add_test(NAME det_${tag}_predictions_np${np}
               COMMAND ${ZL_H5DIFF} ${ZL_DET_DIR}/${tag}_np1/predictions.h5
                       ${ZL_DET_DIR}/${tag}_np${np}/predictions.h5)
      set_tests_properties(det_${tag}_predictions_np${np} PROPERTIES
                           FIXTURES_REQUIRED det_${tag}_reports TIMEOUT 60)
    endif()
  endforeach()
endfunction()
zl_det_runs(synth det_zoos ${ZL_DET_DIR}/big.h5 ${ZL_DET_DIR}/alpha.h5 ${ZL_DET_DIR}/beta.h5
            --features wstats,pooled --rff-features 64)
# Issue 12, gbm: the 17 000- and 16 500-network zoos' trees grown by all ranks together, their
# histograms summed (hparams: few features, so few bytes per sum), with transfer between them (a
# fit stopped early on a tenth of the training runs), and the two small zoos copied to every rank
# and their fits shared out, with transfer between them.
zl_det_runs(gbm_data det_zoos ${ZL_DET_DIR}/big.h5 ${ZL_DET_DIR}/gamma.h5 --features hparams
            --estimator gbm)
zl_det_runs(gbm_fits det_zoos ${ZL_DET_DIR}/alpha.h5 ${ZL_DET_DIR}/beta.h5 --features pooled
            --estimator gbm)
# Issue 12, dnn (small layers and few epochs: the point is the bits): the 17 000-network zoo trained
# data-parallel, its two tiles' gradients added exactly at every step, and the two small zoos
# copied to every rank and their fits shared out, with transfer between them.
zl_det_runs(dnn_data det_zoos ${ZL_DET_DIR}/big.h5 --features hparams --estimator dnn
            --dnn-hidden 16 --dnn-epochs 3)
zl_det_runs(dnn_fits det_zoos ${ZL_DET_DIR}/alpha.h5 ${ZL_DET_DIR}/beta.h5 --features pooled
            --estimator dnn --dnn-hidden 32,32 --dnn-epochs 30)
# report.json says what gbm and dnn chose, per fold and for transfer, as λ for ridge: gbm its trees
# and their shape, dnn its epochs (and no λ, which it has none of).
function(zl_det_chosen tag estimator keys)
  add_test(NAME det_${tag}_chosen COMMAND ${ZL_PYTHON} ${CMAKE_CURRENT_SOURCE_DIR}/check_scores.py
           ${ZL_DET_DIR}/${tag}_np1/report.json chosen ${estimator} ${keys} ${ARGN})
  set_tests_properties(det_${tag}_chosen PROPERTIES FIXTURES_REQUIRED det_${tag}_reports TIMEOUT 60)
endfunction()
zl_det_chosen(gbm_data gbm trees,max_depth,min_leaf_rows)
zl_det_chosen(gbm_fits gbm trees,max_depth,min_leaf_rows)
zl_det_chosen(dnn_data dnn epochs lambda)
zl_det_chosen(dnn_fits dnn epochs lambda)
if(EXISTS ${ZL_SHARED_DIR}/zoos/dev/mnist/weights.npy)
  zl_mpi_test(det_dev_import 1 COMMAND $<TARGET_FILE:zoolens> import ${ZL_SHARED_DIR}/zoos/dev/mnist
              ${ZL_DET_DIR}/dev.h5)
  set_tests_properties(det_dev_import PROPERTIES FIXTURES_SETUP det_dev FIXTURES_REQUIRED det_dir)
  zl_det_runs(dev det_dev ${ZL_DET_DIR}/dev.h5 --features wstats,spectral)
else()
  message(STATUS "determinism on the dev zoo not registered: ${ZL_SHARED_DIR}/zoos/dev is absent")
endif()

# The same zoo written twice, seconds apart, is the same bytes (HDF5 object headers carry no
# creation or modification times): nightly runs compare input checksums.
zl_launcher(det_launch 2)
string(REPLACE ";" " " det_launch "${det_launch}")
add_test(NAME det_zoo_bytes
         COMMAND sh -c "${det_launch} \"$1\" synth --networks 50 --seed 9 --out \"$2/bytes_a.h5\" >/dev/null && sleep 1.2 && ${det_launch} \"$1\" synth --networks 50 --seed 9 --out \"$2/bytes_b.h5\" >/dev/null && cmp \"$2/bytes_a.h5\" \"$2/bytes_b.h5\" && echo '1 passed, 0 failed'"
                 sh $<TARGET_FILE:zoolens> ${ZL_DET_DIR})
set_tests_properties(det_zoo_bytes PROPERTIES FIXTURES_REQUIRED det_dir TIMEOUT 120 LABELS mpi
                     ENVIRONMENT "${ZL_MPI_TEST_ENV}")
