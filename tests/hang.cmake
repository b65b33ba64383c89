# The hang pass (analyzer/passes/hang.c): end-to-end tests on dumps taken
# on demand (SIGQUIT kernel cores and gcore) of corpus/waits.c (a planted
# condition-variable hang and three healthy controls) and of Debian's
# python3 running corpus/py_lock_abba.py (two threading.Locks taken in
# opposite order).  Label "e2e"; each prints its rates.  And the unit
# tests of its rules, test_hang.c.
find_package(Threads REQUIRED)
add_executable(corpus_waits ${PROJECT_SOURCE_DIR}/corpus/waits.c)
set_target_properties(corpus_waits PROPERTIES
  OUTPUT_NAME waits RUNTIME_OUTPUT_DIRECTORY ${CMAKE_BINARY_DIR}/corpus)
target_compile_options(corpus_waits PRIVATE -O1 -g)
target_link_libraries(corpus_waits PRIVATE Threads::Threads)

foreach(case kernel-c gcore-c kernel-python gcore-python)
  add_test(NAME e2e.hang.${case}
    COMMAND /usr/bin/python3 -B ${CMAKE_CURRENT_SOURCE_DIR}/e2e/hang.py ${case}
            --coroner $<TARGET_FILE:coroner> --bindir ${CMAKE_BINARY_DIR}/corpus)
  set_tests_properties(e2e.hang.${case} PROPERTIES
    LABELS e2e SKIP_RETURN_CODE 77 TIMEOUT 300)
endforeach()

# Unit tests of the pass's rules on hand-built analyses (label "unit").
if(CMOCKA_FOUND)
  add_executable(test_hang ${CMAKE_CURRENT_SOURCE_DIR}/test_hang.c)
  target_link_libraries(test_hang PRIVATE cr_analyzer cr_analyzer_private PkgConfig::CMOCKA cr_build_flags)
  add_test(NAME unit.hang COMMAND test_hang)
  set_tests_properties(unit.hang PROPERTIES LABELS unit)
endif()
