# The faulting-instruction and exploitability passes (analyzer/passes/
# instruction.c, exploitability.c): unit tests on hand-built dumps, the
# conformance dumps of Breakpad and rust-minidump, and kernel cores of the
# corpus programs (tests/e2e/insn.py prints their findings with
# test_instruction's "findings" mode).
if(CMOCKA_FOUND)
  add_executable(test_instruction ${CMAKE_CURRENT_SOURCE_DIR}/test_instruction.c
    ${CMAKE_CURRENT_SOURCE_DIR}/mdsynth.c)
  target_link_libraries(test_instruction PRIVATE cr_analyzer cr_analyzer_private PkgConfig::CMOCKA cr_build_flags)
  add_test(NAME unit.instruction COMMAND test_instruction)
  set_tests_properties(unit.instruction PROPERTIES LABELS unit)
  # The same with Zydis taken for missing: x86 decoded by Capstone.
  add_test(NAME unit.instruction.capstone-x86 COMMAND test_instruction capstone-x86)
  set_tests_properties(unit.instruction.capstone-x86 PROPERTIES LABELS unit)
endif()
if(CMOCKA_FOUND)
  add_test(NAME conformance.instruction
    COMMAND test_instruction corpus ${CR_SHARED_CORPUS})
  set_tests_properties(conformance.instruction PROPERTIES
    LABELS conformance SKIP_RETURN_CODE 77)
endif()

# Kernel cores of corpus programs: a division by zero (fpe, built by
# e2e.cmake), __builtin_trap (trap) and a write through 0x4141414141414141
# (wild_write), built here as e2e.cmake builds the corpus programs.
if(CMOCKA_FOUND)
  foreach(prog trap wild_write)
    add_executable(corpus_${prog} ${PROJECT_SOURCE_DIR}/corpus/${prog}.c)
    set_target_properties(corpus_${prog} PROPERTIES
      OUTPUT_NAME ${prog} RUNTIME_OUTPUT_DIRECTORY ${CMAKE_BINARY_DIR}/corpus)
    target_compile_options(corpus_${prog} PRIVATE -O1 -g)
  endforeach()
  foreach(case fpe trap wild_write)
    add_test(NAME e2e.instruction.${case}
      COMMAND ${CR_PYTHON} -B ${CMAKE_CURRENT_SOURCE_DIR}/e2e/insn.py ${case}
              --coroner $<TARGET_FILE:test_instruction> --bindir ${CMAKE_BINARY_DIR}/corpus)
    set_tests_properties(e2e.instruction.${case} PROPERTIES
      LABELS e2e SKIP_RETURN_CODE 77 TIMEOUT 600)
  endforeach()
endif()
