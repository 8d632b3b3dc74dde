# Input checksums (jobs/job_provenance.c): the same digests at 1, 2, 4 ranks, recomputed with
# coreutils from 4 KiB pieces (test_provenance) and from a report's 64 MiB pieces (a 2-piece zoo).
set(ZL_PROV_DIR ${CMAKE_CURRENT_BINARY_DIR}/provenance)
add_test(NAME provenance_clean COMMAND ${CMAKE_COMMAND} -E rm -rf ${ZL_PROV_DIR})
set_tests_properties(provenance_clean PROPERTIES FIXTURES_SETUP provenance_clean)
add_test(NAME provenance_mkdir COMMAND ${CMAKE_COMMAND} -E make_directory ${ZL_PROV_DIR})
set_tests_properties(provenance_mkdir PROPERTIES FIXTURES_SETUP provenance_dir
                     FIXTURES_REQUIRED provenance_clean)
set(ZL_PROV_RECOMPUTE ${CMAKE_CURRENT_SOURCE_DIR}/provenance_recompute.sh)

zl_mpi_program(test_provenance)
foreach(np 1 2 4)
  zl_mpi_test(test_provenance_np${np} ${np} TIMEOUT 60
              COMMAND $<TARGET_FILE:test_provenance> ${ZL_PROV_DIR}/np${np})
  set_tests_properties(test_provenance_np${np} PROPERTIES FIXTURES_SETUP provenance_digests
                       FIXTURES_REQUIRED provenance_dir)
  add_test(NAME provenance_coreutils_np${np}
           COMMAND sh ${ZL_PROV_RECOMPUTE} 4K ${ZL_PROV_DIR}/np${np}/digests.txt)
  set_tests_properties(provenance_coreutils_np${np} PROPERTIES FIXTURES_REQUIRED provenance_digests
                       SKIP_RETURN_CODE 77 TIMEOUT 60)
endforeach()
# The digests alone (the paths differ by directory) are the same at every rank count.
foreach(np 2 4)
  add_test(NAME provenance_ranks_agree_np${np}
           COMMAND sh -c "cut -c1-64 \"$1\" >\"$1.hex\" && cut -c1-64 \"$2\" | cmp \"$1.hex\" -" sh
                   ${ZL_PROV_DIR}/np1/digests.txt ${ZL_PROV_DIR}/np${np}/digests.txt)
  set_tests_properties(provenance_ranks_agree_np${np} PROPERTIES
                       FIXTURES_REQUIRED provenance_digests TIMEOUT 30)
endforeach()

# A real report: 4000 synth networks make an ~80 MB file, two 64 MiB pieces; analysed at 1 and
# 2 ranks (one piece each), the report's sha256 is recomputed with coreutils and compare checks
# that both reports name the same digest.
zl_mpi_test(provenance_synth 2 COMMAND $<TARGET_FILE:zoolens> synth --networks 4000 --seed 3
            --out ${ZL_PROV_DIR}/zoo.h5)
set_tests_properties(provenance_synth PROPERTIES FIXTURES_SETUP provenance_zoo
                     FIXTURES_REQUIRED provenance_dir)
foreach(np 1 2)
  zl_mpi_test(provenance_analyze_np${np} ${np} COMMAND $<TARGET_FILE:zoolens> analyze
              ${ZL_PROV_DIR}/zoo.h5 --features wstats --estimator ridge
              --out ${ZL_PROV_DIR}/report_np${np})
  set_tests_properties(provenance_analyze_np${np} PROPERTIES FIXTURES_SETUP provenance_reports
                       FIXTURES_REQUIRED provenance_zoo)
endforeach()
add_test(NAME provenance_report_coreutils
         COMMAND sh ${ZL_PROV_RECOMPUTE} 64M ${ZL_PROV_DIR}/report_np2/report.json ${ZL_PYTHON})
set_tests_properties(provenance_report_coreutils PROPERTIES FIXTURES_REQUIRED provenance_reports
                     SKIP_RETURN_CODE 77 TIMEOUT 60)
add_test(NAME provenance_report_ranks_agree
         COMMAND $<TARGET_FILE:zoolens> compare ${ZL_PROV_DIR}/report_np1/report.json
                 ${ZL_PROV_DIR}/report_np2/report.json --tolerance 0)
set_tests_properties(provenance_report_ranks_agree PROPERTIES FIXTURES_REQUIRED provenance_reports
                     TIMEOUT 60)
# A report from before the "checksum" key hashed whole files: compare must not call its digest a
# changed file, but say the schemes differ (and still fail, since it cannot vouch for the inputs).
string(CONCAT ZL_PROV_OLD_SH
       "\"$1\" -c 'import json, sys; r = json.load(open(sys.argv[1])); "
       "[i.pop(\"checksum\") for i in r[\"inputs\"]]; json.dump(r, open(sys.argv[2], \"w\"))' "
       "\"$3/report_np1/report.json\" \"$3/old_scheme.json\" || exit 1; "
       "out=$(\"$2\" compare \"$3/old_scheme.json\" \"$3/report_np1/report.json\"); rc=$?; "
       "echo \"$out\"; [ $rc -eq 1 ] && ! echo \"$out\" | grep -q 'checksum changed' && "
       "echo \"$out\" | grep -qx \"input $3/zoo.h5: checksums made differently (sha256 of the whole "
       "file -> sha256 of the sha256 of each 64 MiB piece), cannot tell whether the files changed: "
       "rerun the old report with this zoolens, or pass --ignore-inputs\"")
add_test(NAME provenance_compare_old_scheme
         COMMAND sh -c "${ZL_PROV_OLD_SH}" sh ${ZL_PYTHON} $<TARGET_FILE:zoolens> ${ZL_PROV_DIR})
set_tests_properties(provenance_compare_old_scheme PROPERTIES FIXTURES_REQUIRED provenance_reports
                     TIMEOUT 60)
