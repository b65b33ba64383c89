# The locks pass (analyzer/passes/locks.c, locks_linux.c): unit tests of
# the wait-for graph's analysis on graphs built by hand (cycles, chains,
# convoys, owners gone, 100,000-thread hostile graphs) and of the Linux
# discovery on glibc locks planted in a synthetic dump (label "unit").
if(CMOCKA_FOUND)
  add_executable(test_locks ${CMAKE_CURRENT_SOURCE_DIR}/test_locks.c)
  target_link_libraries(test_locks PRIVATE cr_analyzer cr_analyzer_private PkgConfig::CMOCKA cr_build_flags)
  add_test(NAME unit.locks COMMAND test_locks)
  set_tests_properties(unit.locks PROPERTIES LABELS unit TIMEOUT 120)
endif()
