# File-level hostile input (labels "e2e;hostile").
#
# tests/hostile/io.py: compressed dumps: decompression bombs (zstd, xz, lz4, gzip)
# must end at once as "not a dump"; --max-decompressed, a full temporary
# directory and an xz header asking for a huge dictionary end in exit 6
# with one line; nothing is left in TMPDIR.  A dump file cut while coroner
# reads it (shrink-*) must not kill coroner with SIGBUS.
#
# tests/hostile/scaling.py: dumps with N and 2N of one count from the file
# (NT_FILE ranges, threads, minidump memory ranges...) must take about
# linear time: pt-loads and overlapping-loads were quadratic inside
# libdwfl's dwfl_core_file_report (gone: formats/elfcore_modules.c
# enumerates modules itself), md-modules inside dwfl_report_module (the
# modules handed to libdwfl are capped, CR_MAX_DWFL_MODULES).
# The SIGBUS guard under the memory reads of dump.c (label "unit").
if(CMOCKA_FOUND)
  add_executable(test_mapguard ${CMAKE_CURRENT_SOURCE_DIR}/test_mapguard.c)
  target_link_libraries(test_mapguard PRIVATE cr_formats cr_formats_private PkgConfig::CMOCKA cr_build_flags)
  add_test(NAME unit.formats.test_mapguard COMMAND test_mapguard)
  set_tests_properties(unit.formats.test_mapguard PROPERTIES LABELS unit)
endif()

# The test-only LD_PRELOAD library that cuts the dump file while coroner
# runs (io.py shrink-*): built plainly, never linked into coroner.
add_library(cr_shrink_preload MODULE ${CMAKE_CURRENT_SOURCE_DIR}/hostile/shrink_preload.c)
target_link_libraries(cr_shrink_preload PRIVATE ${CMAKE_DL_LIBS})

set(CR_HOSTILE_IO_TESTS
  "io:bomb-zstd bomb-xz bomb-lz4 bomb-gzip zip-no-dump zip-bomb gzip-cut bomb-behind-header limit tmpfs-full xz-dictionary xz-no-memory compressed-minidump lz4-frames shrink-read shrink-analysis shrink-all"
  "scaling:nt-file-spanning threads md-memory md-threads md-repeated-range pt-loads overlapping-loads md-modules")
foreach(entry ${CR_HOSTILE_IO_TESTS})
  string(REPLACE ":" ";" parts "${entry}")
  list(GET parts 0 script)
  list(GET parts 1 cases)
  string(REPLACE " " ";" cases "${cases}")
  set(extra)
  if(script STREQUAL "io")
    set(extra --shrinklib $<TARGET_FILE:cr_shrink_preload>)
  endif()
  foreach(case ${cases})
    add_test(NAME hostile.${script}.${case}
      COMMAND ${CR_PYTHON} -B ${CMAKE_CURRENT_SOURCE_DIR}/hostile/${script}.py ${case}
              --coroner $<TARGET_FILE:coroner> ${extra})
    set_tests_properties(hostile.${script}.${case} PROPERTIES
      LABELS "e2e;hostile" SKIP_RETURN_CODE 77 TIMEOUT 120)
  endforeach()
endforeach()
