# Unit tests of the analyzer's own machinery (folding, grouping).
if(CMOCKA_FOUND)
  add_executable(test_fold ${CMAKE_CURRENT_SOURCE_DIR}/test_fold.c)
  target_link_libraries(test_fold PRIVATE cr_analyzer cr_analyzer_private PkgConfig::CMOCKA cr_build_flags)
  add_test(NAME unit.fold COMMAND test_fold)
  set_tests_properties(unit.fold PROPERTIES LABELS unit)
endif()
