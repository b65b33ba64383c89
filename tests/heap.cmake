# The heap walk (issue 10 item 1; analyzer/passes/heap.c, heap_glibc.c):
# corpus/heap_planted.c plants a heap of known shape and dumps itself; the
# tool tests/heapwalk.c prints the walk's counts per (state, chunk size);
# tests/e2e/heap_walk.py compares them with the program's plan (label
# "e2e"), with and without glibc's main_arena symbol.
add_executable(corpus_heap_planted ${PROJECT_SOURCE_DIR}/corpus/heap_planted.c)
set_target_properties(corpus_heap_planted PROPERTIES
  OUTPUT_NAME heap_planted RUNTIME_OUTPUT_DIRECTORY ${CMAKE_BINARY_DIR}/corpus)
target_compile_options(corpus_heap_planted PRIVATE -O1 -g)
target_link_libraries(corpus_heap_planted PRIVATE Threads::Threads)

add_executable(heapwalk ${CMAKE_CURRENT_SOURCE_DIR}/heapwalk.c)
target_link_libraries(heapwalk PRIVATE cr_analyzer cr_analyzer_private cr_build_flags)

foreach(case classes-kernel classes-gcore classes-noarena arenas-kernel
             arenas-noarena arenas-onearena mmapped-kernel corrupt-kernel freeall-kernel
             python-gcore corruptfree-auto corruptbusy-gdb)
  add_test(NAME e2e.heap_walk.${case}
    COMMAND /usr/bin/python3 -B ${CMAKE_CURRENT_SOURCE_DIR}/e2e/heap_walk.py ${case}
            --heapwalk $<TARGET_FILE:heapwalk> --bindir ${CMAKE_BINARY_DIR}/corpus
            --coroner $<TARGET_FILE:coroner>)
  set_tests_properties(e2e.heap_walk.${case} PROPERTIES
    LABELS e2e SKIP_RETURN_CODE 77 TIMEOUT 300)
endforeach()

# Lying heaps on synthetic cores (tests/hostile/heap_lies.py): a size past
# the heap, a size of 0, looping fastbin and bin lists, a heap_info naming
# another arena, a heap_info.prev loop: a finding each, no crash, no hang; a sound
# control, an mmapped chunk in the mapping of an arena heap (found), glibc
# 2.42's tcache (num_slots, large bins: its chunks free) with the version
# known and not, and a glibc newer than the walk's tcache table (said, no
# tcache claimed).
foreach(case sound size-past size-zero fastbin-loop bin-loop arena-elsewhere heap-loop
             mmapped-beside-arena glibc-2.42 glibc-2.42-unnamed glibc-2.43)
  add_test(NAME hostile.heap_lies.${case}
    COMMAND /usr/bin/python3 -B ${CMAKE_CURRENT_SOURCE_DIR}/hostile/heap_lies.py ${case}
            --heapwalk $<TARGET_FILE:heapwalk>)
  set_tests_properties(hostile.heap_lies.${case} PROPERTIES
    LABELS "unit;hostile" SKIP_RETURN_CODE 77 TIMEOUT 60)
endforeach()
