# Libraries loaded when a run needs them (formats/dynlib.h): a missing one
# is said only by a dump that needs it (tests/e2e/startup.py, as root), and
# an x86 dump never opens Capstone (`loads`).
foreach(case missing-zydis missing-capstone unresolved-zydis missing-stdcxx loads)
  add_test(NAME e2e.startup.${case}
    COMMAND ${CR_PYTHON} -B ${CMAKE_CURRENT_SOURCE_DIR}/e2e/startup.py ${case}
            --coroner $<TARGET_FILE:coroner> --bindir ${CMAKE_BINARY_DIR}/corpus
            --corpus ${CR_SHARED_CORPUS}/elfutils)
  set_tests_properties(e2e.startup.${case} PROPERTIES
    LABELS e2e SKIP_RETURN_CODE 77 TIMEOUT 300)
endforeach()
