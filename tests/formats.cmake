# Unit tests of the model and the ELF core reader (label "unit").
# test_elfcore makes real cores at test time from elfcore_victim.c (kernel
# core via setrlimit + SIGSEGV, gcore on a live child) and reads the elfutils
# cores under CR_SHARED_CORPUS (skipped when absent).
if(CMOCKA_FOUND)
  add_executable(elfcore_victim ${CMAKE_CURRENT_SOURCE_DIR}/elfcore_victim.c)
  target_compile_options(elfcore_victim PRIVATE -O1 -g -pthread)
  target_link_options(elfcore_victim PRIVATE -pthread)

  foreach(t test_dump test_elfcore test_elfcore_write test_dynlib)
    add_executable(${t} ${CMAKE_CURRENT_SOURCE_DIR}/${t}.c)
    target_link_libraries(${t} PRIVATE cr_formats PkgConfig::CMOCKA cr_build_flags)
    add_test(NAME unit.formats.${t} COMMAND ${t})
    set_tests_properties(unit.formats.${t} PROPERTIES LABELS unit)
  endforeach()
  # test_dynlib loads Capstone to count the faults of its relocation, and
  # Zydis to see that it is loaded without populating.
  cr_dynlib_required(test_dynlib CAPSTONE CR_SONAME_CAPSTONE)
  cr_dynlib_required(test_dynlib ZYDIS CR_SONAME_ZYDIS)
  target_link_libraries(test_dynlib PRIVATE cr_formats_private)
  add_dependencies(test_elfcore elfcore_victim)
  set(CR_ELFCORE_WORK ${CMAKE_CURRENT_BINARY_DIR}/elfcore-work)
  target_compile_definitions(test_elfcore PRIVATE
    VICTIM_PATH="$<TARGET_FILE:elfcore_victim>"
    WORK_DIR="${CR_ELFCORE_WORK}"
    SHARED_CORPUS="${CR_SHARED_CORPUS}")
  set_tests_properties(unit.formats.test_elfcore PROPERTIES TIMEOUT 300)
endif()
