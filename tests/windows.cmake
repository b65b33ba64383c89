# Windows minidumps (PE unwind tables and exports, analyzer/unwind/walk_pe.c):
# the unit test on synthesized images (label "unit"), and end-to-end tests
# (label "e2e") on full-memory minidumps that corpus/windows/crash.exe,
# hang.exe and locks.exe (the wait-for graph: critical sections, SRW lock,
# event, loader lock) write of themselves under wine, and on a MiniDumpNormal one
# (no module images: unwound from the files via --image-dir), checked by
# tests/e2e/windows.py.
#
# The corpus programs are cross-compiled with mingw-w64 by custom commands
# (they are not targets of the host compiler), and only when both
# x86_64-w64-mingw32-gcc (gcc-mingw-w64-x86-64) and wine64 (wine64, in
# /usr/lib/wine) are installed; otherwise the e2e tests skip with a message.
# One wine prefix in the build tree serves every run: the e2e.windows.prefix
# test creates it (wineboot, tens of seconds the first time) as a ctest
# fixture, and the tests take turns with it (RESOURCE_LOCK).
if(CMOCKA_FOUND)
  add_executable(test_pe ${CMAKE_CURRENT_SOURCE_DIR}/test_pe.c)
  target_link_libraries(test_pe PRIVATE cr_analyzer cr_analyzer_private PkgConfig::CMOCKA cr_build_flags)
  add_test(NAME unit.pe COMMAND test_pe)
  set_tests_properties(unit.pe PROPERTIES LABELS unit)
endif()

# The wait-for graph of a dump as JSON (tests/lockgraph.c), for the locks
# case: the graph itself is checked, apart from the findings made of it.
add_executable(lockgraph ${CMAKE_CURRENT_SOURCE_DIR}/lockgraph.c)
target_link_libraries(lockgraph PRIVATE cr_analyzer cr_analyzer_private cr_build_flags)

find_program(CR_MINGW_CC x86_64-w64-mingw32-gcc)
find_program(CR_MINGW_NM x86_64-w64-mingw32-nm)
find_program(CR_WINE64 wine64 HINTS /usr/lib/wine)
set(CR_WINDOWS_BIN ${CMAKE_BINARY_DIR}/corpus/windows)
set(CR_WINEPREFIX ${CMAKE_BINARY_DIR}/wineprefix)
set(_cr_win_wine "")
set(_cr_win_bin "")
if(CR_MINGW_CC AND CR_WINE64)
  set(_cr_win_exes "")
  foreach(prog crash hang locks)
    set(_exe ${CR_WINDOWS_BIN}/${prog}.exe)
    add_custom_command(OUTPUT ${_exe}
      COMMAND ${CMAKE_COMMAND} -E make_directory ${CR_WINDOWS_BIN}
      COMMAND ${CR_MINGW_CC} -O1 -g -Wall -o ${_exe}
              ${PROJECT_SOURCE_DIR}/corpus/windows/${prog}.c
      DEPENDS ${PROJECT_SOURCE_DIR}/corpus/windows/${prog}.c
              ${PROJECT_SOURCE_DIR}/corpus/windows/dumpself.h
      COMMENT "Cross-compiling corpus/windows/${prog}.c with mingw-w64"
      VERBATIM)
    list(APPEND _cr_win_exes ${_exe})
  endforeach()
  add_custom_target(corpus_windows ALL DEPENDS ${_cr_win_exes})
  set(_cr_win_wine ${CR_WINE64})
  set(_cr_win_bin ${CR_WINDOWS_BIN})
else()
  message(STATUS "mingw-w64 or wine64 not found: the Windows e2e tests will skip")
endif()

set(_cr_win_args --coroner $<TARGET_FILE:coroner> --lockgraph $<TARGET_FILE:lockgraph>
    --bindir "${_cr_win_bin}"
    --wine "${_cr_win_wine}" --prefix ${CR_WINEPREFIX})
if(CR_MINGW_NM)
  list(APPEND _cr_win_args --nm ${CR_MINGW_NM})
endif()
add_test(NAME e2e.windows.prefix
  COMMAND ${CR_PYTHON} -B ${CMAKE_CURRENT_SOURCE_DIR}/e2e/windows.py prefix ${_cr_win_args})
set_tests_properties(e2e.windows.prefix PROPERTIES
  LABELS e2e SKIP_RETURN_CODE 77 TIMEOUT 600
  FIXTURES_SETUP cr_wineprefix RESOURCE_LOCK cr_wineprefix)
foreach(case crash crash-normal hang locks)
  add_test(NAME e2e.windows.${case}
    COMMAND ${CR_PYTHON} -B ${CMAKE_CURRENT_SOURCE_DIR}/e2e/windows.py ${case} ${_cr_win_args})
  set_tests_properties(e2e.windows.${case} PROPERTIES
    LABELS e2e SKIP_RETURN_CODE 77 TIMEOUT 600
    FIXTURES_REQUIRED cr_wineprefix RESOURCE_LOCK cr_wineprefix)
endforeach()
