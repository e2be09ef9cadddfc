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
