# Leaks by reachability (issue 10, item 3; analyzer/passes/leaks.c): unit
# tests on synthetic heaps (label "unit").
if(CMOCKA_FOUND)
  add_executable(test_leaks ${CMAKE_CURRENT_SOURCE_DIR}/test_leaks.c
    ${CMAKE_CURRENT_SOURCE_DIR}/mdsynth.c)
  target_link_libraries(test_leaks PRIVATE cr_analyzer cr_analyzer_private PkgConfig::CMOCKA cr_build_flags)
  add_test(NAME unit.leaks COMMAND test_leaks)
  set_tests_properties(unit.leaks PROPERTIES LABELS unit)
  # The same without the AVX2 block filter (leaks.c: skip_to_candidate):
  # the scalar scan every machine without AVX2 runs finds the same leaks.
  add_test(NAME unit.leaks.scalar COMMAND test_leaks)
  set_tests_properties(unit.leaks.scalar PROPERTIES LABELS unit
    ENVIRONMENT CORONER_NO_AVX2=1)
endif()

# corpus/heap_leak.c (known leaks, kept sets reachable in every way the
# pass must see, keepall/freeall controls), built like the other corpus
# programs (e2e.cmake), and the end-to-end cases of tests/e2e/leaks.py
# (label "e2e"; they skip while the build has no heap walk).
add_executable(corpus_heap_leak ${PROJECT_SOURCE_DIR}/corpus/heap_leak.c)
set_target_properties(corpus_heap_leak PROPERTIES
  OUTPUT_NAME heap_leak RUNTIME_OUTPUT_DIRECTORY ${CMAKE_BINARY_DIR}/corpus)
target_compile_options(corpus_heap_leak PRIVATE -O1 -g)
foreach(case leak-kernel leak-gcore controls hidden python-gcore)
  add_test(NAME e2e.leaks.${case}
    COMMAND /usr/bin/python3 -B ${CMAKE_CURRENT_SOURCE_DIR}/e2e/leaks.py ${case}
            --coroner $<TARGET_FILE:coroner> --bindir ${CMAKE_BINARY_DIR}/corpus)
  set_tests_properties(e2e.leaks.${case} PROPERTIES
    LABELS e2e SKIP_RETURN_CODE 77 TIMEOUT 300)
endforeach()

# The input of tests/bench/bench_heap.sh (not a test): 2 GB of heap in 10
# million allocations, some dropped, dumped by the kernel.
add_executable(bench_heap_big ${CMAKE_CURRENT_SOURCE_DIR}/bench/heap_big.c)
set_target_properties(bench_heap_big PROPERTIES
  OUTPUT_NAME heap_big RUNTIME_OUTPUT_DIRECTORY ${CMAKE_BINARY_DIR}/corpus)
target_compile_options(bench_heap_big PRIVATE -O1 -g)
