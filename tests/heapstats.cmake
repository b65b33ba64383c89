# Heap statistics and the address-space summary (issue 10, items 2 and 4;
# analyzer/passes/heap_stats.c, address_space.c): unit tests on hand-built
# heaps (exact totals, classes, contents named, high memory) and on
# synthetic address spaces (a core's regions, a minidump's MemoryInfoList
# with the PEB's process heaps), label "unit".
if(CMOCKA_FOUND)
  add_executable(test_heapstats ${CMAKE_CURRENT_SOURCE_DIR}/test_heapstats.c
    ${CMAKE_CURRENT_SOURCE_DIR}/mdsynth.c)
  target_link_libraries(test_heapstats PRIVATE cr_reports cr_analyzer cr_analyzer_private PkgConfig::CMOCKA cr_build_flags)
  add_test(NAME unit.heapstats COMMAND test_heapstats)
  set_tests_properties(unit.heapstats PROPERTIES LABELS unit)
endif()

# corpus/heap_types.cc (C++: objects with a vtable, std::string buffers,
# JSON text) and the end-to-end cases on real cores: the address-space
# summary (kernel core), the classes named from the heap (kernel and gcore
# cores) and python3's 530,038 bytearrays (gcore); label "e2e".  The heap
# cases skip while the build has no heap walk.
include(CheckLanguage)
check_language(CXX)
if(CMAKE_CXX_COMPILER)
  enable_language(CXX)
  add_executable(corpus_heap_types ${PROJECT_SOURCE_DIR}/corpus/heap_types.cc)
  set_target_properties(corpus_heap_types PROPERTIES
    OUTPUT_NAME heap_types RUNTIME_OUTPUT_DIRECTORY ${CMAKE_BINARY_DIR}/corpus)
  target_compile_options(corpus_heap_types PRIVATE -O1 -g)
  foreach(case address-space types-kernel types-gcore python-gcore)
    add_test(NAME e2e.heap_stats.${case}
      COMMAND /usr/bin/python3 -B ${CMAKE_CURRENT_SOURCE_DIR}/e2e/heap_stats.py ${case}
              --coroner $<TARGET_FILE:coroner> --bindir ${CMAKE_BINARY_DIR}/corpus)
    set_tests_properties(e2e.heap_stats.${case} PROPERTIES
      LABELS e2e SKIP_RETURN_CODE 77 TIMEOUT 300)
  endforeach()
endif()
