# Conformance of crash facts (label "conformance"): coroner's JSON report
# on every minidump of ${CR_SHARED_CORPUS} (Breakpad's and rust-minidump's
# test dumps) against the facts those projects' tests expect, one test per
# dump family.  tests/e2e/minidump_facts.py holds the expected facts and the
# table of deliberate differences; it exits 77 (skip) with a message when
# the corpus is absent.
if(NOT CR_PYTHON)
  set(CR_PYTHON /usr/bin/python3 CACHE FILEPATH "Python for the end-to-end tests")
endif()
foreach(family breakpad-windows breakpad-linux rust-minidump)
  add_test(NAME conformance.minidump-facts.${family}
    COMMAND ${CR_PYTHON} -B ${CMAKE_CURRENT_SOURCE_DIR}/e2e/minidump_facts.py ${family}
            --coroner $<TARGET_FILE:coroner> --corpus ${CR_SHARED_CORPUS})
  set_tests_properties(conformance.minidump-facts.${family} PROPERTIES
    LABELS conformance SKIP_RETURN_CODE 77 TIMEOUT 120)
endforeach()
