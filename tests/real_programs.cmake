# End-to-end tests on real programs nobody here wrote, and on a core whose
# executable is gone (label "e2e").
foreach(case python-ctypes missing-executable)
  add_test(NAME e2e.real.${case}
    COMMAND /usr/bin/python3 -B ${CMAKE_CURRENT_SOURCE_DIR}/e2e/real_programs.py ${case}
            --coroner $<TARGET_FILE:coroner> --bindir ${CMAKE_BINARY_DIR}/corpus)
  set_tests_properties(e2e.real.${case} PROPERTIES LABELS e2e SKIP_RETURN_CODE 77 TIMEOUT 300)
endforeach()
