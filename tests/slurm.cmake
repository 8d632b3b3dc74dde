# The jobs/slurm batch scripts under a real one-node SLURM (slurmctld, slurmd, munge on localhost):
# analyze.sbatch, a 2-task train-array.sbatch, and nightly.sbatch (golden installed, reproduced,
# drift against a perturbed golden). Skips (77) without SLURM/munge or root; runs alone (it
# starts daemons and uses both cores).
add_test(NAME slurm_jobs
         COMMAND bash ${CMAKE_CURRENT_SOURCE_DIR}/slurm/test_slurm.sh $<TARGET_FILE:zoolens>
                 ${PROJECT_SOURCE_DIR})
set_tests_properties(slurm_jobs PROPERTIES SKIP_RETURN_CODE 77 TIMEOUT 600 RUN_SERIAL TRUE
                     LABELS slurm)
