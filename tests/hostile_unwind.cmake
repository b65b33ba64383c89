# Hostile and unusual dumps for the unwinder (issue 7, items 1 and 7):
# tests/hostile/unwind.py makes each dump at test time (corewriter.py, a
# kernel core of tests/hostile/unwind_loop.c or of corpus/idle_threads, or
# the elfutils cores of ${CR_SHARED_CORPUS}) and checks that stacks stay
# within the dump's frame budgets, in bounded time and memory (measured),
# that unwinding loops end, and the accuracy rules on unusual cores.

if(CMAKE_SYSTEM_PROCESSOR MATCHES "x86_64|AMD64")
  # Hand-written CFI; built like the corpus programs (no sanitizers: the
  # kernel must dump the crash).
  add_executable(hostile_unwind_loop ${CMAKE_CURRENT_SOURCE_DIR}/hostile/unwind_loop.c)
  set_target_properties(hostile_unwind_loop PROPERTIES
    OUTPUT_NAME unwind_loop RUNTIME_OUTPUT_DIRECTORY ${CMAKE_BINARY_DIR}/hostile)
  target_compile_options(hostile_unwind_loop PRIVATE -O1 -g)
  target_link_libraries(hostile_unwind_loop PRIVATE Threads::Threads)
  set(CR_UNWIND_LOOP_ARG --loop-prog $<TARGET_FILE:hostile_unwind_loop>)
endif()

set(CR_UNWIND_SANITIZED)
if(CORONER_SANITIZE)
  set(CR_UNWIND_SANITIZED --sanitized)
endif()

set(CR_HOSTILE_UNWIND_CASES
  budget-scan budget-distinct budget-chain loop-cfi stack-missing
  stack-missing-kernel vdso-i386 aarch64-fp-dup many-threads-trim
  many-threads-json oom-one-line)
foreach(case ${CR_HOSTILE_UNWIND_CASES})
  add_test(NAME hostile.unwind.${case}
    COMMAND ${CR_PYTHON} -B ${CMAKE_CURRENT_SOURCE_DIR}/hostile/unwind.py ${case}
            --coroner $<TARGET_FILE:coroner> --bindir ${CR_CORPUS_BIN}
            --corpus ${CR_SHARED_CORPUS}/elfutils ${CR_UNWIND_LOOP_ARG}
            ${CR_UNWIND_SANITIZED})
  set_tests_properties(hostile.unwind.${case} PROPERTIES
    LABELS "e2e;hostile" SKIP_RETURN_CODE 77 TIMEOUT 300)
endforeach()

# The budgets and the loop detector alone (analyzer/unwind/unwind_limits.c).
if(CMOCKA_FOUND)
  add_executable(test_unwind_limits ${CMAKE_CURRENT_SOURCE_DIR}/test_unwind_limits.c
    ${CMAKE_CURRENT_SOURCE_DIR}/mdsynth.c)
  target_link_libraries(test_unwind_limits PRIVATE cr_analyzer cr_analyzer_private PkgConfig::CMOCKA cr_build_flags)
  add_test(NAME unit.unwind_limits COMMAND test_unwind_limits)
  set_tests_properties(unit.unwind_limits PROPERTIES LABELS unit)
endif()
