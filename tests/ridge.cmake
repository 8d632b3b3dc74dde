zl_mpi_program(test_ridge)
foreach(np 1 2 4)
  zl_mpi_test(test_ridge_np${np} ${np} COMMAND $<TARGET_FILE:test_ridge>)
endforeach()
