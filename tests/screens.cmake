# The HTML report as people see it (tests/screens/screens.py, label e2e):
# "style" asserts the style sheet's rules that keep addresses, numbers and
# trust words whole and print closed <details>; "layout" makes reports of a
# crash, a 41-thread hang and (with wine) a Windows hang, screenshots them
# with headless Chromium at 1280 px into build/screens/, measures in the
# browser that no address or word is broken, and prints them to PDF
# (pdftotext, Debian poppler-utils) to check that closed groups' frames are
# on paper.  It skips (77) without chromium.  It takes its turn with the
# Windows tests' wine prefix.
add_test(NAME e2e.screens.style
  COMMAND ${CR_PYTHON} -B ${CMAKE_CURRENT_SOURCE_DIR}/screens/screens.py style
          --coroner $<TARGET_FILE:coroner>)
set_tests_properties(e2e.screens.style PROPERTIES LABELS e2e TIMEOUT 120)

# windows.cmake (included after this file) finds the same programs.
find_program(CR_MINGW_CC x86_64-w64-mingw32-gcc)
find_program(CR_WINE64 wine64 HINTS /usr/lib/wine)
set(_cr_screens_wine "")
if(CR_MINGW_CC AND CR_WINE64)
  set(_cr_screens_wine ${CR_WINE64})
endif()
add_test(NAME e2e.screens.layout
  COMMAND ${CR_PYTHON} -B ${CMAKE_CURRENT_SOURCE_DIR}/screens/screens.py layout
          --coroner $<TARGET_FILE:coroner> --bindir ${CR_CORPUS_BIN}
          --outdir ${CMAKE_BINARY_DIR}/screens
          --wine "${_cr_screens_wine}" --winbin ${CMAKE_BINARY_DIR}/corpus/windows
          --prefix ${CMAKE_BINARY_DIR}/wineprefix)
set_tests_properties(e2e.screens.layout PROPERTIES
  LABELS e2e SKIP_RETURN_CODE 77 TIMEOUT 600
  FIXTURES_REQUIRED cr_wineprefix RESOURCE_LOCK cr_wineprefix)
