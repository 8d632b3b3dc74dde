
# Exact quantiles over ranks (rff's input map), hand-checked, at 1, 2 and 4 ranks.
zl_mpi_program(test_knots)
foreach(np 1 2 4)
  zl_mpi_test(test_knots_np${np} ${np} COMMAND $<TARGET_FILE:test_knots>)
endforeach()

# The estimators' ScaLAPACK solves (1 × 1 grid per rank) against LAPACK, at 1 and 2 ranks.
zl_mpi_program(test_solve)
foreach(np 1 2)
  zl_mpi_test(test_solve_np${np} ${np} COMMAND $<TARGET_FILE:test_solve>)
endforeach()
