# Report writers (reports/): structure of the Markdown, HTML and JSON
# reports for a hostile synthetic analysis, report_write_file(), and the JSON
# reports validated against docs/report-schema.json.
if(CMOCKA_FOUND)
  add_executable(test_reports ${CMAKE_CURRENT_SOURCE_DIR}/test_reports.c)
  target_link_libraries(test_reports PRIVATE cr_reports cr_md_compile PkgConfig::CMOCKA
    PkgConfig::CMARK_GFM PkgConfig::JANSSON LibXml2::LibXml2 cr_build_flags)
  set(CR_REPORTS_TEST_OUT ${CMAKE_CURRENT_BINARY_DIR}/reports-out)
  file(MAKE_DIRECTORY ${CR_REPORTS_TEST_OUT})
  add_test(NAME unit.reports COMMAND test_reports ${CR_REPORTS_TEST_OUT})
  set_tests_properties(unit.reports PROPERTIES LABELS unit
    FIXTURES_SETUP reports_json)

  # Debian's python3-jsonschema; not a pyenv or virtualenv interpreter.
  add_test(NAME unit.reports.schema
    COMMAND /usr/bin/python3 ${CMAKE_CURRENT_SOURCE_DIR}/check_json_schema.py
            ${PROJECT_SOURCE_DIR}/docs/report-schema.json
            ${CR_REPORTS_TEST_OUT}/reports-full.json
            ${CR_REPORTS_TEST_OUT}/reports-empty.json
            ${CR_REPORTS_TEST_OUT}/reports-findings.json)
  set_tests_properties(unit.reports.schema PROPERTIES LABELS unit
    FIXTURES_REQUIRED reports_json SKIP_RETURN_CODE 77)
endif()

# The schema's enum of finding ids equals the files of
# analyzer/recommendations/ (a new finding needs its schema entry).
add_test(NAME unit.reports.finding_ids
  COMMAND /usr/bin/python3 ${CMAKE_CURRENT_SOURCE_DIR}/check_finding_ids.py
          ${PROJECT_SOURCE_DIR}/docs/report-schema.json
          ${PROJECT_SOURCE_DIR}/analyzer/recommendations)
set_tests_properties(unit.reports.finding_ids PROPERTIES LABELS unit)
