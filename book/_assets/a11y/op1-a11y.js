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
