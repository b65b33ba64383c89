# Unit tests of the diagnosis passes (crash, state, summary) and their
# tables.  Built from the pass sources directly, not from cr_analyzer: the
# test supplies its own cr_analysis_symbol()/cr_analysis_problem() (the
# pipeline's services, analyze.c) so that it can plant glibc's abort message
# in a synthetic dump without a symbol table.
if(CMOCKA_FOUND)
  set(CR_PASS_SOURCES
    ${PROJECT_SOURCE_DIR}/analyzer/passes/signals.c
    ${PROJECT_SOURCE_DIR}/analyzer/passes/ntstatus.c
    ${PROJECT_SOURCE_DIR}/analyzer/passes/mach.c
    ${PROJECT_SOURCE_DIR}/analyzer/passes/syscalls.c
    ${PROJECT_SOURCE_DIR}/analyzer/passes/crash.c
    ${PROJECT_SOURCE_DIR}/analyzer/passes/state.c
    ${PROJECT_SOURCE_DIR}/analyzer/passes/state_text.c
    ${PROJECT_SOURCE_DIR}/analyzer/passes/summary.c)
  add_executable(test_passes ${CMAKE_CURRENT_SOURCE_DIR}/test_passes.c ${CR_PASS_SOURCES})
  target_include_directories(test_passes PRIVATE ${PROJECT_SOURCE_DIR}/analyzer ${PROJECT_SOURCE_DIR}/analyzer/passes
    ${PROJECT_BINARY_DIR}/analyzer/generated)
  add_dependencies(test_passes cr_finding_ids)
  target_link_libraries(test_passes PRIVATE cr_formats PkgConfig::CMOCKA cr_build_flags)
  add_test(NAME unit.passes COMMAND test_passes)
  set_tests_properties(unit.passes PROPERTIES LABELS unit)
endif()
