# CPU shares and the spinner (issue 9, part 3; analyzer/passes/cpu.c): unit
# tests on synthetic threads (label "unit"), and end-to-end tests on real
# cores (label "e2e"): corpus/spin.c (one thread spinning among idle ones,
# or spinning in pthread_spin_lock on a lock a sleeping thread holds)
# dumped by the kernel on SIGQUIT (times recorded) and by gcore (not
# recorded), Debian's python3 with one busy thread among sleeping ones,
# and the idle thread pool as the healthy control.  Each prints its rates.
if(CMOCKA_FOUND)
  add_executable(test_cpu ${CMAKE_CURRENT_SOURCE_DIR}/test_cpu.c
    ${CMAKE_CURRENT_SOURCE_DIR}/mdsynth.c)
  target_link_libraries(test_cpu PRIVATE cr_analyzer cr_analyzer_private PkgConfig::CMOCKA cr_build_flags)
  add_test(NAME unit.cpu COMMAND test_cpu)
  set_tests_properties(unit.cpu PROPERTIES LABELS unit)
endif()

# corpus/spin.c is built with the other corpus programs (e2e.cmake).
foreach(case spin-kernel spin-gcore spinlock-kernel spinlock-gcore
             python-kernel idle-controls)
  add_test(NAME e2e.cpu.${case}
    COMMAND /usr/bin/python3 -B ${CMAKE_CURRENT_SOURCE_DIR}/e2e/cpu.py ${case}
            --coroner $<TARGET_FILE:coroner> --bindir ${CMAKE_BINARY_DIR}/corpus)
  set_tests_properties(e2e.cpu.${case} PROPERTIES
    LABELS e2e SKIP_RETURN_CODE 77 TIMEOUT 300)
endforeach()
