# `coroner batch` (label "e2e"; tests/e2e/batch.py says what each case
# checks) on kernel cores of corpus/ programs made at test time; the index
# case screenshots the HTML index with headless Chromium into
# build/screens/batch-index.png when chromium is installed; the shard case
# runs `batch --shard` under GNU parallel and `coroner merge`.
foreach(case index poison memory shard ticket durable syncwait forkwait symbols debugfiles series copies queue identity late)
  add_test(NAME e2e.batch.${case}
    COMMAND /usr/bin/python3 -B ${CMAKE_CURRENT_SOURCE_DIR}/e2e/batch.py ${case}
            --coroner $<TARGET_FILE:coroner> --bindir ${CMAKE_BINARY_DIR}/corpus
            --outdir ${CMAKE_BINARY_DIR}/screens)
  set_tests_properties(e2e.batch.${case} PROPERTIES
    LABELS e2e SKIP_RETURN_CODE 77 TIMEOUT 180)
endforeach()
