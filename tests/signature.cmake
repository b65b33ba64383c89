# Crash signatures and buckets (analyzer/passes/signature.c, signature_norm.c,
# docs/signatures.md): the normalizer and the recursion key on synthetic
# stacks (label "unit"); real kernel cores of corpus/sigbug.c, two bugs
# each from two builds, keyed into buckets (label "e2e").
if(CMOCKA_FOUND)
  add_executable(test_signature ${CMAKE_CURRENT_SOURCE_DIR}/test_signature.c)
  target_link_libraries(test_signature PRIVATE cr_analyzer cr_analyzer_private PkgConfig::CMOCKA cr_build_flags)
  add_test(NAME unit.signature COMMAND test_signature)
  set_tests_properties(unit.signature PROPERTIES LABELS unit)
endif()

# corpus/sigbug.c twice: unoptimized PIE (load addresses moved by ASLR at
# every run) and optimized without PIE (other code, other offsets, fixed
# addresses).  -fno-inline -fno-optimize-sibling-calls keep each function a
# frame of its own, as noinline does in the sources.
add_executable(corpus_sigbug_o0 ${PROJECT_SOURCE_DIR}/corpus/sigbug.c)
set_target_properties(corpus_sigbug_o0 PROPERTIES
  OUTPUT_NAME sigbug-O0 RUNTIME_OUTPUT_DIRECTORY ${CMAKE_BINARY_DIR}/corpus)
# Each build carries a package note of its own version (ld
# --package-metadata, systemd's ELF package metadata): the reports and the
# batch index name the version of each dump's program.
target_compile_options(corpus_sigbug_o0 PRIVATE -O0 -g -fPIE)
target_link_options(corpus_sigbug_o0 PRIVATE -pie
  "SHELL:-Xlinker '--package-metadata={\"type\":\"deb\",\"name\":\"sigbug\",\"version\":\"1.0-1\"}'")
add_executable(corpus_sigbug_o2 ${PROJECT_SOURCE_DIR}/corpus/sigbug.c)
set_target_properties(corpus_sigbug_o2 PROPERTIES
  OUTPUT_NAME sigbug-O2 RUNTIME_OUTPUT_DIRECTORY ${CMAKE_BINARY_DIR}/corpus)
target_compile_options(corpus_sigbug_o2 PRIVATE -O2 -g -fno-inline
  -fno-optimize-sibling-calls -fno-PIE)
target_link_options(corpus_sigbug_o2 PRIVATE -no-pie
  "SHELL:-Xlinker '--package-metadata={\"type\":\"deb\",\"name\":\"sigbug\",\"version\":\"1.1-1\"}'")

add_test(NAME e2e.signature.buckets
  COMMAND ${CR_PYTHON} -B ${CMAKE_CURRENT_SOURCE_DIR}/e2e/signature.py
          --coroner $<TARGET_FILE:coroner> --bindir ${CMAKE_BINARY_DIR}/corpus)
set_tests_properties(e2e.signature.buckets PROPERTIES
  LABELS e2e SKIP_RETURN_CODE 77 TIMEOUT 300)
