# Full disks and unwritable places (issue 11, item 5): analyze, synth, train and import at 2 ranks
# end within 10 s with one line and exit 1, crash nothing and leave no complete-looking file
# (tests/fulldisk.sh).
set(ZL_FULLDISK_DIR ${CMAKE_CURRENT_BINARY_DIR}/fulldisk)
add_test(NAME fulldisk_clean COMMAND ${CMAKE_COMMAND} -E rm -rf ${ZL_FULLDISK_DIR})
add_test(NAME fulldisk_mkdir COMMAND ${CMAKE_COMMAND} -E make_directory ${ZL_FULLDISK_DIR})
set_tests_properties(fulldisk_clean PROPERTIES FIXTURES_SETUP fulldisk_clean)
set_tests_properties(fulldisk_mkdir PROPERTIES FIXTURES_SETUP fulldisk_dir
                     FIXTURES_REQUIRED fulldisk_clean)
zl_launcher(ZL_FULLDISK_LAUNCH 2)
# train runs on train_data's small data set (tests/trainjob.cmake), import converts the tiny zoo
# directory of tests/zoo_fixtures.c.
zl_script_test(fulldisk 2 ${ZL_FULLDISK_DIR} "fulldisk_dir;zoo_fixtures"
               ${CMAKE_CURRENT_SOURCE_DIR}/fulldisk.sh $<TARGET_FILE:zoolens>
               $<TARGET_FILE:train_data> ${ZL_ZOO_FIXTURES}/tiny_gz ${ZL_FULLDISK_LAUNCH})
