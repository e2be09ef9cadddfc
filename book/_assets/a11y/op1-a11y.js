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
