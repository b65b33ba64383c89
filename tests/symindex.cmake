# The sorted symbol index (analyzer/symbols/symindex.c) against
# dwfl_module_addrinfo on glibc (with and without libc6-dbg's debug file)
# and on the test program itself.
if(CMOCKA_FOUND)
  add_executable(test_symindex ${CMAKE_CURRENT_SOURCE_DIR}/test_symindex.c)
  target_include_directories(test_symindex PRIVATE ${PROJECT_SOURCE_DIR}/analyzer/symbols)
  target_link_libraries(test_symindex PRIVATE cr_analyzer cr_analyzer_private PkgConfig::CMOCKA cr_build_flags)
  add_test(NAME unit.symindex COMMAND test_symindex)
  set_tests_properties(unit.symindex PROPERTIES LABELS unit)
endif()
