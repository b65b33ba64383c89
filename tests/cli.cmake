# The command line (label "unit": no dump is made) and the man page
# (docs/coroner.1 rendered at build time): tests/e2e/cli.py.
set(CR_PYTHON /usr/bin/python3 CACHE FILEPATH "Python with jsonschema for the end-to-end tests")
add_test(NAME unit.cli
  COMMAND ${CR_PYTHON} -B ${CMAKE_CURRENT_SOURCE_DIR}/e2e/cli.py cli
          --coroner $<TARGET_FILE:coroner>)
set_tests_properties(unit.cli PROPERTIES LABELS unit SKIP_RETURN_CODE 77 TIMEOUT 120)
if(TARGET manpage)
  add_test(NAME docs.manpage
    COMMAND ${CR_PYTHON} -B ${CMAKE_CURRENT_SOURCE_DIR}/e2e/cli.py manpage
            --coroner $<TARGET_FILE:coroner> --man ${CMAKE_BINARY_DIR}/docs/coroner.1)
  set_tests_properties(docs.manpage PROPERTIES LABELS unit SKIP_RETURN_CODE 77 TIMEOUT 120)
endif()
