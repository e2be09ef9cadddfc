// LivePlayer's (live.py) accessibility in a Jupyter front end: what ipywidgets gives no API for.
// Carried by the player's own Output widget (its outputs are trusted: JupyterLab runs the script
// each time a view of the player is drawn); where no script runs (a renderer that runs none) the
// player works as it did, unannounced.  Everything here is idempotent, applied again whenever
// the widgets redraw a part (sync), and reads the widgets' DOM by the classes live.py gives them.
(function () {
  "use strict";
  var me = document.currentScript;
  // Steps by hand are said once the reader stops (none for HUSH ms), as the static player's
  // (player.js hush); none while Play plays, the step it stops at once on Pause.
  var HUSH = 400;
  var made = 0;
  function words(el) { return el ? (el.textContent || "").replace(/\s+/g, " ").trim() : ""; }
  function idOf(el, stem) {
    if (!el.id) el.id = stem + "-" + (++made) + "-" + Math.random().toString(36).slice(2, 8);
    return el.id;
  }
  function attr(el, name, value) {
    if (!el) return;
    if (value === null) { if (el.hasAttribute(name)) el.removeAttribute(name); }
    else if (el.getAttribute(name) !== value) el.setAttribute(name, value);
  }
  function shown(el) { return !!el && getComputedStyle(el).display !== "none"; }

  function setup(root, host) {
    if (root.hasAttribute("data-op1-a11y")) return;
    root.setAttribute("data-op1-a11y", "on");
    function q(s) { return root.querySelector(s); }
    function qa(s) { return Array.prototype.slice.call(root.querySelectorAll(s)); }
    // One live region for the whole player, made once and never redrawn by a widget: a region
    // made already holding its words (each step's new HTML) is not read.
    var live = document.createElement("div");
    live.className = "op1-vh op1-lp-said";
    live.setAttribute("role", "status");
    live.setAttribute("aria-live", "polite");
    live.setAttribute("aria-atomic", "true");
    (host || root).appendChild(live);
    function say(text) { if (text) live.replaceChildren(document.createTextNode(text)); }

    function playing() { var b = q(".op1-lp-playbtn"); return !!b && b.classList.contains("mod-active"); }
    function narration() { return words(q(".op1-lp-narr .widget-html-content")); }
    var lastNarr = null, lastStatus = null, lastTold = null, wasPlaying = false, sayT = null;
    function sayLater() {
      clearTimeout(sayT);
      sayT = setTimeout(function () { sayT = null; if (!playing()) say(narration()); }, HUSH);
    }

    function controls() {
      // each control's hint line, why it is off, why its value was refused: its description;
      // a refused value marked invalid (the page's panel's panel.js does the same)
      qa(".op1-lcg").forEach(function (col) {
        var c = col.querySelector("input, select"), desc = [];
        if (!c) return;
        var err = col.querySelector(".op1-lc-errw"), why = col.querySelector(".op1-lc-why");
        var hint = col.querySelector(".op1-lc-hint");
        if (err && shown(err) && words(err)) desc.push(idOf(err, "op1-lc-err"));
        if (hint && words(hint)) desc.push(idOf(hint, "op1-lc-hint"));
        attr(c, "aria-describedby", desc.length ? desc.join(" ") : null);
        var bad = !!col.querySelector(".op1-bad");
        attr(c, "aria-invalid", bad ? "true" : null);
        // a box that goes off under another's value (equalize) says so in its name, as the page's
        // panel's label does, whether or not the words beside it show
        if (why && c.type === "checkbox") {
          var label = col.querySelector(".widget-checkbox .widget-label-basic span");
          attr(c, "aria-label", words(label) + " " + words(why));
        }
      });
    }

    function slider() {
      var box = q(".op1-lp-slider");
      if (!box) return;
      var hd = box.querySelector("[role=slider]"), out = box.querySelector(".widget-readout");
      var lab = box.querySelector(".widget-label");
      if (!hd) return;
      var k = Math.round(parseFloat(hd.getAttribute("aria-valuenow")));
      var n = Math.round(parseFloat(hd.getAttribute("aria-valuemax")));
      attr(hd, "aria-labelledby", lab ? idOf(lab, "op1-lp-stepl") : null);
      if (!lab) attr(hd, "aria-label", "step");
      if (k === k && n === n) attr(hd, "aria-valuetext", "step " + k + " of " + n);
      if (out) {
        attr(out, "role", "textbox");
        attr(out, "aria-label", "go to step (1 to " + (n === n ? n : "the last") + ")");
      }
    }

    var TAB_VIEWS = {ladder: "ladder", state: "state", packet: "packet"};
    function tabs() {
      var bar = q(".op1-lp-tabs"), row = bar && bar.querySelector(":scope > div");
      if (!row) return;
      var on = shown(bar);
      attr(row, "role", "tablist");
      attr(row, "aria-label", "what to show below the network");
      var bs = Array.prototype.slice.call(row.querySelectorAll("button"));
      var views = Object.keys(TAB_VIEWS);
      bs.forEach(function (b, j) {
        var sel = b.classList.contains("mod-active");
        attr(b, "role", "tab");
        attr(b, "aria-selected", sel ? "true" : "false");
        attr(b, "tabindex", sel ? "0" : "-1");
        var panel = q(".op1-lp-box-" + views[j]);
        if (!panel) return;
        attr(b, "aria-controls", idOf(panel, "op1-lp-panel"));
        // a tab panel only while the tabs show (a phone's column); else a box among the others
        attr(panel, "role", on ? "tabpanel" : null);
        attr(panel, "aria-labelledby", on ? idOf(b, "op1-lp-tab") : null);
      });
    }

    // The lines' part (ipywidgets 8's Accordion): its title a button the keyboard reaches and
    // opens (Enter, Space: the key handler below), saying whether it is open.
    function collapses() {
      qa(".jupyter-widget-Collapse-header").forEach(function (hd) {
        var body = hd.parentNode.querySelector(":scope > .jupyter-widget-Collapse-contents");
        attr(hd, "tabindex", "0");
        attr(hd, "role", "button");
        attr(hd, "aria-expanded", body && !body.classList.contains("lm-mod-hidden") ? "true" : "false");
        if (body) attr(hd, "aria-controls", idOf(body, "op1-lp-lines"));
      });
    }

    // A re-run disables every control while it runs (live.py's _busy), and the browser takes the
    // focus off a control disabled under it (to <body>: ← → no longer stepped, a screen reader
    // lost its place).  The control is remembered and given the focus back once it is enabled
    // again -- unless the reader has put the focus somewhere else meanwhile.
    var had = null;
    root.addEventListener("focusin", function (ev) { had = ev.target; });
    root.addEventListener("focusout", function (ev) {
      // (the focus taken elsewhere by the reader, or by nothing from a control still enabled)
      var to = ev.relatedTarget;
      if (to ? !root.contains(to) : !(ev.target && ev.target.disabled)) had = null;
    });
    function refocus() {
      if (!had) return;
      var a = document.activeElement;
      if (!had.isConnected || (a && a !== document.body && !root.contains(a))) { had = null; return; }
      if (had.disabled || a === had || (a && a !== document.body)) return;
      had.focus({preventScroll: true});
    }

    function sync() {
      controls();
      slider();
      tabs();
      collapses();
      refocus();
      var n = narration(), pl = playing();
      // (the step shown when the player is drawn, its narration perhaps drawn after this: not said)
      // (nor a re-run's first step, drawn while the status line still says it runs: its outcome
      // is said instead, below)
      var running = !!q(".op1-lp-st .op1-lp-running");
      if (!lastNarr) lastNarr = n;
      else if (n !== lastNarr) { lastNarr = n; if (!pl && !running) sayLater(); }
      if (wasPlaying && !pl) sayLater();       // paused: the step it stopped at, once
      if (pl && !wasPlaying) clearTimeout(sayT);
      wasPlaying = pl;
      // a refused value: the status line's words said (only the new words of a refusal: the
      // status line of a run made is the step's narration's to follow)
      var st = words(q(".op1-lp-st .widget-html-content"));
      if (st !== lastStatus) {
        if (lastStatus && /^Not (run|shown):/.test(st)) { clearTimeout(sayT); say(st); }
        lastStatus = st;
      }
      // a run made (or the run shown replayed from elsewhere): its outcome, said once, in place
      // of its first step's narration (live.py's op1-lp-told: "Run 2: seed 5; 1 connection
      // complete; replay shown after 0.4 s."), whether or not that step reads as before
      var told = words(q(".op1-lp-st .op1-lp-told"));
      if (told && told !== lastTold) {
        if (lastTold !== null) { clearTimeout(sayT); lastNarr = n; say(told); }
        lastTold = told;
      }
    }
    var queued = false;
    function later() {
      if (queued) return;
      queued = true;
      setTimeout(function () { queued = false; sync(); }, 0);
    }
    new MutationObserver(later).observe(root, {subtree: true, childList: true, characterData: true,
      attributes: true, attributeFilter: ["class", "style", "disabled", "aria-valuenow", "aria-valuemax", "aria-valuetext"]});
    if (window.ResizeObserver) new ResizeObserver(later).observe(root);
    sync();

    // Keys.  JupyterLab takes a key a player leaves to it (in command mode ↓ went to the next
    // cell, the focus out of the player): the player's own keys stop here.  ← → step, Home and
    // End go to the first and last step (the static player's keys); on a tab ← → Home End choose
    // the tab (WAI-ARIA's tabs); a box's own keys (a text box, a drop-down, the slider, a box that
    // scrolls) stay its own, and JupyterLab's shortcuts (Shift+Enter, Ctrl+S) stay JupyterLab's.
    var STEP = {ArrowRight: "next", ArrowLeft: "prev", Home: "first", End: "last"};
    var MOVES = {ArrowRight: 1, ArrowLeft: 1, ArrowUp: 1, ArrowDown: 1, Home: 1, End: 1, PageUp: 1, PageDown: 1};
    // Esc: out of the player, back to the notebook -- its cell selected, in command mode, as
    // Esc in a cell's editor does (JupyterLab, Notebook 7: the cell's node takes the focus).
    // From a text box too, at once (caught on its way down: a text box keeps its keys to
    // itself): the text typed is kept and run, as on leaving the box by Tab.  A drop-down's open
    // list closes first (its own Esc).  Elsewhere (no .jp-Cell) Esc is left to the front end.
    root.addEventListener("keydown", function (ev) {
      if (ev.key !== "Escape" || ev.altKey || ev.ctrlKey || ev.metaKey || ev.shiftKey) return;
      var cell = root.closest(".jp-Cell");
      if (!cell) return;
      ev.preventDefault();
      ev.stopPropagation();
      if (!cell.hasAttribute("tabindex")) cell.setAttribute("tabindex", "-1");
      cell.focus();
    }, true);
    root.addEventListener("keydown", function (ev) {
      var t = ev.target;
      if (ev.altKey || ev.ctrlKey || ev.metaKey || !t || !t.closest) return;
      // Enter, Space on the lines' part's title: open or close it (a button's keys)
      if ((ev.key === "Enter" || ev.key === " ") && t.classList.contains("jupyter-widget-Collapse-header")) {
        ev.preventDefault();
        ev.stopPropagation();                      // (Enter: not JupyterLab's edit mode)
        t.click();
        return;
      }
      if (!MOVES[ev.key]) return;
      ev.stopPropagation();                        // not JupyterLab's: the focus stays here
      if (ev.defaultPrevented) return;
      var tab = t.closest(".op1-lp-tabs button");
      if (tab) {
        var bs = Array.prototype.slice.call(tab.parentNode.querySelectorAll("button"));
        var j = bs.indexOf(tab), m = bs.length;
        var to = {ArrowRight: (j + 1) % m, ArrowLeft: (j + m - 1) % m, Home: 0, End: m - 1}[ev.key];
        if (to === undefined) return;
        ev.preventDefault();
        if (!bs[to].classList.contains("mod-active")) bs[to].click();
        bs[to].focus();
        return;
      }
      var tag = t.tagName;
      if (tag === "INPUT" || tag === "SELECT" || tag === "TEXTAREA" || t.isContentEditable) return;
      if (t.getAttribute("role") === "slider") return;
      // a box that scrolls (the views' boxes, a narration or tables strip): its keys scroll it
      if (t !== root && t.hasAttribute("tabindex") && tag !== "BUTTON" && tag !== "A") return;
      var act = STEP[ev.key];
      if (!act) { ev.preventDefault(); return; }   // ↑ ↓ on a button: nothing (was: the next cell)
      ev.preventDefault();
      var b = q(".op1-lp-act-" + act);
      if (b && !b.disabled) b.click();
    });
  }

  // The player this script belongs to: the one around it, once the widgets have put it in place
  // (they draw a box's parts one by one); a renderer with no currentScript: each player not yet set up.
  var tries = 0;
  function find() {
    var root = me && me.closest ? me.closest(".op1-live") : null;
    if (root) { setup(root, me.parentNode); return; }
    if (!me) {
      Array.prototype.forEach.call(document.querySelectorAll(".op1-live:not([data-op1-a11y])"),
                                   function (r) { setup(r, null); });
    }
    if (++tries < 300) setTimeout(find, 100);
  }
  find();
})();
