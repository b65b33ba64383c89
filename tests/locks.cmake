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

# End to end (label "e2e"): corpus/lock_situations.c and corpus/deadlock.c
# dumped by the kernel (SIGQUIT, a dump taken on demand) and by gcore; the
# right finding must name the planted threads and locks, and the healthy
# controls idle_threads and pipe_block get none (tests/e2e/locks.py).
# (lock_situations is built with the corpus programs of e2e.cmake.)

foreach(situation abba cycle convoy rwlock dead-owner idle pipe)
  foreach(dumper kernel gcore)
    add_test(NAME e2e.locks.${situation}-${dumper}
      COMMAND /usr/bin/python3 -B ${CMAKE_CURRENT_SOURCE_DIR}/e2e/locks.py
              ${situation}-${dumper} --coroner $<TARGET_FILE:coroner>
              --bindir ${CMAKE_BINARY_DIR}/corpus)
    set_tests_properties(e2e.locks.${situation}-${dumper} PROPERTIES
      LABELS e2e SKIP_RETURN_CODE 77 TIMEOUT 300)
  endforeach()
endforeach()
