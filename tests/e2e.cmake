# End-to-end tests (label "e2e"): the programs in corpus/ are built here,
# crash or block in known ways at test time, the kernel or gdb writes a
# core, and tests/e2e/e2e.py checks what coroner reports about it.  Also the
# bad-input tests (labels "e2e;bad-input") and the conformance tests over
# the elfutils cores in ${CR_SHARED_CORPUS} (label "conformance").
#
# The scripts run with Debian's /usr/bin/python3 (python3-jsonschema), not
# whatever python3 comes first in PATH.  They exit 77 to skip: when the
# kernel sends cores elsewhere (core_pattern), when gdb cannot attach, when
# the shared corpus is absent.

set(CR_PYTHON /usr/bin/python3 CACHE FILEPATH "Python with jsonschema for the end-to-end tests")

# The corpus programs (lock_crowd: the input of tests/bench/bench_passes.sh):
# built like ordinary programs (not with coroner's
# warnings or sanitizers: a sanitizer would catch the very crash we want
# the kernel to dump), -O1 so that stacks look like real optimized code,
# noinline in the sources keeps the functions the tests name.
find_package(Threads REQUIRED)
set(CR_CORPUS_PROGRAMS null_deref abort_assert stack_overflow fpe idle_threads
    pipe_block hostile_names deep_recursion many_stacks
    spin_series
    lock_situations
    lock_crowd
    spin)
set(CR_CORPUS_BIN ${CMAKE_BINARY_DIR}/corpus)
foreach(prog ${CR_CORPUS_PROGRAMS})
  add_executable(corpus_${prog} ${PROJECT_SOURCE_DIR}/corpus/${prog}.c)
  set_target_properties(corpus_${prog} PROPERTIES
    OUTPUT_NAME ${prog} RUNTIME_OUTPUT_DIRECTORY ${CR_CORPUS_BIN})
  # -U NDEBUG after the build type's -DNDEBUG: abort_assert needs assert().
  target_compile_options(corpus_${prog} PRIVATE -O1 -g -UNDEBUG)
  target_link_libraries(corpus_${prog} PRIVATE Threads::Threads)
endforeach()

set(CR_E2E_CASES
  null_deref-kernel null_deref-gdb null_deref-xz null_deref-gz null_deref-zip abort_assert-kernel stack_overflow-kernel
  fpe-kernel idle_threads-kernel idle_threads-gcore pipe_block-kernel
  pipe_block-gcore hostile_names-kernel deep_recursion-kernel)
foreach(case ${CR_E2E_CASES})
  add_test(NAME e2e.${case}
    COMMAND ${CR_PYTHON} -B ${CMAKE_CURRENT_SOURCE_DIR}/e2e/e2e.py ${case}
            --coroner $<TARGET_FILE:coroner> --bindir ${CR_CORPUS_BIN})
  set_tests_properties(e2e.${case} PROPERTIES
    LABELS e2e SKIP_RETURN_CODE 77 TIMEOUT 600)
endforeach()

set(CR_BAD_INPUT_CASES
  empty random elf-not-core directory nonexistent usage unwritable-out
  stdout-full truncated-50 truncated-99 truncated-notes notes-lie threads-10000)
foreach(case ${CR_BAD_INPUT_CASES})
  add_test(NAME bad-input.${case}
    COMMAND ${CR_PYTHON} -B ${CMAKE_CURRENT_SOURCE_DIR}/bad-input/bad_input.py ${case}
            --coroner $<TARGET_FILE:coroner> --bindir ${CR_CORPUS_BIN})
  set_tests_properties(bad-input.${case} PROPERTIES
    LABELS "e2e;bad-input" SKIP_RETURN_CODE 77 TIMEOUT 600)
endforeach()

set(CR_CONFORMANCE_CASES
  backtrace.x86_64 backtrace.x86_64.fp backtrace.aarch64 backtrace.aarch64.fp
  backtrace.i386 backtrace.ppc backtrace.ppc64le.fp backtrace.s390x
  dwarfinlines demangle linkmap-cut)
foreach(case ${CR_CONFORMANCE_CASES})
  add_test(NAME conformance.elfutils.${case}
    COMMAND ${CR_PYTHON} -B ${CMAKE_CURRENT_SOURCE_DIR}/e2e/conformance.py ${case}
            --coroner $<TARGET_FILE:coroner> --corpus ${CR_SHARED_CORPUS}/elfutils)
  set_tests_properties(conformance.elfutils.${case} PROPERTIES
    LABELS conformance SKIP_RETURN_CODE 77 TIMEOUT 300)
endforeach()
