# Unit tests of the Windows discovery of the wait-for graph
# (analyzer/passes/locks_windows.c): the locks pass run through its context
# on x64 dumps built in memory, with critical sections, SRW locks, handles,
# the PEB's loader lock and the critical sections' list planted, honest and
# hostile.  The wine-made dump of corpus/windows/locks.c is checked by
# e2e.windows.locks (tests/windows.cmake).
if(CMOCKA_FOUND)
  add_executable(test_locks_windows ${CMAKE_CURRENT_SOURCE_DIR}/test_locks_windows.c)
  target_link_libraries(test_locks_windows PRIVATE cr_analyzer cr_analyzer_private PkgConfig::CMOCKA cr_build_flags)
  add_test(NAME unit.locks_windows COMMAND test_locks_windows)
  set_tests_properties(unit.locks_windows PROPERTIES LABELS unit)
endif()
