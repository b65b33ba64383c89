# A batch worker's file cache across dumps (analyzer/symbols/file_cache.h):
# two kernel cores of the test program, made at test time, read each
# symbol table once and give the reports an analysis without the cache
# gives (label "unit"; 77 = skipped when the kernel writes no core here);
# and the cache's rule for a module's debug file that changed.
if(CMOCKA_FOUND)
  add_executable(test_file_cache ${CMAKE_CURRENT_SOURCE_DIR}/test_file_cache.c)
  target_include_directories(test_file_cache PRIVATE ${PROJECT_SOURCE_DIR}/analyzer/symbols)
  target_link_libraries(test_file_cache PRIVATE cr_analyzer cr_analyzer_private cr_reports PkgConfig::CMOCKA cr_build_flags)
  add_test(NAME unit.file_cache COMMAND test_file_cache)
  set_tests_properties(unit.file_cache PROPERTIES LABELS unit SKIP_RETURN_CODE 77 TIMEOUT 60)
endif()
