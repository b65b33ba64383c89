# Golden reports (issue 8, item 4): the md, html and json reports of
# deterministic synthetic dumps made at test time (tests/golden/golden.py)
# compared with tests/golden/CASE.{md,html,json}; a mismatch prints a
# unified diff.  Regenerate after a meant change of output with
#   CORONER_UPDATE_GOLDEN=1 ctest --test-dir build -R golden
# and review the diff of tests/golden/ like code.
foreach(case crash-segv no-crash minidump-exception)
  add_test(NAME golden.${case}
    COMMAND ${CR_PYTHON} -B ${CMAKE_CURRENT_SOURCE_DIR}/golden/golden.py
            --coroner $<TARGET_FILE:coroner> ${case})
  set_tests_properties(golden.${case} PROPERTIES LABELS "e2e;golden"
    TIMEOUT 120)
endforeach()

# Every section doc_build.c can make is shown by one of the cases above.
add_test(NAME golden.sections
  COMMAND ${CR_PYTHON} -B ${CMAKE_CURRENT_SOURCE_DIR}/golden/golden.py --sections)
set_tests_properties(golden.sections PROPERTIES LABELS "unit;golden")
