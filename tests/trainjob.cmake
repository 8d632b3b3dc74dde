# zoolens train end to end (jobs/cmd_train.c), on a small synthetic data set so it needs nothing
# from ../shared: the same zoo from 1, 2 and 4 ranks, a crash and resume, every stored accuracy
# recomputed with numpy, bad options and data with their exact message; and a short MNIST run that
# learns (skipped without the MNIST files).
set(ZL_TRAINJOB_DIR ${CMAKE_CURRENT_BINARY_DIR}/trainjob)
find_program(ZL_H5DIFF h5diff)

add_test(NAME trainjob_clean COMMAND ${CMAKE_COMMAND} -E rm -rf ${ZL_TRAINJOB_DIR})
set_tests_properties(trainjob_clean PROPERTIES FIXTURES_SETUP trainjob_clean)
add_executable(train_data train_data.c)
target_link_libraries(train_data PRIVATE zl_kernels)
add_test(NAME trainjob_data COMMAND train_data ${ZL_TRAINJOB_DIR}/data)
set_tests_properties(trainjob_data PROPERTIES FIXTURES_SETUP trainjob_data
                     FIXTURES_REQUIRED trainjob_clean TIMEOUT 30)

# 6 runs: 3 rounds at 2 ranks; at 4 ranks a full round, then one where 2 ranks write no rows.
# Batch 64, since a run's subset may be a tenth of the 1000 images.
set(ZL_TRAINJOB_SEED 11)
set(ZL_TRAINJOB_OPTS --dataset mnist --data data --runs 6 --checkpoints 0,1,2 --train-limit 1000
    --test-limit 400 --batch-size 64)
foreach(np 1 2 4)
  zl_mpi_test(trainjob_np${np} ${np} COMMAND $<TARGET_FILE:zoolens> train ${ZL_TRAINJOB_OPTS}
              --seed ${ZL_TRAINJOB_SEED} --out np${np}.h5 TIMEOUT 120)
  set_tests_properties(trainjob_np${np} PROPERTIES WORKING_DIRECTORY ${ZL_TRAINJOB_DIR}
                       FIXTURES_SETUP trainjob_zoos FIXTURES_REQUIRED trainjob_data)
endforeach()
zl_mpi_test(trainjob_mlp 2 COMMAND $<TARGET_FILE:zoolens> train ${ZL_TRAINJOB_OPTS} --out mlp.h5
            --architecture mlp TIMEOUT 120)
set_tests_properties(trainjob_mlp PROPERTIES WORKING_DIRECTORY ${ZL_TRAINJOB_DIR}
                     FIXTURES_SETUP trainjob_mlp FIXTURES_REQUIRED trainjob_data)

zl_mpi_program(check_train_zoo)
add_test(NAME trainjob_whole COMMAND check_train_zoo ${ZL_TRAINJOB_DIR}/np2.h5 0 6 0,1,2 0)
set_tests_properties(trainjob_whole PROPERTIES FIXTURES_REQUIRED trainjob_zoos TIMEOUT 30)
foreach(zoo np2 mlp)
  add_test(NAME trainjob_forward_${zoo}
           COMMAND ${ZL_PYTHON} ${CMAKE_CURRENT_SOURCE_DIR}/ref_forward.py
                   ${ZL_TRAINJOB_DIR}/${zoo}.h5 ${ZL_TRAINJOB_DIR}/data 400)
  set_tests_properties(trainjob_forward_${zoo} PROPERTIES FIXTURES_REQUIRED "trainjob_zoos;trainjob_mlp"
                       SKIP_RETURN_CODE 77 TIMEOUT 60)
endforeach()

zl_launcher(launch2 2)
if(ZL_H5DIFF)
  foreach(np 2 4)
    add_test(NAME trainjob_same_np${np} COMMAND ${ZL_H5DIFF} np1.h5 np${np}.h5
             WORKING_DIRECTORY ${ZL_TRAINJOB_DIR})
    set_tests_properties(trainjob_same_np${np} PROPERTIES FIXTURES_REQUIRED trainjob_zoos
                         TIMEOUT 30)
  endforeach()
  string(REPLACE ";" " " trainjob_opts "${ZL_TRAINJOB_OPTS}")
  zl_script_test(trainjob_resume 2 ${ZL_TRAINJOB_DIR} trainjob_zoos
                 ${CMAKE_CURRENT_SOURCE_DIR}/train_resume.sh $<TARGET_FILE:zoolens> ${ZL_H5DIFF}
                 ${ZL_EXPECT_ERROR} np1.h5 ${ZL_TRAINJOB_SEED} "${trainjob_opts}" ${launch2})
