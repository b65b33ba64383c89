# A series of dumps of one process (analyzer/series.h): the unit tests on
# hand-built analyses (label "unit") and the end-to-end test on gcore
# series of corpus/spin_series.c (label "e2e"; tests/e2e/series.py says
# how its CPU times are made).
if(CMOCKA_FOUND)
  add_executable(test_series ${CMAKE_CURRENT_SOURCE_DIR}/test_series.c)
  target_link_libraries(test_series PRIVATE cr_analyzer cr_analyzer_private PkgConfig::CMOCKA cr_build_flags)
  add_test(NAME unit.series COMMAND test_series)
  set_tests_properties(unit.series PROPERTIES LABELS unit)
endif()

# corpus/spin_series.c is built with the other corpus programs (e2e.cmake).
add_test(NAME e2e.series.spin
  COMMAND /usr/bin/python3 -B ${CMAKE_CURRENT_SOURCE_DIR}/e2e/series.py
          --coroner $<TARGET_FILE:coroner> --bindir ${CR_CORPUS_BIN})
set_tests_properties(e2e.series.spin PROPERTIES
  LABELS e2e SKIP_RETURN_CODE 77 TIMEOUT 300)
