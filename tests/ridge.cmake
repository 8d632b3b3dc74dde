zl_mpi_program(test_ridge)
foreach(np 1 2 4)
  zl_mpi_test(test_ridge_np${np} ${np} COMMAND $<TARGET_FILE:test_ridge>)
  zl_mpi_test(test_ridge_wide_np${np} ${np} COMMAND $<TARGET_FILE:test_ridge> 150)
  zl_mpi_test(test_ridge_blocks_np${np} ${np} COMMAND $<TARGET_FILE:test_ridge> 150 100)
endforeach()

# Exact quantiles over ranks (rff's input map), hand-checked, at 1, 2 and 4 ranks.
zl_mpi_program(test_knots)
foreach(np 1 2 4)
  zl_mpi_test(test_knots_np${np} ${np} COMMAND $<TARGET_FILE:test_knots>)
endforeach()
