# Leaks by reachability (issue 10, item 3; analyzer/passes/leaks.c): unit
# tests on synthetic heaps (label "unit").
if(CMOCKA_FOUND)
  add_executable(test_leaks ${CMAKE_CURRENT_SOURCE_DIR}/test_leaks.c
    ${CMAKE_CURRENT_SOURCE_DIR}/mdsynth.c)
  target_link_libraries(test_leaks PRIVATE cr_analyzer cr_analyzer_private PkgConfig::CMOCKA cr_build_flags)
  add_test(NAME unit.leaks COMMAND test_leaks)
  set_tests_properties(unit.leaks PROPERTIES LABELS unit)
endif()
