# Minidump reader tests: unit tests on synthesized dumps (label "unit"),
# conformance against ../shared/corpus (label "conformance", skipped when
# the corpus is absent), the fuzz corpus replay (label "unit"), and with
# CORONER_FUZZ=ON the libFuzzer harness itself.
if(CMOCKA_FOUND)
  add_executable(test_minidump
    ${CMAKE_CURRENT_SOURCE_DIR}/test_minidump.c
    ${CMAKE_CURRENT_SOURCE_DIR}/mdsynth.c)
  target_link_libraries(test_minidump PRIVATE cr_formats cr_formats_private PkgConfig::CMOCKA cr_build_flags)
  add_test(NAME unit.minidump COMMAND test_minidump)
  set_tests_properties(unit.minidump PROPERTIES LABELS unit)

  add_executable(test_minidump_corpus ${CMAKE_CURRENT_SOURCE_DIR}/test_minidump_corpus.c)
  target_link_libraries(test_minidump_corpus PRIVATE cr_formats PkgConfig::CMOCKA cr_build_flags)
  add_test(NAME conformance.minidump COMMAND test_minidump_corpus ${CR_SHARED_CORPUS})
  set_tests_properties(conformance.minidump PROPERTIES LABELS conformance SKIP_RETURN_CODE 77)
endif()

# The harness as a plain replay program, run over the regression corpus.
add_executable(fuzz_minidump_replay ${CMAKE_CURRENT_SOURCE_DIR}/fuzz_minidump.c
  ${CMAKE_CURRENT_SOURCE_DIR}/fuzz_replay.c)
target_link_libraries(fuzz_minidump_replay PRIVATE cr_formats cr_build_flags)
add_test(NAME unit.fuzz_minidump_replay
  COMMAND fuzz_minidump_replay ${CMAKE_CURRENT_SOURCE_DIR}/fuzz-corpus/minidump)
set_tests_properties(unit.fuzz_minidump_replay PROPERTIES LABELS unit)

if(CORONER_FUZZ)
  if(NOT CMAKE_C_COMPILER_ID MATCHES "Clang")
    message(FATAL_ERROR "CORONER_FUZZ=ON needs clang (CC=clang)")
  endif()
  # The reader's sources are compiled into the fuzzer itself, with coverage
  # and the sanitizers, so the fuzzer sees inside them (cr_formats stays a
  # plain library for the other targets).
  get_target_property(_cr_fmt_sources cr_formats SOURCES)
  get_target_property(_cr_fmt_defs cr_formats COMPILE_DEFINITIONS)
  add_executable(fuzz_minidump ${CMAKE_CURRENT_SOURCE_DIR}/fuzz_minidump.c ${_cr_fmt_sources})
  target_include_directories(fuzz_minidump PRIVATE ${PROJECT_SOURCE_DIR}/formats)
  target_compile_definitions(fuzz_minidump PRIVATE CR_LIBFUZZER)
  if(_cr_fmt_defs)
    target_compile_definitions(fuzz_minidump PRIVATE ${_cr_fmt_defs})
  endif()
  target_compile_options(fuzz_minidump PRIVATE -g -O1 -fsanitize=fuzzer,address,undefined)
  target_link_options(fuzz_minidump PRIVATE -fsanitize=fuzzer,address,undefined)
  target_link_libraries(fuzz_minidump PRIVATE PkgConfig::ELFUTILS cr_build_flags)
  # formats/ finds its optional decompressors in its own scope; find them
  # again here for the copy of its sources.
  foreach(lib zstd lzma lz4)
    pkg_check_modules(MDFUZZ_${lib} IMPORTED_TARGET lib${lib})
    if(MDFUZZ_${lib}_FOUND)
      target_link_libraries(fuzz_minidump PRIVATE PkgConfig::MDFUZZ_${lib})
    endif()
  endforeach()
endif()
