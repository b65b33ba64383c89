# Conformance of stacks (label "conformance"): the crashing thread's frames
# of corpus minidumps, with and without Breakpad symbol files, against
# Breakpad's and rust-minidump's outputs (tests/e2e/minidump_frames.py).
add_test(NAME conformance.minidump-frames
  COMMAND /usr/bin/python3 -B ${CMAKE_CURRENT_SOURCE_DIR}/e2e/minidump_frames.py
          --coroner $<TARGET_FILE:coroner> --corpus ${CR_SHARED_CORPUS})
set_tests_properties(conformance.minidump-frames PROPERTIES
  LABELS conformance SKIP_RETURN_CODE 77 TIMEOUT 120)
