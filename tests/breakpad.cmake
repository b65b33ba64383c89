# Breakpad symbol files: unit tests of the postfix evaluator, the .sym
# parser and the step source (label "unit"), and conformance against the
# symbol files and dumps in ../shared/corpus (label "conformance", exit 77 =
# skipped when the corpus is absent).
if(CMOCKA_FOUND)
  add_executable(test_breakpad ${CMAKE_CURRENT_SOURCE_DIR}/test_breakpad.c)
  target_link_libraries(test_breakpad PRIVATE cr_analyzer cr_analyzer_private PkgConfig::CMOCKA cr_build_flags)
  add_test(NAME unit.breakpad COMMAND test_breakpad)
  set_tests_properties(unit.breakpad PROPERTIES LABELS unit)

  add_executable(test_breakpad_corpus ${CMAKE_CURRENT_SOURCE_DIR}/test_breakpad_corpus.c)
  target_link_libraries(test_breakpad_corpus PRIVATE cr_analyzer cr_analyzer_private cr_formats_private PkgConfig::CMOCKA cr_build_flags)
  # The stacks through cr_analyze() need the analysis to call
  # breakpad_open() (analyzer/unwind/unwind.c); until it does, the walker is
  # driven with the Breakpad step source directly.
  file(READ ${PROJECT_SOURCE_DIR}/analyzer/unwind/unwind.c _cr_unwind_src)
  string(FIND "${_cr_unwind_src}" "breakpad_open" _cr_bp_wired)
  if(NOT _cr_bp_wired EQUAL -1)
    target_compile_definitions(test_breakpad_corpus PRIVATE CR_HAVE_WALKER=1)
  endif()
  set_property(DIRECTORY APPEND PROPERTY CMAKE_CONFIGURE_DEPENDS
    ${PROJECT_SOURCE_DIR}/analyzer/unwind/unwind.c)
  add_test(NAME conformance.breakpad COMMAND test_breakpad_corpus ${CR_SHARED_CORPUS})
  set_tests_properties(conformance.breakpad PROPERTIES LABELS conformance SKIP_RETURN_CODE 77)
endif()
