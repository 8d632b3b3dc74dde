# Input digests (jobs/job_provenance.c), XXH3-128 (the default) and SHA-256 (--digest sha256): the
# same digests at 1, 2, 4 ranks, a flipped byte anywhere changes them, recomputed with xxhsum and
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
  foreach(alg xxh128 sha256)
    add_test(NAME provenance_recompute_${alg}_np${np}
             COMMAND sh ${ZL_PROV_RECOMPUTE} ${alg} 4K ${ZL_PROV_DIR}/np${np}/digests_${alg}.txt)
    set_tests_properties(provenance_recompute_${alg}_np${np} PROPERTIES
                         FIXTURES_REQUIRED provenance_digests SKIP_RETURN_CODE 77 TIMEOUT 60)
  endforeach()
endforeach()
# The digests alone (the paths differ by directory) are the same at every rank count.
foreach(np 2 4)
  foreach(alg xxh128 sha256)
    add_test(NAME provenance_ranks_agree_${alg}_np${np}
             COMMAND sh -c "cut -d' ' -f1 \"$1\" >\"$2.hex\" && cut -d' ' -f1 \"$2\" | cmp \"$2.hex\" -"
                     sh ${ZL_PROV_DIR}/np1/digests_${alg}.txt ${ZL_PROV_DIR}/np${np}/digests_${alg}.txt)
    set_tests_properties(provenance_ranks_agree_${alg}_np${np} PROPERTIES
                         FIXTURES_REQUIRED provenance_digests TIMEOUT 30)
  endforeach()
endforeach()

# A real report: 4000 synth networks make an ~80 MB file, two 64 MiB pieces; analysed at 1 and
# 2 ranks (one piece each) with the default digest and at 2 with --digest sha256, each report's
# digest is recomputed with xxhsum or coreutils and compare checks that the reports of one digest
# name the same one.
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
zl_mpi_test(provenance_analyze_sha256 2 COMMAND $<TARGET_FILE:zoolens> analyze
            ${ZL_PROV_DIR}/zoo.h5 --features wstats --estimator ridge --digest sha256
            --out ${ZL_PROV_DIR}/report_sha256)
set_tests_properties(provenance_analyze_sha256 PROPERTIES FIXTURES_SETUP provenance_reports
                     FIXTURES_REQUIRED provenance_zoo)
add_test(NAME provenance_report_recompute_xxh128
         COMMAND sh ${ZL_PROV_RECOMPUTE} xxh128 64M ${ZL_PROV_DIR}/report_np2/report.json
                 ${ZL_PYTHON})
add_test(NAME provenance_report_recompute_sha256
         COMMAND sh ${ZL_PROV_RECOMPUTE} sha256 64M ${ZL_PROV_DIR}/report_sha256/report.json
                 ${ZL_PYTHON})
set_tests_properties(provenance_report_recompute_xxh128 provenance_report_recompute_sha256
                     PROPERTIES FIXTURES_REQUIRED provenance_reports SKIP_RETURN_CODE 77 TIMEOUT 60)
zl_launcher(zl_prov_launch2 2)
zl_script_test(provenance_digest_bad 2 ${ZL_PROV_DIR} provenance_zoo
               ${CMAKE_CURRENT_SOURCE_DIR}/expect_error.sh 2
               "zoolens: analyze: --digest: 'md5' is not xxh128 or sha256" ${zl_prov_launch2}
               $<TARGET_FILE:zoolens> analyze zoo.h5 --digest md5 --out report_bad)
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
       "\"$3/report_sha256/report.json\" \"$3/old_scheme.json\" || exit 1; "
       "out=$(\"$2\" compare \"$3/old_scheme.json\" \"$3/report_sha256/report.json\"); rc=$?; "
       "echo \"$out\"; [ $rc -eq 1 ] && ! echo \"$out\" | grep -q 'checksum changed' && "
       "echo \"$out\" | grep -qx \"input $3/zoo.h5: checksums made differently (sha256 of the whole "
       "file -> sha256 of the sha256 of each 64 MiB piece), cannot tell whether the files changed: "
       "rerun the old report with this zoolens, or pass --ignore-inputs\"")
add_test(NAME provenance_compare_old_scheme
         COMMAND sh -c "${ZL_PROV_OLD_SH}" sh ${ZL_PYTHON} $<TARGET_FILE:zoolens> ${ZL_PROV_DIR})
# A SHA-256 report against an XXH3-128 one of the same zoo: the schemes differ, nothing changed.
string(CONCAT ZL_PROV_ALGS_SH
       "out=$(\"$1\" compare \"$2/report_sha256/report.json\" \"$2/report_np2/report.json\"); "
       "rc=$?; echo \"$out\"; [ $rc -eq 1 ] && ! echo \"$out\" | grep -q 'checksum changed' && "
       "echo \"$out\" | grep -qx \"input $2/zoo.h5: checksums made differently (sha256 of the sha256 "
       "of each 64 MiB piece -> xxh128 of the xxh128 of each 64 MiB piece), cannot tell whether the "
       "files changed: rerun the old report with this zoolens, or pass --ignore-inputs\"")
add_test(NAME provenance_compare_algorithms
         COMMAND sh -c "${ZL_PROV_ALGS_SH}" sh $<TARGET_FILE:zoolens> ${ZL_PROV_DIR})
# A SHA-256 report from before the "digest" key (its hex only in "sha256") still matches a
# --digest sha256 report of the same zoo; a changed digest is named with its algorithm.
string(CONCAT ZL_PROV_NOKEY_SH
       "\"$1\" -c 'import json, sys; r = json.load(open(sys.argv[1])); "
       "[(i.pop(\"digest\"), [f.pop(\"digest\") for f in i[\"files\"]]) for i in r[\"inputs\"]]; "
       "json.dump(r, open(sys.argv[2], \"w\")); r = json.load(open(sys.argv[3])); "
       "f = r[\"inputs\"][0][\"files\"][0]; f[\"digest\"] = \"xxh128:\" + \"0\" * 32; "
       "json.dump(r, open(sys.argv[4], \"w\"))' \"$3/report_sha256/report.json\" \"$3/no_key.json\" "
       "\"$3/report_np2/report.json\" \"$3/changed.json\" || exit 1; "
       "\"$2\" compare \"$3/no_key.json\" \"$3/report_sha256/report.json\" || exit 1; "
       "h=$(\"$1\" -c 'import json, sys; print(json.load(open(sys.argv[1]))[\"inputs\"][0][\"digest\"])' "
       "\"$3/report_np2/report.json\"); "
       "out=$(\"$2\" compare \"$3/report_np2/report.json\" \"$3/changed.json\"); rc=$?; "
       "echo \"$out\"; [ $rc -eq 1 ] && echo \"$out\" | grep -qx \"input $3/zoo.h5: checksum changed: "
       "$h -> xxh128:00000000000000000000000000000000\"")
add_test(NAME provenance_compare_digest_key
         COMMAND sh -c "${ZL_PROV_NOKEY_SH}" sh ${ZL_PYTHON} $<TARGET_FILE:zoolens> ${ZL_PROV_DIR})
set_tests_properties(provenance_compare_old_scheme provenance_compare_algorithms
                     provenance_compare_digest_key PROPERTIES FIXTURES_REQUIRED provenance_reports
                     TIMEOUT 60)
