# Hostile and unusual dumps, module side (issue 7): our own module
# enumeration (link map, NT_FILE, ELF headers in memory) and the safe
# opening of every path a dump names (tests/hostile/modules.py; crafted
# cores from tests/hostile/corewriter.py and kernel cores of corpus/
# programs, made at test time).  Labels "e2e;hostile".
set(CR_HOSTILE_MODULES_CASES
  hostile-names sysroot-escape host-fallback no-nt-file link-map-cycle qemu-user
  many-modules altlink-escape debuginfod)
foreach(case ${CR_HOSTILE_MODULES_CASES})
  add_test(NAME hostile.modules.${case}
    COMMAND ${CR_PYTHON} -B ${CMAKE_CURRENT_SOURCE_DIR}/hostile/modules.py ${case}
            --coroner $<TARGET_FILE:coroner> --bindir ${CR_CORPUS_BIN})
  set_tests_properties(hostile.modules.${case} PROPERTIES
    LABELS "e2e;hostile" SKIP_RETURN_CODE 77 TIMEOUT 120)
endforeach()
