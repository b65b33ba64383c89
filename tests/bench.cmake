# Benchmark inputs (tests/bench/, see tests/bench/README.md).  Nothing here
# is a ctest test: the benchmarks are scripts run by hand.
#
# make_big_minidump writes the 2 GB, 200-thread Windows x86_64 full-memory
# minidump that tests/bench/bench_minidump.sh times coroner on; it uses the
# test-only minidump writer tests/mdsynth.c.
add_executable(make_big_minidump
  ${CMAKE_CURRENT_SOURCE_DIR}/bench/make_big_minidump.c
  ${CMAKE_CURRENT_SOURCE_DIR}/mdsynth.c)
target_include_directories(make_big_minidump PRIVATE ${CMAKE_CURRENT_SOURCE_DIR}
  ${PROJECT_SOURCE_DIR}/formats)
target_link_libraries(make_big_minidump PRIVATE cr_build_flags)

# resident: a process with N MiB resident that records the longest gap in
# its own clock loop (how long it was stopped), for bench_collect.sh.
add_executable(bench_resident ${CMAKE_CURRENT_SOURCE_DIR}/bench/resident.c)
target_link_libraries(bench_resident PRIVATE cr_build_flags)
set_target_properties(bench_resident PROPERTIES RUNTIME_OUTPUT_DIRECTORY ${CMAKE_BINARY_DIR}/tests/bench)
