# Bad data beyond the importer (issue 11, item 6): zoo files that are truncated, bit-flipped, of the
# wrong shape or type, without usable rows or targets, mislabelled, or degenerate for the
# estimators. Each analyze at 2 ranks either exits 1 with the exact one-line message or finishes
# with a report whose content is checked (tests/baddata_report.py). The broken files are edits of
# a small synth zoo (tests/baddata_fixtures.py, h5py; the tests skip without it). Covered
# elsewhere: fewer runs than folds (analyze_bad_folds), a non-finite target (analyze_bad_nan),
# a short metrics column through info (info_bad_column), format_version (analyze_bad_version).
set(ZL_BAD_DIR ${CMAKE_CURRENT_BINARY_DIR}/baddata)
add_test(NAME baddata_clean COMMAND ${CMAKE_COMMAND} -E rm -rf ${ZL_BAD_DIR})
add_test(NAME baddata_mkdir COMMAND ${CMAKE_COMMAND} -E make_directory ${ZL_BAD_DIR})
set_tests_properties(baddata_clean PROPERTIES FIXTURES_SETUP baddata_clean)
set_tests_properties(baddata_mkdir PROPERTIES FIXTURES_SETUP baddata_dir
                     FIXTURES_REQUIRED baddata_clean)
zl_mpi_test(baddata_synth 2 COMMAND $<TARGET_FILE:zoolens> synth --networks 100 --seed 7 --out
            ${ZL_BAD_DIR}/base.h5)
# Another architecture, and other runs, so that only the layout tells it from base.h5.
zl_mpi_test(baddata_synth_mlp 2 COMMAND $<TARGET_FILE:zoolens> synth --networks 100 --seed 7
            --architecture mlp --first-run 1000 --out ${ZL_BAD_DIR}/mlp.h5)
set_tests_properties(baddata_synth baddata_synth_mlp PROPERTIES FIXTURES_SETUP baddata_zoos
                     FIXTURES_REQUIRED baddata_dir)
add_test(NAME baddata_fixtures COMMAND ${ZL_PYTHON} ${CMAKE_CURRENT_SOURCE_DIR}/baddata_fixtures.py
         base.h5 mlp.h5 . WORKING_DIRECTORY ${ZL_BAD_DIR})
set_tests_properties(baddata_fixtures PROPERTIES FIXTURES_SETUP baddata_files
                     FIXTURES_REQUIRED baddata_zoos SKIP_RETURN_CODE 77 TIMEOUT 60)

zl_launcher(launch2 2)
function(zl_baddata_error name message)
  zl_script_test(${name} 2 ${ZL_BAD_DIR} baddata_files ${ZL_EXPECT_ERROR} 1 "zoolens: ${message}"
                 ${launch2} $<TARGET_FILE:zoolens> analyze ${ARGN} --out out_${name})
endfunction()
# HDF5's own words: they say what is wrong and by how much.
zl_baddata_error(baddata_truncated
                 "truncated.h5: /: H5Fopen failed: truncated file: eof = 1001492, sblock->base_addr = 0, stored_eof = 2002985"
                 truncated.h5)
zl_baddata_error(baddata_flipped_meta
                 "flipped_meta.h5: /layout: H5Dopen2 failed: incorrect metadata checksum after all read attempts"
                 flipped_meta.h5)
zl_baddata_error(baddata_acc_short
                 "acc_short.h5: /metrics/test_accuracy: shape [99] does not match the 100 rows of /weights"
                 acc_short.h5)
zl_baddata_error(baddata_acc_2d
                 "acc_2d.h5: /metrics/test_accuracy: shape [100, 1] does not match the 100 rows of /weights"
                 acc_2d.h5)
zl_baddata_error(baddata_weights_f64 "weights_f64.h5: /weights: not float32" weights_f64.h5)
zl_baddata_error(baddata_allnan
                 "allnan.h5: /weights: no network with finite weights (all 100 have a NaN or Inf)"
                 allnan.h5)
zl_baddata_error(baddata_constant_target
                 "constant.h5: /metrics/test_accuracy: every network has the same value (0.5): R² is undefined, nothing to predict"
                 constant.h5)
zl_baddata_error(baddata_mixed_layouts "mislabelled.h5: layout differs from base.h5's" base.h5
                 mislabelled.h5)

# A zoo in HDF5's pre-1.8 format (as h5py writes it by default) reads as any other; with a byte of
# a root attribute's header flipped it crashed HDF5 1.10.8 (a segmentation fault reported by the
# launcher): now one line and exit 1 (mpi/zoo.c, crash_guard_on). Needs no h5py.
add_test(NAME baddata_old_format COMMAND sh ${CMAKE_CURRENT_SOURCE_DIR}/old_format_zoo.sh base.h5
                                         old.h5 old_flipped.h5 WORKING_DIRECTORY ${ZL_BAD_DIR})
set_tests_properties(baddata_old_format PROPERTIES FIXTURES_SETUP baddata_old
                     FIXTURES_REQUIRED baddata_zoos SKIP_RETURN_CODE 77 TIMEOUT 60)
zl_mpi_test(baddata_old_info 2 COMMAND $<TARGET_FILE:zoolens> info ${ZL_BAD_DIR}/old.h5)
set_tests_properties(baddata_old_info PROPERTIES FIXTURES_REQUIRED baddata_old)
foreach(cmd info analyze)
  set(args old_flipped.h5)
  if(cmd STREQUAL analyze)
    list(APPEND args --out out_old_flipped)
  endif()
  zl_script_test(baddata_old_flipped_${cmd} 2 ${ZL_BAD_DIR} baddata_old ${ZL_EXPECT_ERROR} 1
                 "zoolens: old_flipped.h5: corrupt HDF5 metadata (reading it crashed)" ${launch2}
                 $<TARGET_FILE:zoolens> ${cmd} ${args})
endforeach()

# Handled: the analysis finishes and its report says what it used.
function(zl_baddata_report name zoo)
  zl_mpi_test(${name} 2 TIMEOUT 60 COMMAND $<TARGET_FILE:zoolens> analyze ${ZL_BAD_DIR}/${zoo}
              --rff-features 128 --out ${ZL_BAD_DIR}/out_${name})
  set_tests_properties(${name} PROPERTIES FIXTURES_SETUP ${name} FIXTURES_REQUIRED baddata_files)
  add_test(NAME ${name}_report COMMAND ${ZL_PYTHON} ${CMAKE_CURRENT_SOURCE_DIR}/baddata_report.py
           out_${name} ${zoo} ${ARGN} WORKING_DIRECTORY ${ZL_BAD_DIR})
  set_tests_properties(${name}_report PROPERTIES FIXTURES_REQUIRED ${name} SKIP_RETURN_CODE 77
                       TIMEOUT 60)
endfunction()
# Flipped bits in /weights' data: rows left with an Inf or NaN are dropped and counted.
zl_baddata_report(baddata_flipped_weights flipped.h5 --dropped-from flipped.txt)
# An integer /metrics/test_accuracy is read as its values.
zl_baddata_report(baddata_acc_int acc_int.h5)
# Every network identical: constant features, R² about 0 (the fold means), no NaN.
zl_baddata_report(baddata_identical identical.h5)
# Scaled copies of one network: singular Grams, solved through the eigendecomposition.
zl_baddata_report(baddata_collinear collinear.h5)
