// A figure's box (book/booklib.py) is a keyboard stop only while it scrolls sideways (a phone):
// there its arrow keys scroll it; on a wider screen, where it does not scroll, Tab passes it by.
// Without this script every box stays a stop.  (sim/view/player.js does the same for a player's
// boxes.)
(function () {
  function fit() {
    document.querySelectorAll(".bl-scroll").forEach(function (b) {
      if (!b.offsetParent) return;
      var can = b.scrollWidth > b.clientWidth + 1;
      if (can || document.activeElement === b) b.setAttribute("tabindex", "0");
      else b.removeAttribute("tabindex");
    });
  }
  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", fit);
  else fit();
  window.addEventListener("load", fit);
  window.addEventListener("resize", fit);
})();

// What op1-a11y.css needs to know of a code block or a table to lay it out on a phone:
// - a code block whose lines are columns aligned with spaces (two lines or more with a gap of three
//   spaces or more inside them: a table of figures, comments aligned at the right) is "op1-cols":
//   it keeps its lines and scrolls sideways, as wrapped its columns would fall apart; any other
//   block wraps its long lines (under a hanging indent);
// - a table whose last column holds sentences (a cell of PROSE characters or more, with spaces) is
//   "op1-prose-end": that column keeps a readable width and the table scrolls; a last column of
//   figures or names is as wide as it needs.
// Without this script every code block wraps and every table's columns share its box.
(function () {
  var PROSE = 40;
  function mark() {
    document.querySelectorAll("article.bd-article div.highlight>pre").forEach(function (p) {
      var cols = p.textContent.split("\n").filter(function (l) { return /\S {3,}\S/.test(l); }).length;
      p.classList.toggle("op1-cols", cols >= 2);
    });
    document.querySelectorAll("article.bd-article .pst-scrollable-table-container>table").forEach(function (t) {
      var prose = Array.prototype.some.call(t.rows, function (r) {
        var c = r.cells[r.cells.length - 1], s = c ? c.textContent.replace(/\s+/g, " ").trim() : "";
        return s.length >= PROSE && s.indexOf(" ") > 0;
      });
      t.classList.toggle("op1-prose-end", prose);
    });
  }
  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", mark);
  else mark();
})();

// A dropdown's button (sphinx-togglebutton's) is named "Toggle hidden content", every one alike:
// among chapter 9's eight captures a screen reader's list of buttons could not tell one from
// another.  Each is named by its box's title.
(function () {
  function name() {
    document.querySelectorAll(".toggle-button").forEach(function (b) {
      var box = b.closest(".admonition, .toggle-details, details");
      var t = box && box.querySelector(".admonition-title, summary");
      var words = t ? t.textContent.replace(/\s+/g, " ").trim() : "";
      if (words) b.setAttribute("aria-label", "Show or hide: " + words);
    });
  }
  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", function () { setTimeout(name); });
  else setTimeout(name);
  window.addEventListener("load", name);
})();

