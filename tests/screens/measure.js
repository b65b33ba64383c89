/*
 * measure.js - injected by screens.py at the end of a copy of an HTML
 * report; measures the layout as Chromium laid it out at the window's
 * width and writes the figures as JSON into <pre id="cr-layout">, which
 * screens.py reads back from `chromium --dump-dom`.
 *
 * Facts measured (with all <details> opened, as a reader unfolds them):
 *   nowrap     every cell that must stay on one line (address, frame
 *              number, trust word, module, CPU time, ids, header cells)
 *              does: each of its text nodes lies on one line box
 *   words      no word outside path and source cells is broken across
 *              lines (each word's Range has its client rects on one line)
 *   overflow   no cell's content sticks out of it
 *   page       the page itself does not scroll sideways; wide tables
 *              scroll inside their .table-wrap instead
 *   closed     the function cells inside <details> that were closed when
 *              the page loaded (screens.py looks for them in the PDF)
 */
(function () {
	"use strict";
	/* The cells of column N of a stack table, which have no class; its
	 * columns are #, address, function, module, source, trust (html.c). */
	function stackCol(n) {
		return "table.stack tr:not(.fold)>td:nth-child(" + n + ")";
	}
	var res = { viewport: window.innerWidth, closed: [], nowrap: { checked: 0, bad: [] },
		    words: { checked: 0, bad: [] }, overflow: [], tables: [] };

	document.querySelectorAll("details").forEach(function (d) {
		if (!d.open) {
			d.querySelectorAll(stackCol(3)).forEach(function (td) {
				res.closed.push(td.textContent.trim());
			});
			d.open = true;
		}
	});

	/* The distinct line boxes the client rects RECTS lie on. */
	function lineCount(rects) {
		var lines = [];
		for (var i = 0; i < rects.length; i++) {
			var r = rects[i];
			if (r.width === 0 && r.height === 0)
				continue;
			var mid = (r.top + r.bottom) / 2, same = false;
			for (var k = 0; k < lines.length; k++)
				if (mid > lines[k].top && mid < lines[k].bottom)
					same = true;
			if (!same)
				lines.push({ top: r.top, bottom: r.bottom });
		}
		return lines.length;
	}

	function textNodes(el) {
		var out = [], w = document.createTreeWalker(el, NodeFilter.SHOW_TEXT);
		while (w.nextNode())
			if (w.currentNode.data.trim())
				out.push(w.currentNode);
		return out;
	}

	function rangeOf(node, start, end) {
		var r = document.createRange();
		r.setStart(node, start);
		r.setEnd(node, end);
		return r;
	}

	var nowrapSel = ["td.addr", "td.num", "td.cpu", "td.mono", stackCol(1), stackCol(2),
			 stackCol(4), stackCol(6), "th", ".tag", "code"].join(", ");
	document.querySelectorAll(nowrapSel).forEach(function (el) {
		textNodes(el).forEach(function (t) {
			res.nowrap.checked++;
			var n = lineCount(rangeOf(t, 0, t.data.length).getClientRects());
			if (n > 1 && res.nowrap.bad.length < 20)
				res.nowrap.bad.push({ cls: el.className || el.tagName, text: t.data.trim(), lines: n });
		});
	});

	var skip = "style, script, .path, " + stackCol(5) + ", #cr-layout";
	textNodes(document.body).forEach(function (t) {
		if (t.parentElement.closest(skip))
			return;
		var re = /\S+/g, m;
		while ((m = re.exec(t.data)) !== null) {
			res.words.checked++;
			var n = lineCount(rangeOf(t, m.index, m.index + m[0].length).getClientRects());
			if (n > 1 && res.words.bad.length < 20)
				res.words.bad.push({ cls: t.parentElement.className || t.parentElement.tagName,
						     word: m[0], lines: n });
		}
	});

	document.querySelectorAll("td, th").forEach(function (c) {
		if (c.scrollWidth > c.clientWidth + 1 && res.overflow.length < 20)
			res.overflow.push({ cls: c.className || c.tagName, text: c.textContent.trim().slice(0, 80),
					    scroll: c.scrollWidth, client: c.clientWidth });
	});

	document.querySelectorAll("table").forEach(function (t) {
		var w = t.parentElement;
		res.tables.push({ cls: t.className, wrapped: w.classList.contains("table-wrap"),
				  width: Math.round(t.getBoundingClientRect().width),
				  box: Math.round(w.clientWidth), scrolls: w.scrollWidth > w.clientWidth + 1 });
	});
	res.page = { scrollWidth: document.documentElement.scrollWidth,
		     clientWidth: document.documentElement.clientWidth };

	var pre = document.createElement("pre");
	pre.id = "cr-layout";
	pre.hidden = true;
	pre.textContent = JSON.stringify(res);
	document.body.appendChild(pre);
})();
