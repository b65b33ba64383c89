# The whole-pipeline fuzz harness (tests/fuzz_analyze.c): always built as a
# replay program over the regression corpora (label "unit"); with
# CORONER_FUZZ=ON (clang) also as a libFuzzer binary, all of coroner's own
# code instrumented (see the top CMakeLists.txt).
#   CC=clang cmake -B build-fuzz -DCORONER_FUZZ=ON && cmake --build build-fuzz --target fuzz_analyze
#   build-fuzz/tests/fuzz_analyze -max_total_time=600 -dict=tests/fuzz_analyze.dict tests/fuzz-corpus/analyze
# FUZZ_SYSROOT=/ CORONER_NO_OPENAT2=1 in the environment opens the dump's paths
# the --sysroot way through safe_open.c's userspace walk.  Seeds for the
# link-map walk: tests/hostile/fuzzseeds.py.
add_executable(fuzz_analyze_replay ${CMAKE_CURRENT_SOURCE_DIR}/fuzz_analyze.c
  ${CMAKE_CURRENT_SOURCE_DIR}/fuzz_replay.c)
target_link_libraries(fuzz_analyze_replay PRIVATE cr_reports cr_analyzer cr_build_flags)
add_test(NAME unit.fuzz_analyze_replay
  COMMAND fuzz_analyze_replay ${CMAKE_CURRENT_SOURCE_DIR}/fuzz-corpus/minidump
          ${CMAKE_CURRENT_SOURCE_DIR}/fuzz-corpus/analyze)
set_tests_properties(unit.fuzz_analyze_replay PROPERTIES LABELS unit TIMEOUT 300)

if(CORONER_FUZZ)
  add_executable(fuzz_analyze ${CMAKE_CURRENT_SOURCE_DIR}/fuzz_analyze.c)
  target_compile_definitions(fuzz_analyze PRIVATE CR_LIBFUZZER)
  target_compile_options(fuzz_analyze PRIVATE -fsanitize=fuzzer)
  target_link_options(fuzz_analyze PRIVATE -fsanitize=fuzzer)
  target_link_libraries(fuzz_analyze PRIVATE cr_reports cr_analyzer cr_build_flags)
endif()

# The symbol-side parsers (Breakpad .sym files, PE files): tests/fuzz_symfiles.c.
add_executable(fuzz_symfiles_replay ${CMAKE_CURRENT_SOURCE_DIR}/fuzz_symfiles.c
  ${CMAKE_CURRENT_SOURCE_DIR}/fuzz_replay.c)
target_link_libraries(fuzz_symfiles_replay PRIVATE cr_analyzer cr_analyzer_private cr_build_flags)
add_test(NAME unit.fuzz_symfiles_replay
  COMMAND fuzz_symfiles_replay ${CMAKE_CURRENT_SOURCE_DIR}/fuzz-corpus/symfiles)
set_tests_properties(unit.fuzz_symfiles_replay PROPERTIES LABELS unit TIMEOUT 300)
if(CORONER_FUZZ)
  add_executable(fuzz_symfiles ${CMAKE_CURRENT_SOURCE_DIR}/fuzz_symfiles.c)
  target_compile_definitions(fuzz_symfiles PRIVATE CR_LIBFUZZER)
  target_compile_options(fuzz_symfiles PRIVATE -fsanitize=fuzzer)
  target_link_options(fuzz_symfiles PRIVATE -fsanitize=fuzzer)
  target_link_libraries(fuzz_symfiles PRIVATE cr_analyzer cr_analyzer_private cr_build_flags)
endif()
