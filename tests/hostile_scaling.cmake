# Scaling tests (labels "e2e;hostile"): tests/hostile/scaling.py crafts
# dumps with N and 2N of one count from the file (NT_FILE ranges, PT_LOADs,
# threads, minidump memory ranges, modules...) and requires the time to
# grow about linearly.
# Not registered yet, because the time goes into libdwfl calls that the
# module enumeration of issue 7 replaces: pt-loads and overlapping-loads
# (dwfl_core_file_report -> dwfl_report_segment inserts into a sorted array,
# quadratic) and md-modules (dwfl_report_module scans the module list on
# every call, quadratic).  Add them once those calls are gone.
set(CR_SCALING_CASES nt-file-spanning threads md-memory md-threads)
foreach(case ${CR_SCALING_CASES})
  add_test(NAME hostile.scaling.${case}
    COMMAND ${CR_PYTHON} -B ${CMAKE_CURRENT_SOURCE_DIR}/hostile/scaling.py ${case}
            --coroner $<TARGET_FILE:coroner>)
  set_tests_properties(hostile.scaling.${case} PROPERTIES
    LABELS "e2e;hostile" SKIP_RETURN_CODE 77 TIMEOUT 300)
endforeach()
