# Unit tests of the diagnosis passes, the pass registry and their tables.
# Linked with cr_analyzer and driven as the pipeline drives them: each pass
# through its context (cr_pass_ctx_init + run) on a synthetic dump built in
# memory; the context's extra_symbols stand in for a symbol session.  One
# test runs the whole pipeline (cr_analyze) on a minidump made by mdsynth.c.
if(CMOCKA_FOUND)
  add_executable(test_passes ${CMAKE_CURRENT_SOURCE_DIR}/test_passes.c
    ${CMAKE_CURRENT_SOURCE_DIR}/mdsynth.c)
  target_link_libraries(test_passes PRIVATE cr_analyzer cr_analyzer_private PkgConfig::CMOCKA cr_build_flags)
  add_test(NAME unit.passes COMMAND test_passes)
  set_tests_properties(unit.passes PROPERTIES LABELS unit)
endif()
