# Hostile-input tests of the command line (labels "e2e;hostile"): report
# names unique and bounded within a run, no terminal control sequence from a
# dump or an argument printed raw, killed processes named for what happened
# to them.  tests/hostile/cli.py writes its dumps at test time with
# corewriter.py; killed-kernel has the kernel dump corpus/idle_threads killed
# by the test.
set(CR_HOSTILE_CLI_CASES same-name dump-like-report long-names escapes killed-kernel killed-crafted
    commit)
foreach(case ${CR_HOSTILE_CLI_CASES})
  add_test(NAME hostile.cli.${case}
    COMMAND ${CR_PYTHON} -B ${CMAKE_CURRENT_SOURCE_DIR}/hostile/cli.py ${case}
            --coroner $<TARGET_FILE:coroner> --bindir ${CMAKE_BINARY_DIR}/corpus)
  set_tests_properties(hostile.cli.${case} PROPERTIES
    LABELS "e2e;hostile" SKIP_RETURN_CODE 77 TIMEOUT 120)
endforeach()
