# Render the man page: cmake -DCMARK=... -DSRC=coroner.1.md -DOUT=coroner.1
#   -DVERSION=x.y.z -P manpage.cmake
#
# The source is Markdown written for a man page.  cmark-gfm's man renderer
# turns it into roff; the one thing it lacks is a definition list, the way
# man pages lay out options.  The source writes one as Pandoc does, a term
# line followed by a line starting ":   ", which CommonMark reads as one
# paragraph with a line break: rendered, ".PP", the term, and ":   " and
# the definition.  That is turned into ".TP", the term and the definition:
# a tagged paragraph, as in every man page.
execute_process(COMMAND ${CMARK} -t man ${SRC}
  OUTPUT_VARIABLE roff RESULT_VARIABLE rc)
if(NOT rc EQUAL 0)
  message(FATAL_ERROR "cmark-gfm failed on ${SRC}")
endif()
string(REGEX REPLACE "\\.PP\n([^\n]*)\n:   " ".TP\n\\1\n" roff "${roff}")
# Headings: cmark-gfm puts the text on the line after .SH; man pages (and
# lexgrog, which finds the NAME section for whatis) put it on the same line.
string(REGEX REPLACE "\\.SH\n([^\n]*)\n" ".SH \"\\1\"\n" roff "${roff}")
if(roff MATCHES "\n:   ")
  message(FATAL_ERROR "${SRC}: a definition (\":   \") without its term line")
endif()
file(WRITE ${OUT}.tmp
  ".TH CORONER 1 \"\" \"coroner ${VERSION}\" \"User Commands\"\n${roff}")
file(RENAME ${OUT}.tmp ${OUT})
