# Heap statistics and the address-space summary (issue 10, items 2 and 4;
# analyzer/passes/heap_stats.c, address_space.c): unit tests on hand-built
# heaps (exact totals, classes, contents named, high memory) and on
# synthetic address spaces (a core's regions, a minidump's MemoryInfoList
# with the PEB's process heaps), label "unit".
if(CMOCKA_FOUND)
  add_executable(test_heapstats ${CMAKE_CURRENT_SOURCE_DIR}/test_heapstats.c
    ${CMAKE_CURRENT_SOURCE_DIR}/mdsynth.c)
  target_link_libraries(test_heapstats PRIVATE cr_analyzer cr_analyzer_private PkgConfig::CMOCKA cr_build_flags)
  add_test(NAME unit.heapstats COMMAND test_heapstats)
  set_tests_properties(unit.heapstats PROPERTIES LABELS unit)
endif()