else()
  message(STATUS "zoolens: h5diff (hdf5-tools) not found: the train rank-count and resume "
                 "comparisons are not registered")
endif()

# Faults injected inside a run and between runs (tests/fault.cmake): the .part resumes to the bytes
# of the uninterrupted 2-rank run.
string(REPLACE ";" " " trainjob_fault "train ${ZL_TRAINJOB_OPTS} --seed ${ZL_TRAINJOB_SEED}")
zl_fault_test(1 run ${ZL_TRAINJOB_DIR} trainjob_zoos np2.h5 "${trainjob_fault}")
zl_fault_test(0 between-runs ${ZL_TRAINJOB_DIR} trainjob_zoos np2.h5 "${trainjob_fault}")
# kill -9 of rank 0 in the middle of a train (tests/kill.sh): the .part resumes to the same bytes.
# Rank 1 killed passed alike (1.2-1.5 s to end the job); one rank keeps the suite short.
zl_script_test(kill_train_r0 2 ${ZL_TRAINJOB_DIR} trainjob_data ${CMAKE_CURRENT_SOURCE_DIR}/kill.sh
               train $<TARGET_FILE:zoolens> 0 data ${launch2})

# Bad input at 2 ranks: the exact one-line message, exit 2 (usage) or 1 (data), no hang.
function(zl_train_bad name code message)
  zl_script_test(trainjob_bad_${name} 2 ${ZL_TRAINJOB_DIR} trainjob_data ${ZL_EXPECT_ERROR} ${code}
                 "zoolens: ${message}" ${launch2} $<TARGET_FILE:zoolens> train ${ARGN})
endfunction()
set(trainjob_ok --dataset mnist --data data --runs 2 --out bad.h5)
zl_train_bad(required 2 "train: --dataset NAME, --data DIR, --runs N and --out OUT.h5 are required"
             --dataset mnist --data data --out bad.h5)
zl_train_bad(runs 2 "train: --runs: '0' is not a whole number in [1, 2147483647]" ${trainjob_ok} --runs 0)
zl_train_bad(dataset 2 "train: --dataset: 'cifar10' is not mnist, fashion_mnist, cifar10_gs or svhn_gs"
             ${trainjob_ok} --dataset cifar10)
zl_train_bad(architecture 2 "train: --architecture: 'resnet' is not cnn or mlp" ${trainjob_ok}
             --architecture resnet)
zl_train_bad(checkpoints 2 "train: --checkpoints: '0,2,2' is not an ascending list of at most 64 epochs in 0..100000, e.g. 0,1,2,3"
             ${trainjob_ok} --checkpoints 0,2,2)
zl_train_bad(option 2 "train: unknown option '--epochs' (see zoolens train --help)" ${trainjob_ok} --epochs 3)
zl_train_bad(positional 2 "train: unexpected argument 'extra'" ${trainjob_ok} extra)
zl_train_bad(no_data 1 "nodata/train-images-idx3-ubyte: not found (nor train-images-idx3-ubyte.gz)"
             ${trainjob_ok} --data nodata)
zl_train_bad(truncated 1 "data/bad/t10k-images-idx3-ubyte: header claims 512 images of 28 x 28 pixels, the file holds 1016 bytes"
             ${trainjob_ok} --data data/bad)

zl_script_test(trainjob_mnist 2 ${ZL_TRAINJOB_DIR} trainjob_data
               ${CMAKE_CURRENT_SOURCE_DIR}/train_mnist.sh ${ZL_SHARED_DIR}/data/mnist
               $<TARGET_FILE:zoolens> $<TARGET_FILE:check_train_zoo> ${ZL_PYTHON}
               ${CMAKE_CURRENT_SOURCE_DIR}/ref_forward.py ${launch2})

# The data set shared per node (MPI-3 shared memory) equals a private read, at 1, 2 and 4 ranks.
zl_mpi_program(test_nodedata)
foreach(np 1 2 4)
  zl_mpi_test(test_nodedata_np${np} ${np} COMMAND $<TARGET_FILE:test_nodedata>
              ${ZL_TRAINJOB_DIR}/data)
  set_tests_properties(test_nodedata_np${np} PROPERTIES FIXTURES_REQUIRED trainjob_data)
endforeach()
