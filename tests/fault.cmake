# Injected faults (issue 11, item 3): with ZL_FAULT=<rank>:<phase>, one rank of a 2-rank analyze
# fails in each phase (open, read, features, each estimator, transfer, gather, predictions,
# report) and of a 2-rank train inside a run and between runs; each ends within 10 s with one line
# naming rank, phase and cause, no crash, nothing complete-looking left, and train's .part resumes
# to the bytes of an uninterrupted run (tests/fault.sh prints the seconds each took).
set(ZL_FAULT_DIR ${CMAKE_CURRENT_BINARY_DIR}/fault)
add_test(NAME fault_clean COMMAND ${CMAKE_COMMAND} -E rm -rf ${ZL_FAULT_DIR})
add_test(NAME fault_mkdir COMMAND ${CMAKE_COMMAND} -E make_directory ${ZL_FAULT_DIR})
set_tests_properties(fault_clean PROPERTIES FIXTURES_SETUP fault_clean)
set_tests_properties(fault_mkdir PROPERTIES FIXTURES_SETUP fault_dir FIXTURES_REQUIRED fault_clean)
# Two small zoos whose pooled features transfer.
zl_mpi_test(fault_synth 2 COMMAND $<TARGET_FILE:zoolens> synth --networks 200 --seed 3 --out
            ${ZL_FAULT_DIR}/z.h5)
zl_mpi_test(fault_synth_mlp 2 COMMAND $<TARGET_FILE:zoolens> synth --networks 200 --seed 4
            --architecture mlp --first-run 1000 --out ${ZL_FAULT_DIR}/m.h5)
set_tests_properties(fault_synth fault_synth_mlp PROPERTIES FIXTURES_SETUP fault_zoos
                     FIXTURES_REQUIRED fault_dir)

zl_launcher(launch2 2)
# Also used by tests/trainjob.cmake for train's faults.
function(zl_fault_test rank phase dir fixture ref args)
  zl_script_test(fault_r${rank}_${phase} 2 ${dir} ${fixture} ${CMAKE_CURRENT_SOURCE_DIR}/fault.sh
                 $<TARGET_FILE:zoolens> ${rank} ${phase} ${ref} "${args}" ${launch2})
endfunction()
set(fault_analyze "analyze z.h5 --features wstats --estimator ridge,rff --rff-features 64")
# Every phase on rank 1 (its message travels to rank 0); rank 0's own failures where it alone
# works: validating the inputs, writing predictions.h5 and the report. A new estimator joins the
# list and --estimator (its fault point is its name, in cmd_analyze.c's run_cv).
foreach(phase open read features ridge rff gather predictions report)
  zl_fault_test(1 ${phase} ${ZL_FAULT_DIR} fault_zoos - "${fault_analyze}")
endforeach()
foreach(phase open predictions report)
  zl_fault_test(0 ${phase} ${ZL_FAULT_DIR} fault_zoos - "${fault_analyze}")
endforeach()
zl_fault_test(1 transfer ${ZL_FAULT_DIR} fault_zoos - "analyze z.h5 m.h5 --features pooled --estimator ridge")
# gbm (issue 12) at its own fault point, alone, so that the other phases' runs stay short.
zl_fault_test(1 gbm ${ZL_FAULT_DIR} fault_zoos - "analyze z.h5 --features wstats --estimator gbm")

# Killed processes (issue 11, item 4; tests/kill.sh): kill -9 of rank 1 or rank 0 while analyze
# estimates, on a zoo large enough to be killed in the middle.
zl_mpi_test(kill_synth 2 COMMAND $<TARGET_FILE:zoolens> synth --networks 800 --seed 5 --out
            ${ZL_FAULT_DIR}/k.h5)
set_tests_properties(kill_synth PROPERTIES FIXTURES_SETUP kill_zoo FIXTURES_REQUIRED fault_dir)
foreach(rank 1 0)
  zl_script_test(kill_analyze_r${rank} 2 ${ZL_FAULT_DIR} kill_zoo
                 ${CMAKE_CURRENT_SOURCE_DIR}/kill.sh analyze $<TARGET_FILE:zoolens> ${rank} k.h5
                 ${launch2})
endforeach()
