# The Markdown report keeps to its budget (reports/md_budget.c; label e2e):
# a kernel core of corpus/many_stacks with 100 threads of distinct stacks
# gives a report under 60,000 characters (GitHub refuses comments over
# 65,536) whose tables cmark-gfm still renders; --md-budget N and --brief.
foreach(case default budget brief)
  add_test(NAME e2e.md-budget.${case}
    COMMAND ${CR_PYTHON} -B ${CMAKE_CURRENT_SOURCE_DIR}/e2e/md_budget.py ${case}
            --coroner $<TARGET_FILE:coroner> --bindir ${CR_CORPUS_BIN})
  set_tests_properties(e2e.md-budget.${case} PROPERTIES
    LABELS e2e SKIP_RETURN_CODE 77 TIMEOUT 300)
endforeach()
