/*
 * html_style.h - the HTML report's style sheet and its one small script
 * (html_style.c).  Both are constants: the only raw text in the page.
 *
 * The class names they style, which the HTML writer sets:
 *   summary crash / summary no-crash   the summary paragraph: red only when
 *                                      something crashed
 *   table-wrap                         a <div> around every table: a wide
 *                                      table scrolls sideways in it instead
 *                                      of squeezing its words into pieces
 *   addr num trust mono module         cells that never wrap (addresses,
 *                                      frame numbers, trust words, ids)
 *   path src                           cells that may break anywhere (file
 *                                      paths, source locations)
 *   fn                                 function cells: wrap between words only
 */
#ifndef CR_HTML_STYLE_H
#define CR_HTML_STYLE_H

extern const char report_html_css[];
extern const char report_html_script[];

#endif
