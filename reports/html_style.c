/*
 * html_style.c - how the HTML report looks on screen, in the dark and on
 * paper: the style sheet and the print script of html.c.
 *
 * The layout rules come from what readers saw in Chromium at 1280 px:
 *
 *   - Addresses, frame numbers, trust words, ids and code never wrap
 *     (white-space: nowrap): "0x00007fb39f8ed54" / "5" reads as two
 *     numbers.  Only file paths and source locations may break anywhere
 *     (overflow-wrap: anywhere), since one long source path otherwise
 *     widens its column until the others are squeezed.
 *   - Header cells never wrap ("Binar y found"): a table too wide for the
 *     page scrolls sideways in its .table-wrap <div> instead.
 *   - The summary box is red only when something crashed (.summary.crash).
 *   - Colours are custom properties, with a prefers-color-scheme: dark set.
 *   - Printing shows every stack: the print rules open the content of
 *     closed <details> (::details-content, Chromium 131+), and the script
 *     opens every <details> before printing (and closes them again after)
 *     for browsers without it.  The script is the page's only one; the
 *     report reads the same without it.
 *
 * Neither text may contain '<': they are raw text in <style> and <script>.
 */
#include "html_style.h"

/* The selector of the cells of column N of a stack table. */
#define STACK_COL(n) "table.stack tr:not(.fold)>td:nth-child(" #n ")"

