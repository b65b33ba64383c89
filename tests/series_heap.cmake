# The heap's growth across a series of dumps (issue 10, item 5;
# analyzer/series_heap.c): corpus/heap_growth.c grows (or, as the control,
# churns) its heap in logged steps while `coroner collect -n 3 -s 1`
# dumps it; tests/e2e/series_heap.py checks the growing class's counts per
# dump against the log (label "e2e").
add_executable(corpus_heap_growth ${PROJECT_SOURCE_DIR}/corpus/heap_growth.c)
set_target_properties(corpus_heap_growth PROPERTIES
  OUTPUT_NAME heap_growth RUNTIME_OUTPUT_DIRECTORY ${CMAKE_BINARY_DIR}/corpus)
target_compile_options(corpus_heap_growth PRIVATE -O1 -g)
add_test(NAME e2e.series_heap
  COMMAND /usr/bin/python3 -B ${CMAKE_CURRENT_SOURCE_DIR}/e2e/series_heap.py series
          --coroner $<TARGET_FILE:coroner> --bindir ${CMAKE_BINARY_DIR}/corpus)
set_tests_properties(e2e.series_heap PROPERTIES
  LABELS e2e SKIP_RETURN_CODE 77 TIMEOUT 180)
