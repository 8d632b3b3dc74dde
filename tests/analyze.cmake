# zoolens analyze end to end on a synth zoo: planted signal recovered, same scores at 1, 2, 4 ranks.
set(ZL_ANALYZE_DIR ${CMAKE_CURRENT_BINARY_DIR}/analyze)
set(ZL_SYNTH_N 1500)
add_test(NAME analyze_clean COMMAND ${CMAKE_COMMAND} -E rm -rf ${ZL_ANALYZE_DIR})
set_tests_properties(analyze_clean PROPERTIES FIXTURES_SETUP analyze_clean)
add_test(NAME analyze_mkdir COMMAND ${CMAKE_COMMAND} -E make_directory ${ZL_ANALYZE_DIR})
set_tests_properties(analyze_mkdir PROPERTIES FIXTURES_SETUP analyze_dir FIXTURES_REQUIRED analyze_clean)
zl_mpi_test(analyze_synth 2 COMMAND $<TARGET_FILE:zoolens> synth --networks ${ZL_SYNTH_N} --seed 7
            --out ${ZL_ANALYZE_DIR}/synth.h5)
set_tests_properties(analyze_synth PROPERTIES FIXTURES_SETUP analyze_zoo FIXTURES_REQUIRED analyze_dir)
foreach(np 1 2 4)
  zl_mpi_test(analyze_np${np} ${np} COMMAND $<TARGET_FILE:zoolens> analyze ${ZL_ANALYZE_DIR}/synth.h5
              --out ${ZL_ANALYZE_DIR}/np${np})
  set_tests_properties(analyze_np${np} PROPERTIES FIXTURES_SETUP analyze_reports
                       FIXTURES_REQUIRED analyze_zoo)
endforeach()

zl_mpi_program(check_synth_report)
add_test(NAME analyze_planted_signal
         COMMAND check_synth_report ${ZL_ANALYZE_DIR}/np2/report.json ${ZL_ANALYZE_DIR}/synth.h5
                 ${ZL_SYNTH_N})
set_tests_properties(analyze_planted_signal PROPERTIES FIXTURES_REQUIRED analyze_reports TIMEOUT 60)
foreach(np 2 4)
  add_test(NAME analyze_ranks_agree_np${np}
           COMMAND $<TARGET_FILE:zoolens> compare ${ZL_ANALYZE_DIR}/np1/report.json
                   ${ZL_ANALYZE_DIR}/np${np}/report.json --tolerance 1e-9)
  set_tests_properties(analyze_ranks_agree_np${np} PROPERTIES FIXTURES_REQUIRED analyze_reports
                       TIMEOUT 60)
endforeach()