const char report_html_css[] =
	":root{color-scheme:light dark;--fg:#1b1b1b;--bg:#fff;--muted:#57606a;"
	"--line:#d0d7de;--head:#f6f8fa;--bad:#b42318;--ok:#1a7f37;--warn:#9a6700;"
	"--fold:#fff8c5}\n"
	"@media (prefers-color-scheme:dark){:root{--fg:#e6edf3;--bg:#0d1117;"
	"--muted:#9198a1;--line:#3d444d;--head:#161b22;--bad:#ff7b72;"
	"--ok:#3fb950;--warn:#d29922;--fold:#3a3000}}\n"
	"body{font:15px/1.45 system-ui,-apple-system,\"Segoe UI\",Roboto,"
	"sans-serif;color:var(--fg);background:var(--bg);max-width:80rem;"
	"margin:2rem auto;padding:0 1rem}\n"
	"h1{font-size:1.5rem;margin:0 0 .5rem;overflow-wrap:anywhere}\n"
	"h2{font-size:1.2rem;border-bottom:1px solid var(--line);"
	"padding-bottom:.2rem;margin-top:2rem}\n"
	"h3{font-size:1.05rem}\n"
	".summary{font-size:1.05rem;background:var(--head);"
	"border-left:4px solid var(--muted);padding:.6rem .9rem;"
	"overflow-wrap:anywhere}\n"
	".summary.crash{border-left-color:var(--bad)}\n"
	".summary.no-crash{border-left-color:var(--ok)}\n"
	".table-wrap{overflow-x:auto;max-width:100%}\n"
	"table{border-collapse:collapse;margin:.5rem 0 1rem;font-size:.9rem}\n"
	"th,td{border:1px solid var(--line);padding:.2rem .5rem;"
	"text-align:left;vertical-align:top}\n"
	"th{background:var(--head);font-weight:600;white-space:nowrap}\n"
	/* Never broken: one token each. */
	"code,.mono,.addr,.num,td.cpu{white-space:nowrap}\n"
	/* The stack's cells have no class (html.c: thousands of rows); its
	 * columns are #, address, function, module, source, trust, and a
	 * fold row is one cell.  Number, address, module and trust are never
	 * broken. */
	STACK_COL(1) "," STACK_COL(2) "," STACK_COL(4) "," STACK_COL(6)
	"{white-space:nowrap}\n"
	/* Broken anywhere, but never narrower than a readable column. */
	".path," STACK_COL(5) "{overflow-wrap:anywhere;min-width:12rem}\n"
	/* A range breaks only between its two halves, after the dash. */
	"td.range{white-space:normal}td.range span{display:inline-block;"
	"white-space:nowrap}\n"
	"table.modules .path{min-width:8rem}\n"
	STACK_COL(3) "{overflow-wrap:normal;word-break:normal;"
	"min-width:10rem}\n"
	"table.stack td,.mono,code{font-family:ui-monospace,SFMono-Regular,"
	"Menlo,Consolas,\"Liberation Mono\",monospace;font-size:.85rem}\n"
	"td.num,td.cpu{text-align:right}\n"
	STACK_COL(1) "{text-align:right;color:var(--muted)}\n"
	"tr.inlined td{color:var(--muted)}\n"
	"tr.fold td{font-style:italic;background:var(--fold)}\n"
	".tag{font-size:.75rem;border:1px solid var(--line);border-radius:3px;"
	"padding:0 .25rem;margin:0 .3rem;color:var(--muted);"
	"white-space:nowrap}\n"
	".crashed{color:var(--bad);font-weight:600}\n"
	"details{margin:.6rem 0;border:1px solid var(--line);"
	"border-radius:6px;padding:.3rem .7rem}\n"
	"summary{cursor:pointer;font-weight:600;overflow-wrap:anywhere}\n"
	".note{color:var(--muted);font-style:italic}\n"
	"footer{margin-top:2rem;color:var(--muted);font-size:.85rem}\n"
	/* The report document's own parts (doc_build.c). */
	"nav.toc{font-size:.9rem;margin:.8rem 0}nav.toc a{margin-right:.8rem;"
	"white-space:nowrap}\n"
	"div.finding{border-left:4px solid var(--muted);background:var(--head);"
	"padding:.3rem .9rem;margin:.8rem 0}\n"
	"div.finding.error{border-left-color:var(--bad)}\n"
	"div.finding.warning{border-left-color:var(--warn)}\n"
	"p.finding-title{font-weight:600;overflow-wrap:anywhere}\n"
	"span.severity{text-transform:uppercase;font-size:.75rem;"
	"letter-spacing:.03em;margin-right:.5rem;white-space:nowrap}\n"
	"div.finding.error span.severity{color:var(--bad)}\n"
	"code.finding-id{color:var(--muted);font-weight:400;margin-left:.4rem}\n"
	"div.recommendation{border-left:3px solid var(--line);"
	"padding-left:.8rem}\n"
	"p.label{font-weight:600;margin:.6rem 0 .2rem}\n"
	"p.legend{color:var(--muted);font-size:.85rem}\n"
	"table.stack tr.own>td:nth-child(3){font-weight:600}"
	"span.own-mark{color:var(--bad)}\n"
	"tr.marked td{font-weight:600;background:var(--fold)}\n"
	"li.error{color:var(--bad)}\n"
	"figure.chart{margin:.6rem 0;max-width:100%;overflow-x:auto}"
	"figure.chart figcaption{font-weight:600;margin-bottom:.2rem}"
	"figure.chart text{font-size:12px;fill:var(--fg)}"
	"figure.chart rect{fill:#4a7bd0}\n"
	"@media print{:root{--fg:#000;--bg:#fff;--muted:#444;--line:#999;"
	"--head:#eee;--fold:#f4f0d0}"
	"body{margin:0;max-width:none;font-size:9pt}"
	"details{border:none;padding:0}"
	"details::details-content{content-visibility:visible;display:contents}"
	"summary{list-style:none}summary::-webkit-details-marker{display:none}"
	".table-wrap{overflow:visible}"
	"tr{break-inside:avoid}h2,h3,summary{break-after:avoid}}\n";

const char report_html_script[] =
	"addEventListener(\"beforeprint\",function(){"
	"document.querySelectorAll(\"details:not([open])\").forEach("
	"function(d){d.setAttribute(\"data-print-opened\",\"\");d.open=true})});\n"
	"addEventListener(\"afterprint\",function(){"
	"document.querySelectorAll(\"details[data-print-opened]\").forEach("
	"function(d){d.removeAttribute(\"data-print-opened\");d.open=false})});\n";
