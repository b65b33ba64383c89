# Typed reads of target memory (analyzer/target.c) on synthetic dumps, and
# struct layouts from DWARF (analyzer/symbols/dwarf_layout.c) read from a
# fixture program built with -g and, when Debian's libc6-dbg is installed,
# from glibc's own debug information.
if(CMOCKA_FOUND)
  add_executable(layout_fixture ${CMAKE_CURRENT_SOURCE_DIR}/layout_fixture.c)
  target_compile_options(layout_fixture PRIVATE -g -O0)
  add_executable(test_target ${CMAKE_CURRENT_SOURCE_DIR}/test_target.c)
  target_include_directories(test_target PRIVATE ${PROJECT_SOURCE_DIR}/analyzer/symbols)
  target_link_libraries(test_target PRIVATE cr_analyzer cr_analyzer_private PkgConfig::CMOCKA cr_build_flags)
  add_test(NAME unit.target COMMAND test_target $<TARGET_FILE:layout_fixture>)
  set_tests_properties(unit.target PROPERTIES LABELS unit)
endif()