// A table wider than its box where the box is narrow for the text -- large text on a phone (the
// browser's text size at 150-200 %, or a page zoomed until the window is 180 px wide): at 200 %
// 11 of the 13 tables of chapters 1, 2, 4 and 6 showed 29-84 % of their width, chapter 1's
// "Addresses" hid its addresses -- is a card a row, as the tables of records book/booklib.py
// cards() marks op1-cards are (the same stylesheet, op1-a11y.css, under op1-cards-fit): each
// cell on its own line after its column's name (data-label, from the table's header row; a
// Markdown table's first cell, the row's name, is the card's heading, named too when it is a
// figure).  The box is narrow below NARROW times the page's text size (the root's: 17 rem is
// 272 px at 100 %, where a phone's box is 288-343 px and a wide table keeps its pinned first
// column and scrolls, as before).  Tried again as a table when the box's width or the text's
// size changes (turning the phone, a new text size): back to a table once it fits.
(function () {
  var NARROW = 17;
  var SEL = "article.bd-article .pst-scrollable-table-container>table";
  var text = function (c) { return c.textContent.replace(/\s+/g, " ").trim(); };
  function cardable(t) {            // a header row, then rows of as many cells: data-labels once
    var k = t.getAttribute("data-op1-cardable");
    if (k) return k === "1";
    var head = t.tHead && t.tHead.rows.length === 1 ? Array.prototype.map.call(t.tHead.rows[0].cells, text) : null;
    var rows = t.tBodies.length === 1 ? Array.prototype.slice.call(t.tBodies[0].rows) : [];
    var ok = !!head && rows.length > 0 && head.every(Boolean) && !t.querySelector("[colspan],[rowspan]")
      && rows.every(function (r) { return r.cells.length === head.length; });
    if (ok) rows.forEach(function (r) {
      Array.prototype.forEach.call(r.cells, function (c, i) {
        if (c.hasAttribute("data-label")) return;
        if (i > 0 || /^[-+\u2212]?[\d.,]+\s*%?$/.test(text(c))) c.setAttribute("data-label", head[i]);
      });
    });
    t.setAttribute("data-op1-cardable", ok ? "1" : "0");
    return ok;
  }
  function fit() {
    var rem = parseFloat(getComputedStyle(document.documentElement).fontSize) || 16;
    document.querySelectorAll(SEL).forEach(function (t) {
      var box = t.parentElement, was = t.classList.contains("op1-cards-fit");
      if (!box.clientWidth) return;                          // hidden (a closed dropdown): when shown
      if (box.clientWidth >= NARROW * rem) { if (was) t.classList.remove("op1-cards-fit"); return; }
      if (!cardable(t)) return;
      if (was) t.classList.remove("op1-cards-fit");          // as a table, does it fit?
      var over = box.scrollWidth > box.clientWidth + 1;
      if (over) t.classList.add("op1-cards-fit");
    });
  }
  var queued = false;
  function later() {
    if (queued) return;
    queued = true;
    requestAnimationFrame(function () { queued = false; fit(); });
  }
  function start() {
    fit();
    if (window.ResizeObserver) {
      // a box's width (a turned phone) or a table's height (a new text size, a dropdown opened)
      var ro = new ResizeObserver(later);
      document.querySelectorAll("article.bd-article .pst-scrollable-table-container").forEach(function (b) { ro.observe(b); });
    }
  }
  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", start);
  else start();
  window.addEventListener("load", fit);
  window.addEventListener("resize", later);
})();

// The article's header (op1-a11y.css) wraps its icons where they do not fit one row: when its rows
// take more than a sixth of the window's height (a 360 px phone zoomed to 200 %: two rows, 74 px of
// 370) it scrolls away with the page instead of staying on top of it.
(function () {
  function tall() {
    var h = document.querySelector(".bd-header-article");
    if (!h) return;
    h.classList.remove("op1-hdr-tall");
    h.classList.toggle("op1-hdr-tall", h.getBoundingClientRect().height > window.innerHeight / 6);
  }
  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", tall);
  else tall();
  window.addEventListener("load", tall);
  window.addEventListener("resize", tall);
})();

// The sidebars' toggle buttons: the theme's scripts bind only the first .primary-toggle and the
// first .secondary-toggle of the page (document.querySelector; pydata-sphinx-theme 0.17's issue
// #2451), which with sphinx-book-theme are the top bar's, hidden, and not the article header's
// that a reader sees and presses: on a phone or at 200 % zoom the chapters' list and the page's
// contents could not be opened, nor the sidebar hidden on a laptop.  A press of a toggle that no
// theme script took (it reaches the document, not prevented) is handed to the bound one, whose
// handlers open the dialog (narrow) or hide the sidebar (wide).
(function () {
  document.addEventListener("click", function (e) {
    if (e.defaultPrevented || !e.target.closest) return;
    var b = e.target.closest(".primary-toggle, .secondary-toggle");
    if (!b) return;
    var bound = document.querySelector(b.classList.contains("primary-toggle") ? ".primary-toggle" : ".secondary-toggle");
    if (bound && bound !== b) {
      e.preventDefault();
      bound.click();
    }
  });
})();
