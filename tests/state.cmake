# Structured thread state (pass_state, analyzer/passes/state.c and
# state_text.c): unit tests on synthetic threads (label "unit"), and the
# end-to-end test on real cores of corpus/deadlock.c, two threads blocked
# in pthread_mutex_lock on each other's mutex (label "e2e").
if(CMOCKA_FOUND)
  add_executable(test_state ${CMAKE_CURRENT_SOURCE_DIR}/test_state.c)
  target_link_libraries(test_state PRIVATE cr_analyzer cr_analyzer_private PkgConfig::CMOCKA cr_build_flags)
  add_test(NAME unit.state COMMAND test_state)
  set_tests_properties(unit.state PROPERTIES LABELS unit)
endif()

# Built as e2e.cmake builds the other corpus programs (-O1, no sanitizer:
# the kernel must dump the crash, not a sanitizer catch it).
find_package(Threads REQUIRED)
add_executable(corpus_deadlock ${PROJECT_SOURCE_DIR}/corpus/deadlock.c)
set_target_properties(corpus_deadlock PROPERTIES
  OUTPUT_NAME deadlock RUNTIME_OUTPUT_DIRECTORY ${CMAKE_BINARY_DIR}/corpus)
target_compile_options(corpus_deadlock PRIVATE -O1 -g)
target_link_libraries(corpus_deadlock PRIVATE Threads::Threads)

foreach(case deadlock-kernel deadlock-gcore)
  add_test(NAME e2e.state.${case}
    COMMAND /usr/bin/python3 -B ${CMAKE_CURRENT_SOURCE_DIR}/e2e/state.py ${case}
            --coroner $<TARGET_FILE:coroner> --bindir ${CMAKE_BINARY_DIR}/corpus)
  set_tests_properties(e2e.state.${case} PROPERTIES
    LABELS e2e SKIP_RETURN_CODE 77 TIMEOUT 300)
endforeach()
