# Turn analyzer/recommendations/*.md into the finding ids and their texts:
#   finding_ids.h       enum cr_finding_id, one CR_FINDING_<ID> per file
#   recommendations.c   cr_finding_infos[]: { "id", "recommendation" }
# Run as: cmake -DSRC=<dir of .md files> -DOUT=<output dir> -P recommendations.cmake
# A file's name is the finding's stable id (lower case, digits, '-'); its
# text is the recommendation, Markdown, printed as it is in the reports.
file(GLOB _files ${SRC}/*.md)
list(SORT _files)
set(_enum "")
set(_table "")
foreach(_f IN LISTS _files)
  get_filename_component(_id ${_f} NAME_WE)
  if(NOT _id MATCHES "^[a-z0-9]+(-[a-z0-9]+)*$")
    message(FATAL_ERROR "${_f}: a finding id is lower-case words joined by '-'")
  endif()
  string(TOUPPER ${_id} _up)
  string(REPLACE "-" "_" _up ${_up})
  file(READ ${_f} _text)
  string(STRIP "${_text}" _text)
  if(_text STREQUAL "")
    message(FATAL_ERROR "${_f}: a recommendation cannot be empty")
  endif()
  string(REPLACE "\\" "\\\\" _text "${_text}")
  string(REPLACE "\"" "\\\"" _text "${_text}")
  string(REPLACE "\n" "\\n\"\n\t  \"" _text "${_text}")
  string(APPEND _enum "\tCR_FINDING_${_up},\n")
  string(APPEND _table "\t[CR_FINDING_${_up}] = { \"${_id}\",\n\t  \"${_text}\" },\n")
endforeach()
set(_h "/* Generated from the files in analyzer/recommendations: do not edit. */
#ifndef CR_FINDING_IDS_H
#define CR_FINDING_IDS_H
enum cr_finding_id {
${_enum}\tCR_FINDING_COUNT
};
#endif
")
set(_c "/* Generated from the files in analyzer/recommendations: do not edit. */
#include \"findings.h\"

const struct cr_finding_info cr_finding_infos[CR_FINDING_COUNT] = {
${_table}};
")
# Written only when changed, so that an unchanged text rebuilds nothing.
foreach(_pair "finding_ids.h;_h" "recommendations.c;_c")
  list(GET _pair 0 _name)
  list(GET _pair 1 _var)
  set(_old "")
  if(EXISTS ${OUT}/${_name})
    file(READ ${OUT}/${_name} _old)
  endif()
  if(NOT _old STREQUAL "${${_var}}")
    file(WRITE ${OUT}/${_name} "${${_var}}")
  endif()
endforeach()
