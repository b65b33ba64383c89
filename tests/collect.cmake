# `coroner collect` on live processes (label "e2e"; tests/e2e/collect.py
# says what each case checks).  corpus/spin_series.c is built with the other
# corpus programs (e2e.cmake).  The cases ptrace their own children;
# fulldisk mounts a 256 KiB tmpfs (skipped when mount is refused).
foreach(case series debuggers churn eperm fulldisk python snapshot wipeonfork fromkernel fromkernel_proc signals
    seccomp lost_child lost_in_copy lost_before_maps stop_in_inject killed_in_copy sigmask)
  add_test(NAME e2e.collect.${case}
    COMMAND /usr/bin/python3 -B ${CMAKE_CURRENT_SOURCE_DIR}/e2e/collect.py
            --coroner $<TARGET_FILE:coroner> --bindir ${CMAKE_BINARY_DIR}/corpus --case ${case})
  set_tests_properties(e2e.collect.${case} PROPERTIES
    LABELS e2e SKIP_RETURN_CODE 77 TIMEOUT 180)
endforeach()

# Triggers and --name (tests/e2e/collect_trigger.py): python3 programs that
# change after a second, collected when the change shows.
foreach(case cpu memory threads name)
  add_test(NAME e2e.collect.trigger.${case}
    COMMAND /usr/bin/python3 -B ${CMAKE_CURRENT_SOURCE_DIR}/e2e/collect_trigger.py ${case}
            --coroner $<TARGET_FILE:coroner> --bindir ${CMAKE_BINARY_DIR}/corpus)
  set_tests_properties(e2e.collect.trigger.${case} PROPERTIES
    LABELS e2e SKIP_RETURN_CODE 77 TIMEOUT 120)
endforeach()

# --snapshot's rare moments on cue (tests/e2e/collect_shim.c, LD_PRELOAD'ed
# into coroner by the lost_child, lost_in_copy, lost_before_maps, killed_in_copy and
# stop_in_inject cases
# above) and
# processes with seccomp filters (corpus/seccomp_filter.c, the seccomp
# case), both beside the corpus programs.
add_library(collect_shim SHARED ${CMAKE_CURRENT_SOURCE_DIR}/e2e/collect_shim.c)
set_target_properties(collect_shim PROPERTIES
  LIBRARY_OUTPUT_DIRECTORY ${CMAKE_BINARY_DIR}/corpus)
target_link_libraries(collect_shim PRIVATE ${CMAKE_DL_LIBS})
add_executable(corpus_seccomp_filter ${PROJECT_SOURCE_DIR}/corpus/seccomp_filter.c)
set_target_properties(corpus_seccomp_filter PROPERTIES
  OUTPUT_NAME seccomp_filter RUNTIME_OUTPUT_DIRECTORY ${CMAKE_BINARY_DIR}/corpus)
