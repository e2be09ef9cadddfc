(function () {
  "use strict";
  // One definition per page; every player's own copy of this script calls it for any
  // player not set up yet, so players in separate notebook outputs all work.
  if (!window.__op1Replay) {
    window.__op1Replay = function (root) {
      if (root.getAttribute("data-op1-ready")) return;
      root.setAttribute("data-op1-ready", "1");
      // Named by its visible title, described by the line under it (its parameters: two replays
      // on a page are told apart by them) and its keys: ids made here, unique in the page.  (Named
      // by the title and the parameters, the player's name ran to 200 characters, read each time
      // the focus came into it.)
      window.__op1Seq = (window.__op1Seq || 0) + 1;
      var rid = "op1-p" + window.__op1Seq + "-", named = [], told = [];
      [["title", ".op1-title"], ["sub", ".op1-sub"], ["keys", ".op1-keyhelp"]].forEach(function (w) {
        var el = root.querySelector(":scope > " + w[1]);
        if (el) { el.id = rid + w[0]; (w[0] === "title" ? named : told).push(el.id); }
      });
      if (named.length) {
        root.setAttribute("aria-labelledby", named.join(" "));
        root.removeAttribute("aria-label");
        if (told.length) root.setAttribute("aria-describedby", told.join(" "));
      }
      var els = Array.prototype.slice.call(root.querySelectorAll(".op1-pane"));
      // A replay that cannot start says so under its title, and in data-op1-failed (the live
      // panel's status line, which waits for data-op1-live, says it too)
      var failed = function (why) {
        var nb = root.querySelector(".op1-narr-t") || root.querySelector(".op1-narr");
        if (nb) nb.textContent += " (" + why + ")";
        root.setAttribute("data-op1-failed", why);
      };
      if (!window.DecompressionStream) {
        failed("This browser cannot unpack the replay: it lacks DecompressionStream.");
        return;
      }
      var inflate = function (text) {         // base64 of zlib-deflated bytes -> a Response of them
        var b = atob(text.trim());
        var bytes = new Uint8Array(b.length);
        for (var j = 0; j < b.length; j++) bytes[j] = b.charCodeAt(j);
        return new Response(new Blob([bytes]).stream().pipeThrough(new DecompressionStream("deflate")));
      };
      // The downloads come deflated, as the frames do (Frames.downloads): each becomes a file of
      // its own type, and its link gets the file's address
      var files = function () {
        return Array.prototype.slice.call(root.querySelectorAll("a[data-op1-z]")).map(function (a) {
          return inflate(a.getAttribute("data-op1-z")).blob().then(function (blob) {
            a.href = URL.createObjectURL(new Blob([blob], {type: a.getAttribute("data-op1-type")}));
            a.removeAttribute("data-op1-z");
          });
        });
      };
      Promise.resolve().then(function () {
        return Promise.all(els.map(function (el) {
          return inflate(el.querySelector("script.op1-data").textContent).text().then(JSON.parse);
        }).concat(files()));
      }).then(function (datas) { start(root, els, datas.slice(0, els.length)); }).catch(function (e) {
        console.error("replay player: cannot unpack its frames", e);
        // (the browser's error says little: a stream that failed reads "Failed to fetch")
        failed("This replay could not be unpacked: its frames are damaged, or this browser cannot " +
               "read them. Reload the page to try again.");
      });
    };
    var WAIT = '<p class="op1-wait">drawing this step…</p>';
    var start = function (root, els, datas) {
      var panes = [];
      els.forEach(function (el, j) {
        var p = {el: el, d: datas[j], k: -1, rows: [], j: j};
        // the ladder twice: the wide one (p.body) and a phone's (p.bodyN: ladder.py ladder_parts_n),
        // one of them shown (player.css); the same rows, stepped together
        p.body = el.querySelector("svg.op1-ladder-body:not(.op1-ladder-n)");
        p.bodyN = el.querySelector("svg.op1-ladder-body.op1-ladder-n");
        p.rowsN = [];
        [[p.body, p.rows], [p.bodyN, p.rowsN]].forEach(function (b) {
          if (b[0]) b[0].querySelectorAll(".op1-row").forEach(function (g) {
            b[1][parseInt(g.getAttribute("data-k"), 10)] = g;
          });
        });
        // A narration longer than its box says so at its foot, "more ↓" (player.css shows it while
        // the box has more below: data-more).  The fade alone did
        // not tell a reader on a phone that the box scrolls, and the step's last line -- often its
        // point, "... reaches Provider 2 at 10.728 ms." -- went unread.  (The keyboard scrolls the
        // box itself too: fitBox.)
        // So do a phone's strip of what the step did to the router's tables and its packet pane,
        // which scroll too (player.css caps them): a fade alone, the strip's last change ("NEW
        // conntrack entry 1, bound to if2") and the packet's ack, flags and bytes went unread.
        // The cue sits in a band at the box's foot that shows no text (player.css), so that it
        // hides none.
        // The cue is a button, "more ↓" / "less ↑" (aria-expanded), that opens the box to its whole
        // height and folds it again: the box stays open for the steps that follow, until folded.
        // (A tap that scrolled a small box inside the scrolling page left half a phone's steps --
        // 10 of ch.4's 20 narrations, all 20 of its tables strips -- read a few lines at a time.)
        // Folded, as it opens, the box keeps its fixed height, so the step buttons do not move.
        // Open, it says "less ↑" under its text while folding would cut it (data-less, player.css).
        // Its name says which box it opens ("more of the narration"): a screen reader's list of
        // buttons read "more", "more", "more".
        var named = {".op1-narr": "the narration", ".op1-what": "the tables' changes", ".op1-pkt-box": "the packet"};
        [".op1-narr", ".op1-what", ".op1-pkt-box"].forEach(function (sel) {
          var box = el.querySelector(sel);
          if (!box || (box.nextElementSibling && box.nextElementSibling.classList.contains("op1-more"))) return;
          var more = document.createElement("span");
          more.className = "op1-more";
          window.__op1Seq = (window.__op1Seq || 0) + 1;
          if (!box.id) box.id = "op1-b" + window.__op1Seq;
          more.innerHTML = '<button type="button" class="op1-more-b" aria-expanded="false" aria-controls="' +
            box.id + '" aria-label="more of ' + named[sel] + '" data-of="' + named[sel] +
            '">more<span aria-hidden="true"> ↓</span></button>';
          more.firstChild.addEventListener("click", function () {
            var b = more.firstChild, y = b.getBoundingClientRect().top, open = !box.hasAttribute("data-open");
            box.toggleAttribute("data-open", open);
            box.scrollTop = 0;
            moreCue(box);
            if (sel === ".op1-pkt-box") fitScrolls(p); else fitBox(box, false);
            // folded: the button stays under the finger (the page follows the box's foot up)
            if (!open && b.offsetParent) window.scrollBy(0, b.getBoundingClientRect().top - y);
          });
          box.parentNode.insertBefore(more, box.nextSibling);
        });
        var lbox = el.querySelector(".op1-ladder-scroll");
        if (lbox) lbox.addEventListener("scroll", function () { stickLadder(p); }, {passive: true});
        // A network drawing wider than its box (a phone, three uplinks or more) says so at each
        // edge it can be scrolled to, an arrow over the edge (player.css; edgeCues shows it while
        // there is more that way): the fade alone did not tell a reader on a phone that the box
        // scrolls, where the drawing's edge was white (and a browser without scroll-driven
        // animations draws no fade).  Over the drawing, so it moves nothing; a tap scrolls the box
        // on.  Hidden from a screen reader: the box is named "network, scrolls", its keys scroll it.
        var tbox = el.querySelector(".op1-topo-scroll");
        if (tbox && !tbox.parentNode.querySelector(".op1-edge")) {
          p.edges = ["l", "r"].map(function (side) {
            var cue = document.createElement("span");
            cue.className = "op1-edge op1-edge-" + side;
            cue.setAttribute("aria-hidden", "true");
            cue.hidden = true;
            cue.innerHTML = "<span>" + (side === "l" ? "←" : "→") + "</span>";
            cue.firstChild.addEventListener("click", function () {
              var still = window.matchMedia && window.matchMedia("(prefers-reduced-motion: reduce)").matches;
              tbox.scrollBy({left: (side === "l" ? -2 : 2) * tbox.clientWidth / 3, behavior: still ? "auto" : "smooth"});
            });
            tbox.parentNode.appendChild(cue);
            return cue;
          });
          tbox.addEventListener("scroll", function () { edgeCues(p); }, {passive: true});
        }
        // the router tables' arrows to the step's marked rows (markCues), redrawn as the box
        // scrolls (once a frame)
        var sbox = el.querySelector(".op1-state-box");
        if (sbox) sbox.addEventListener("scroll", function () {
          if (p.markQ) return;
          p.markQ = true;
          (window.requestAnimationFrame || setTimeout)(function () { p.markQ = false; markCues(p); });
        }, {passive: true});
        // A phone's tabs (the WAI-ARIA tabs pattern): each tab controls its box, which is then a
        // tabpanel; ← → Home End move between the tabs (and never step the replay); one tab stop.
        window.__op1Seq = (window.__op1Seq || 0) + 1;
        var uid = "op1-r" + window.__op1Seq + "-";
        p.tablist = el.querySelector(".op1-tabs");
        p.tabs = Array.prototype.slice.call(el.querySelectorAll(".op1-tabs [data-tab]"));
        p.tabs.forEach(function (b) {
          var t = b.getAttribute("data-tab"), panel = el.querySelector('[data-panel="' + t + '"]');
          b.id = uid + "tab-" + t;
          if (panel) {
            panel.id = uid + "panel-" + t;
            b.setAttribute("aria-controls", panel.id);
            panel.setAttribute("data-role", panel.getAttribute("role") || "");
          }
        });
        p.select = function (b, focus) {
          var t = b.getAttribute("data-tab");
          el.setAttribute("data-tab", t);
          p.tabs.forEach(function (o) {
            o.setAttribute("aria-selected", o === b ? "true" : "false");
            o.setAttribute("tabindex", o === b ? "0" : "-1");
          });
          if (focus) b.focus();
          if (t === "ladder") showLadder(p, p.k, true);
          settle(p);
          bringIn(p, t);
        };
        p.tabs.forEach(function (b) {
          b.addEventListener("click", function () { p.select(b, false); });
          b.addEventListener("keydown", function (ev) {
            var j = p.tabs.indexOf(b), m = p.tabs.length;
            var to = {ArrowRight: (j + 1) % m, ArrowLeft: (j + m - 1) % m, Home: 0, End: m - 1}[ev.key];
            if (to === undefined) return;
            ev.preventDefault();
            ev.stopPropagation();
            p.select(p.tabs[to], true);
          });
        });
        var tog = el.querySelector("input.op1-all-toggle");
        if (tog) {
          tog.checked = false;
          tog.addEventListener("change", function () {
            el.classList.toggle("op1-all", tog.checked);
            showLadder(p, p.k, true);
            settle(p);
          });
        }
        // The router tables start as text on a phone (a screen below 30em): drawn, they were
        // 475 px wide in a 288 px box at 360 px, read by swiping sideways row by row; as text
        // they wrap in the box.  The reader can switch back to the drawing (the box is theirs
        // from then on: kept from step to step, player.css).  The players remember no choice
        // from one page to the next, nor does this.
        var txt = el.querySelector("input.op1-text-toggle");
        if (txt) {
          if (window.matchMedia && window.matchMedia("(max-width: 30em)").matches) txt.checked = true;
          // (the drawing shown again: its box from its left edge, its arrows to the marked rows)
          txt.addEventListener("change", function () { settle(p); });
        }
        // The network's two drawings (showTopo): each with the step it shows (null: the one the
        // page arrived with, step 0), its highlights (to undo them), and whether it is shown.
        // The page arrives with step 0 drawn in both.
        p.topos = Array.prototype.map.call(el.querySelectorAll("svg.op1-topo"), function (svg) {
          var t = {svg: svg, f: null, hl: [], on: !window.ResizeObserver || svg.getBoundingClientRect().width > 0};
          svg.querySelectorAll("g").forEach(function (g) {
            ["hl-link", "hl-node", "hl-from", "hl-drop", "hl-down"].forEach(function (c) {
              if (g.classList.contains(c)) t.hl.push([g, c]);
            });
          });
          return t;
        });
        panes.push(p);
      });
      var meta = JSON.parse(root.querySelector("script.op1-meta").textContent);
      var n = meta.frames, k = 0, timer = null, speed = 1, settling = false;
      var slider = root.querySelector("input.op1-slider");
      var pos = root.querySelector(".op1-pos");
      var playBtns = root.querySelectorAll("[data-act=play]");
      var ends = Array.prototype.slice.call(root.querySelectorAll(
        "button[data-act=first], button[data-act=prev], button[data-act=next], button[data-act=last]"));
      var poss = root.querySelectorAll(".op1-pos, .op1-fpos");
      var floater = root.querySelector(".op1-float");
      // the pinned counter as wide at its first step as at its last ("1 / 200", "200 / 200":
      // player.css), so that the pinned bar, centred, never moves its buttons
      root.querySelectorAll(".op1-fpos").forEach(function (el) {
        el.style.minWidth = (2 * String(n).length + 3) + "ch";
      });
      var bar = root.querySelector(".op1-bar");
      var flag = root.querySelector(".op1-flag");
      // Where the step's place is said, "Step 3 of 14. ", before its narration (player.py): in the
      // first pane whose run lasts every step (a comparison's shorter run, past its end, has its
      // narration unchanged, and would have said its last step again with each new place)
      var posAt = panes.filter(function (p) { return p.d.steps.length >= n; })[0] || panes[0];
      var posSaid = posAt && q(posAt.el, ".op1-narr-pos");

      function q(el, sel) { return el.querySelector(sel); }
      // Text written only when it changes: the same words written again are a new text node,
      // which a screen reader says again (sayAgain() does so on purpose).  Written each time, a
      // replay's first step -- drawn as the page arrived with it -- was said unasked on every
      // page load, and a live Run's new replay said its first step just before the Run's outcome.
      function put(el, text) { if (el.textContent !== text) el.textContent = text; }

      // On a narrow screen the network is wider than its box: keep what the step is about in the
      // middle -- the packet's tag and what is lit for this step (the nodes and the link), if they
      // fit between the box's faded edges; else the packet's tag on its link (a hop), or the node
      // (a packet sent, delivered or dropped there: the node whole, its tag as it falls).
      var FADE = 28;      // px: the faded edge of a box that scrolls (player.css)
      function centreTopo(p) {
        var box = q(p.el, ".op1-topo-scroll");
        if (!box || box.scrollWidth <= box.clientWidth + 1) return;
        // (the drawing this width shows: left to right, or top to bottom in a phone's column)
        var t = p.topos.filter(function (o) { return o.svg.getBoundingClientRect().width; })[0];
        var tag = t && t.svg.querySelector('[data-el="tag"]');
        var shown = tag && !tag.getAttribute("visibility") ? tag : null;
        var lit = (t ? t.hl : []).filter(function (pair) { return pair[1] !== "hl-down"; });   // down: not this step's
        var els = lit.map(function (pair) { return pair[0]; });
        if (shown) els.push(shown);
        function span(list) {
          var lo = Infinity, hi = -Infinity;
          list.forEach(function (e) {
            var r = e.getBoundingClientRect();
            if (r.width) { lo = Math.min(lo, r.left); hi = Math.max(hi, r.right); }
          });
          return [lo, hi];
        }
        var s = span(els);
        if (s[1] - s[0] > box.clientWidth - 2 * FADE) {
          var hop = lit.some(function (pair) { return pair[1] === "hl-link"; });
          var node = lit.filter(function (pair) { return pair[1] !== "hl-link"; })[0];
          s = span(hop || !node ? (shown ? [shown] : els) : [node[0]]);
        }
        if (s[0] === Infinity) return;
        var b = box.getBoundingClientRect();
        box.scrollLeft += (s[0] + s[1]) / 2 - (b.left + b.width / 2);
      }

      // The network box's arrows (see start): each shown while the box can scroll that way.
      function edgeCues(p) {
        var box = q(p.el, ".op1-topo-scroll");
        if (!box || !p.edges) return;
        var max = box.offsetParent ? box.scrollWidth - box.clientWidth : 0;
        var on = [max > 1 && box.scrollLeft > 1, max > 1 && box.scrollLeft < max - 1];
        p.edges.forEach(function (cue, j) { if (cue.hidden === on[j]) cue.hidden = !on[j]; });
      }

      // The router's tables wider than their box (a phone) are shown from their left edge, where
      // every row starts with its key (the route cache's src -> dst iif, conntrack's tuples) and
      // every table its title: what says which entry a mark is on.  A marked cell of the step (a
      // NEW, HIT, SNAT or DEL row: state.py's tints) whose words lie past the box's right edge, or
      // under its fade, is pointed at there, at the row's height, by an arrow in the row's tint
      // (markCues); a tap on it scrolls the box to the words.  The box never scrolls by itself:
      // scrolled to the marks at each step, one offset for all four stacked tables, it cut their
      // titles ("andom)") and keys (".0.1 → 200.0.0.1 iif eth0"), hid a HIT tag left of the
      // marked words, scrolled a table with no mark out of the box at 320 px, and undid a
      // reader's swipe back at every step.  A reader's own scroll is kept while the step's
      // marked rows stay the same; new marks show the tables from their left edge again.
      // Their box never scrolls up or down: the page does.
      var MARKS = ["#d5f0e6", "#d7ebf7", "#fbe0d0"];     // the marked cells' tints (state.py TINT)
      function centreState(p) {
        var box = q(p.el, ".op1-state-box");
        if (!box || !box.offsetParent || p.stateK === p.k) return;   // (once a step: the reader may scroll)
        p.stateK = p.k;
        // (a row told by its first two words: its mark and key, "NEW" "192.168.0.1 → 200.0.0.1 iif
        // eth0", "ct 1" "192.168.0.1:5000 → 200.0.0.1:80"; not by its place, which moves as rows
        // come and go, nor its use count and time, which change at each hit)
        var sig = markedRows(box).map(function (row) {
          return row.words.sort(function (a, b) { return a[0] - b[0] || a[1] - b[1]; }).slice(0, 2)
            .map(function (w) { return w[2]; }).join(" ");
        }).join("|");
        if (sig !== p.stateSig) { p.stateSig = sig; box.scrollLeft = 0; }
      }
      // The step's marked rows: each its tint and the span of its marked cells' words, in the
      // box's content (x) and the viewport (y).
      function markedRows(box) {
        var rows = [], b = box.getBoundingClientRect();
        box.querySelectorAll("svg polygon").forEach(function (c) {
          var fill = (c.getAttribute("fill") || "").toLowerCase();
          if (MARKS.indexOf(fill) < 0) return;
          var r = c.getBoundingClientRect();
          if (!r.height) return;
          var row = rows.filter(function (o) { return Math.abs(o.top - r.top) < 2 && Math.abs(o.bottom - r.bottom) < 2; })[0];
          if (!row) rows.push(row = {top: r.top, bottom: r.bottom, fill: fill, cells: [], words: [], lo: Infinity, hi: -Infinity});
          row.cells.push(r);
        });
        if (rows.length) box.querySelectorAll("svg text").forEach(function (t) {
          var r = t.getBoundingClientRect(), y = (r.top + r.bottom) / 2;
          if (!r.width) return;
          rows.forEach(function (row) {
            if (y > row.top && y < row.bottom && row.cells.some(function (c) { return r.left >= c.left - 1 && r.left < c.right; })) {
              row.lo = Math.min(row.lo, r.left - b.left + box.scrollLeft);
              row.hi = Math.max(row.hi, r.right - b.left + box.scrollLeft);
              row.words.push([Math.round(r.left), Math.round(r.top), t.textContent]);
            }
          });
        });
        rows.forEach(function (row) {        // (a marked cell with no words: the cell itself)
          if (row.lo === Infinity) row.cells.forEach(function (c) {
            row.lo = Math.min(row.lo, c.left - b.left + box.scrollLeft);
            row.hi = Math.max(row.hi, c.right - b.left + box.scrollLeft);
          });
        });
        return rows;
      }
      // The arrows (see centreState), drawn again after each step, scroll, tab and resize: at the
      // right edge for a marked row whose words end past the box's clear part (its right fade,
      // while it scrolls further), at the left for one whose words begin left of it (the reader
      // scrolled right).  Over the box's edge (absolute in its frame): they move nothing.  Hidden
      // from a screen reader, which reads the tables' text whole.
      function markCues(p) {
        var box = q(p.el, ".op1-state-box");
        if (!box) return;
        var wrap = box.parentNode, cues = p.markCues || (p.markCues = []), shown = [];
        var max = box.offsetParent ? box.scrollWidth - box.clientWidth : 0;
        if (max > 1) {
          var sl = box.scrollLeft, w = box.clientWidth;
          markedRows(box).forEach(function (row) {
            var side = row.hi > sl + w - (sl < max - 1 ? FADE : 0) + 1 && sl < max - 1 ? "r" :
                       row.lo < sl + (sl > 1 ? FADE : 0) - 1 && sl > 1 ? "l" : null;
            if (!side) return;
            // (one arrow for rows less than its height apart: a NEW row above a DEL one)
            var y = (row.top + row.bottom) / 2, to = side === "r" ? Math.min(max, Math.ceil(row.hi - w + FADE)) : Math.max(0, Math.floor(row.lo - FADE));
            var near = shown.filter(function (o) { return o.side === side && Math.abs(o.y - y) < 30; })[0];
            if (!near) { shown.push({y: y, side: side, to: to, fill: row.fill}); return; }
            near.y = (near.y + y) / 2;
            near.to = side === "r" ? Math.max(near.to, to) : Math.min(near.to, to);
          });
        }
        while (cues.length < shown.length) {
          var cue = document.createElement("span");
          cue.className = "op1-mark";
          cue.setAttribute("aria-hidden", "true");
          cue.innerHTML = "<span></span>";
          cue.firstChild.addEventListener("click", function (ev) {
            var it = ev.currentTarget.parentNode.__op1To;
            if (it == null) return;
            var still = window.matchMedia && window.matchMedia("(prefers-reduced-motion: reduce)").matches;
            box.scrollTo({left: it, behavior: still ? "auto" : "smooth"});
          });
          wrap.appendChild(cue);
          cues.push(cue);
        }
        var wr = wrap.getBoundingClientRect(), br = box.getBoundingClientRect();
        cues.forEach(function (cue, j) {
          var it = shown[j];
          cue.hidden = !it;
          if (!it) { cue.__op1To = null; return; }
          var r = it.side === "r";
          // (to the words' right end clear of the fade; to their left end, or the tables' left edge)
          cue.__op1To = it.to;
          cue.className = "op1-mark op1-mark-" + it.side;
          cue.style.top = (it.y - wr.top).toFixed(1) + "px";
          cue.style.left = r ? "" : (br.left - wr.left + 3).toFixed(1) + "px";
          cue.style.right = r ? (wr.right - br.right + 3).toFixed(1) + "px" : "";
          cue.firstChild.style.background = it.fill;
          cue.firstChild.textContent = r ? "→" : "←";
        });
      }

      // The network is drawn twice (topology.py): left to right, and top to bottom for a phone's
      // column (its tag two lines: the packet, its flow, in "tagn"); the player's width (560 px,
      // player.css) shows one.  A step redraws the one shown; the other is brought to the step
      // when it is shown (syncTopo: a phone turned, a window resized across 560 px) or printed.
      function drawTopo(t, f) {
        var svg = t.svg;
        t.f = f;
        t.hl.forEach(function (pair) { pair[0].classList.remove(pair[1]); });
        t.hl = [];
        Object.keys(f.hl).forEach(function (id) {
          var g = svg.querySelector('[data-el="' + id + '"]');
          if (g) { g.classList.add(f.hl[id]); t.hl.push([g, f.hl[id]]); }
        });
        Object.keys(f.cnt).forEach(function (id) {
          var c = svg.querySelector('[data-el="' + id + '"]');
          if (c) c.textContent = f.cnt[id];
        });
        // named by its step: where the packet is and each uplink's counters in words (topology.py _name)
        if (f.name && svg.getAttribute("aria-label") !== f.name) svg.setAttribute("aria-label", f.name);
        var tag = svg.querySelector('[data-el="tag"]'), tg = svg.classList.contains("op1-topo-n") ? f.tagn : f.tag;
        if (!tag) return;
        if (!tg) { tag.setAttribute("visibility", "hidden"); return; }
        var x = tg[0], y = tg[1], w = tg[2], lines = String(tg[3]).split("\n");
        tag.setAttribute("class", "op1-tag" + (tg[4] ? " " + tg[4] : ""));
        tag.removeAttribute("visibility");
        var line = q(tag, "line"), rect = q(tag, "rect");
        if (line) {        // (the narrow drawing's tag has no leader line: topology.py)
          line.setAttribute("x1", tg[5]); line.setAttribute("y1", tg[6]);
          line.setAttribute("x2", x); line.setAttribute("y2", y - 15);
        }
        rect.setAttribute("x", (x - w / 2).toFixed(1)); rect.setAttribute("y", y - 15);
        rect.setAttribute("width", w);
        tag.querySelectorAll("text").forEach(function (text, i) {
          text.setAttribute("x", x); text.setAttribute("y", y + 15 * i);
          text.textContent = lines[i] || "";
        });
      }
      function showTopo(p, f) {
        p.topoF = f;
        p.topos.forEach(function (t) { if (t.on) drawTopo(t, f); });
      }
      // A drawing that has become shown (or every one: ``all``) brought to the step.
      function syncTopo(p, all) {
        p.topos.forEach(function (t) {
          if ((t.on || all) && p.topoF && t.f !== p.topoF) drawTopo(t, p.topoF);
        });
      }

      // Only the rows up to the current step are drawn (unless the reader asks for the whole
      // exchange), and the box around the drawing is cut to their height, so nothing below tells
      // what comes next. The height needs the drawing's scale: set once a frame, in settle().
      // The box itself is as tall as the whole exchange would make it (up to its max-height, past
      // which it scrolls) from the first step on: grown by a row at each step, it pushed all below
      // it down by 24 px a step -- a comparison's second run, the router tables -- which a browser
      // without scroll anchoring (Safari) showed moving, 80 -> 176 px in four steps.
      // But in a phone's column (its tabs shown), under the last pane's ladder there is nothing of
      // the player's to push: there the box is as tall as the rows shown, a third of the screen at
      // the least, and grows as steps are added (held at the whole exchange's height, it opened
      // with some 285 px of blank under its first row at 360 px).
      function fitLadder(p) {
        pickLadder(p);
        // (a ladder shown in place of the other, the window turned or resized: brought to the step)
        var on = shownRows(p);
        if (p.rowsOn && p.rowsOn !== on) p.scrollRow = p.k;
        p.rowsOn = on;
        p.growLadder = p.j === els.length - 1 && !!p.tablist && getComputedStyle(p.tablist).display !== "none";
        fitClip(p, p.body);
        fitClip(p, p.bodyN);
      }
      // The phone's ladder in place of the wide one wherever the wide one does not fit its box
      // and is not drawn to fit it (player.css: a player narrower than 760 px), not only in a
      // phone's column (560 px): a laptop at 200 % zoom, 683 px wide, showed the 834 px wide
      // ladder in a 611 px box, its packets' column cut at "100.0".
      function pickLadder(p) {
        var box = q(p.el, ".op1-ladder-scroll");
        if (!p.body || !p.bodyN || !box || !box.clientWidth) return;      // (a phone's other tab)
        var over = getComputedStyle(p.body).maxWidth === "none" &&
                   parseFloat(p.body.getAttribute("width")) > box.clientWidth + 1;
        if (over !== p.el.classList.contains("op1-lad-n")) p.el.classList.toggle("op1-lad-n", over);
      }
      // The rows of the ladder shown: a phone's, or the wide one's.
      function shownRows(p) {
        return p.bodyN && p.bodyN.getBoundingClientRect().width ? p.rowsN : p.rows;
      }
      function fitClip(p, svg) {
        var clip = svg && svg.parentNode;
        if (!svg || !clip.classList.contains("op1-ladder-clip")) return;
        var w = parseFloat(svg.getAttribute("width")), bw = svg.getBoundingClientRect().width;
        if (!bw) return;
        var row = parseFloat(svg.getAttribute("data-row")), box = clip.parentNode, head = clip.previousElementSibling;
        var all = p.el.classList.contains("op1-all"), hh = head ? head.getBoundingClientRect().height : 0;
        var full = (parseFloat(svg.getAttribute("height")) * bw / w) + hh;
        // (growing, at least a third of the screen tall: the pinned step buttons show while the
        // player fills that much of it, and a reader scrolled to a ladder of one row had none)
        if (p.growLadder && !all) full = Math.min(full, Math.max((row * (Math.max(p.k, 0) + 1) + 6) * bw / w + hh,
          (document.documentElement.clientHeight || window.innerHeight) / 3));
        box.style.height = Math.ceil(full + box.offsetHeight - box.clientHeight) + "px";
        if (all) { clip.style.height = ""; return; }
        clip.style.height = ((row * (Math.max(p.k, 0) + 1) + 6) * bw / w).toFixed(1) + "px";
      }

      function showLadder(p, kk, force) {
        var box = q(p.el, ".op1-ladder-scroll");
        if (!box) return;
        var act = document.activeElement;      // (read before a row is hidden: it loses the focus)
        var lo = Math.min(kk, p.k < 0 ? 0 : p.k), hi = Math.max(kk, p.k < 0 ? p.rows.length - 1 : p.k);
        [p.rows, p.rowsN].forEach(function (rows) {
          for (var j = lo; j <= hi; j++) if (rows[j]) rows[j].classList.toggle("fut", j > kk);
        });
        box.querySelectorAll(".op1-row.cur").forEach(function (old) {
          old.classList.remove("cur"); old.setAttribute("tabindex", "-1"); old.removeAttribute("aria-current");
        });
        if (!p.rows[kk]) return;
        [p.rows[kk], p.rowsN[kk]].forEach(function (row) {
          if (!row) return;
          row.classList.add("cur");
          row.setAttribute("aria-current", "step");      // which row is the replay's, when all are shown
          row.setAttribute("tabindex", "0");
        });
        // A step back (Home, ←) from a focused row hides that row: the focus went with it, to the
        // page (→ then did nothing).  It moves to the row of the step now shown (in its ladder).
        if (act && box.contains(act) && act.classList.contains("fut") && !p.el.classList.contains("op1-all"))
          (p.rowsN.indexOf(act) >= 0 ? p.rowsN : p.rows)[kk].focus({preventScroll: true});
        if (!force && p.rowK === kk) return;
        p.rowK = kk;
        p.scrollRow = kk;           // (settle scrolls the ladder shown to its row)
      }

      // The tabs are shown on a narrow player only: there their boxes are tabpanels, elsewhere
      // plain groups (a screen reader must not announce panels of tabs it cannot see).
      function syncTabs(p) {
        if (!p.tablist) return;
        var on = getComputedStyle(p.tablist).display !== "none";
        if (on === p.tabsOn) return;
        p.tabsOn = on;
        p.tabs.forEach(function (b) {
          var panel = document.getElementById(b.getAttribute("aria-controls"));
          if (!panel) return;
          var was = panel.getAttribute("data-role");
          if (on) { panel.setAttribute("role", "tabpanel"); panel.setAttribute("aria-labelledby", b.id); }
          else {
            if (was) panel.setAttribute("role", was); else panel.removeAttribute("role");
            panel.removeAttribute("aria-labelledby");
          }
        });
      }

      // A box that scrolls is a keyboard stop (its arrow keys scroll it), a group named "..., scrolls"
      // (player.py scroll_box); one that does not is neither: TalkBack said "network, scrolls" and
      // "ladder, scrolls" of boxes that showed all they held.  Its name comes back when it scrolls
      // (a narrower window, a larger text).
      function fitScrolls(p) {
        p.el.querySelectorAll(".op1-kscroll").forEach(function (b) {
          if (!b.offsetParent) return;
          if (b.__op1Name === undefined) b.__op1Name = b.getAttribute("aria-label");
          // (a few px past the edge -- the packet pane's 395 in 391 on a laptop -- hide nothing worth
          // a keyboard stop in every player)
          var can = b.scrollWidth > b.clientWidth + 8 || b.scrollHeight > b.clientHeight + 8;
          if (can || document.activeElement === b) {
            b.setAttribute("tabindex", "0");
            if (b.__op1Name) { b.setAttribute("role", "group"); b.setAttribute("aria-label", b.__op1Name); }
          } else {
            ["tabindex", "role", "aria-label"].forEach(function (a) { b.removeAttribute(a); });
            // those few px still make it a scroller, which Chromium puts in the Tab order by
            // itself, unnamed (its name then the whole packet dump): out of it, as meant
            if (b.scrollWidth > b.clientWidth || b.scrollHeight > b.clientHeight) b.setAttribute("tabindex", "-1");
          }
        });
      }

      // What needs the layout (scrolling the ladder to its row, the network to its packet) runs
      // once per frame, after every change of the step is written: one layout, not one per read.
      // What sits above the network drawing changes height from one step to the next: the
      // narration (two to eight lines), the strip of what the step did to the router's tables (a
      // line to the strip's cap) and the drawing's caption (one line or two).  Sized to each
      // step's, they moved the drawing by up to 160 px from step to step on a phone.  Each is as
      // tall as the replay's tallest (the narration up to 12 lines and a laptop's strip up to 6: a
      // longer one, rare, grows it; a phone's strip up to its own max-height, past which it scrolls,
      // and on a short screen the narration too: player.css), measured once per width in a
      // hidden copy, so the drawing stays where it is.
      function fitTallest(el, target, texts, html, capLines) {
        var probe = el.cloneNode(true);
        // (a shorter run's "Its last step, 16: " in its narration: measured with that step's words below)
        probe.querySelectorAll(".op1-narr-end").forEach(function (e) { e.remove(); });
        ["aria-live", "aria-atomic", "id", "tabindex", "role", "aria-label", "data-more"].forEach(function (a) {
          probe.removeAttribute(a);
        });
        probe.setAttribute("aria-hidden", "true");
        probe.style.cssText = "position:absolute;visibility:hidden;left:0;top:0;min-height:0;max-height:none;" +
          "box-sizing:border-box;width:" + el.getBoundingClientRect().width + "px";
        el.parentNode.appendChild(probe);
        var t = (target && probe.querySelector(target)) || probe, most = 0, seen = {};
        texts.forEach(function (x) {
          if (x == null || seen[x]) return;
          seen[x] = true;
          if (html) t.innerHTML = x; else t.textContent = x;
          most = Math.max(most, probe.getBoundingClientRect().height);
        });
        probe.remove();
        var cs = getComputedStyle(el), size = parseFloat(cs.fontSize) || 14;
        if (el.__op1Min == null) el.__op1Min = el.style.minHeight ? 0 : parseFloat(cs.minHeight) || 0;
        var line = parseFloat(cs.lineHeight) || 1.5 * size;      // "normal": about 1.2 to 1.5 em
        var pad = (parseFloat(cs.paddingTop) || 0) + (parseFloat(cs.paddingBottom) || 0) +
                  (parseFloat(cs.borderTopWidth) || 0) + (parseFloat(cs.borderBottomWidth) || 0);
        var cap = Math.min(capLines ? capLines * line + pad : Infinity, parseFloat(cs.maxHeight) || Infinity);
        el.style.boxSizing = "border-box";
        el.style.minHeight = Math.ceil(Math.max(el.__op1Min + pad, Math.min(most, cap))) + "px";
      }

      // A phone's column (the network drawn top to bottom, under the narration): the narration
      // holds PHONE_LINES lines, or as many as the screen leaves over the whole drawing between
      // the page's sticky header (HEADER: the book's, 56 px on a phone) and the pinned step
      // buttons if that is fewer, 4 at least; a longer one scrolls in it, "more ↓" at its foot.
      // (A fixed 6 lines, tuned for 360x740 and 390x844: at 375x667 the drawing's foot was 53 to
      // 65 px under the buttons.  Holding as many lines as the screen left, up to 12, the box
      // was as tall as a replay's tallest narration at every step, 208 px at 360x740, while most
      // steps say theirs in 3 to 5 lines: over 100 px of blank between the buttons and the
      // drawing, which began 385 px or more under the buttons.)  The screen's height without the
      // browser's bars (the root's clientHeight), so that they, shown and hidden as the page
      // scrolls, move nothing.  Elsewhere player.css's cap.
      var HEADER = 56, PHONE_LINES = 5;
      function capNarr(p, nb) {
        nb.style.maxHeight = "";
        p.narrFree = false;
        var t = p.topos.filter(function (o) {
          return o.svg.classList.contains("op1-topo-n") && o.svg.getBoundingClientRect().width;
        })[0];
        if (!t) return;
        var vh = document.documentElement.clientHeight || window.innerHeight, foot = vh;
        if (floater) {
          var was = floater.hidden;                  // (its height where it shows: player.css)
          if (was) { floater.style.visibility = "hidden"; floater.hidden = false; }
          foot = Math.min(vh, floater.getBoundingClientRect().top + (floater.__op1Lift || 0));   // (not lifted: dock)
          if (was) { floater.hidden = true; floater.style.visibility = ""; }
        }
        var cs = getComputedStyle(nb), line = parseFloat(cs.lineHeight) || 1.4 * (parseFloat(cs.fontSize) || 14);
        var pad = (parseFloat(cs.paddingTop) || 0) + (parseFloat(cs.paddingBottom) || 0) +
                  (parseFloat(cs.borderTopWidth) || 0) + (parseFloat(cs.borderBottomWidth) || 0);
        var below = t.svg.getBoundingClientRect().bottom - nb.getBoundingClientRect().bottom;
        var room = Math.floor(foot - 4 - HEADER - below);      // (4 px: air above the buttons)
        // Not even 4 lines fit over the drawing (a larger text: 200 % on a 360x740 phone; the
        // browser's zoom): the narration is not capped, it is as tall as each step's words and the
        // drawing moves down under it.  Capped at 4 lines there, a box of 169 px showed a
        // narration of 404 px, three taps on "more" and more a step, its cue over the last line.
        p.narrFree = room < 4 * line + pad;
        nb.style.maxHeight = p.narrFree ? "none" : Math.min(PHONE_LINES * line + pad, room) + "px";
      }

      function fitNarr(p) {
        var nb = q(p.el, ".op1-narr");
        // (measured again at a new width, or a new height: a window made shorter or taller)
        if (!nb || !nb.offsetParent) return;
        // (and a new text size: its lines' height)
        var key = p.el.clientWidth + " " + (document.documentElement.clientHeight || window.innerHeight) + " " +
                  getComputedStyle(nb).fontSize;
        if (p.narrW === key) return;
        p.narrW = key;
        // (the heights held measured folded: an open box, "more ↓" tapped, is as tall as its text)
        var opened = Array.prototype.filter.call(p.el.querySelectorAll(".op1-narr[data-open], .op1-what[data-open]"),
          function (b) { b.removeAttribute("data-open"); return true; });
        try { fitNarrFolded(p, nb); } finally { opened.forEach(function (b) { b.setAttribute("data-open", ""); fitBox(b, false); }); }
      }
      function fitNarrFolded(p, nb) {
        // a comparison's flag as tall as its tallest words from the first step (the endpoints
        // that differ, player.py _other_ports, two or three lines on a phone): sized to each
        // step's, it moved all under the bar by 36 px at 360 px
        // (and each run's step where they differ, player.py _differ_words)
        if (flag && p.j === 0 && (meta.portw || meta.diffw))
          fitTallest(flag, null, (meta.portw || []).concat(meta.diffw || [],
            ["≠ the runs differ at this step", "= same step in both runs"]), false, 0);
        // the strip: a phone's scrolls past its max-height (player.css), a laptop's grows whole past 6 lines
        // Held at the replay's tallest, wherever it stands: above the network drawing (a laptop's)
        // it would move the drawing; under it (a phone's) the tabs and the ladder or tables the
        // reader steps through with the pinned buttons (a step's own height moved them 89 px)
        var chg = q(p.el, ".op1-what");
        if (chg && p.d.chgs) fitTallest(chg, null, p.d.chgs, true, getComputedStyle(chg).maxHeight === "none" ? 6 : 0);
        var cap = q(p.el, ".op1-topo-box .op1-boxh");
        if (cap && q(cap, ".op1-where")) fitTallest(cap, ".op1-where", p.d.steps.map(function (s) { return s.w; }), false, 0);
        // the note past a shorter run's end: its room kept from the first step (it came at the
        // step after the run's last, above the narration, and moved the pane down 36 px)
        var end = q(p.el, ".op1-endnote"), m = p.d.steps.length;
        if (end && m < n) fitTallest(end, null, [noStep(p, n - 1)], false, 0);
        capNarr(p, nb);            // (after those: what lies between it and the drawing's foot)
        // (as HTML: a shorter run's last words measured after its "Its last step, 16: ", in bold)
        var esc = function (x) { return x.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;"); };
        var said = p.d.steps.map(function (s) { return esc(s.n); }), last = q(nb, ".op1-narr-end");
        if (last && m < n) said.push("<b>" + esc(last.textContent) + "</b>" + said[m - 1]);
        // (not capped: each step's own height, not held at the tallest -- 12 lines of blank under
        // a short step's words at 200 %)
        if (p.narrFree) nb.style.minHeight = "";
        else fitTallest(nb, ".op1-narr-t", said, true, 12);
        fitBox(nb, false);
      }

      // A tab chosen while the pinned bar shows: what it shows -- its view's box, the ladder, the
      // tables, the packet -- is scrolled up from under the bar, whole, or as much of it as fits
      // with the tabs kept on screen under the page's header (at 375x667 the tabs sat just above
      // the bar and the ladder's head, chosen, under it; scrolled up by its first 120 px, the
      // tables' title and legend came above the bar and the tables stayed under it).  A box
      // already above the bar, or showing as much as it can, moves nothing.
      function bringIn(p, t) {
        var panel = q(p.el, '[data-panel="' + t + '"]');
        if (!floater || floater.hidden || !panel || !p.tablist) return;
        var box = q(panel, ".op1-kscroll") || panel;
        var ported = typeof port !== "undefined" && port, top0 = ported ? view().top : HEADER;
        var want = box.getBoundingClientRect().bottom - (floater.getBoundingClientRect().top - 8);
        var dy = Math.min(want, p.tablist.getBoundingClientRect().top - top0);
        if (dy > 0) (ported ? scroller : window).scrollBy(0, dy);
      }

      function settle(p) {
        fitNarr(p);
        fitLadder(p);
        centreTopo(p);
        edgeCues(p);
        centreState(p);
        markCues(p);
        syncTabs(p);
        fitScrolls(p);
        fitPkt(p);
        var rows = shownRows(p), row = p.scrollRow == null ? null : rows[p.scrollRow];
        var box = q(p.el, ".op1-ladder-scroll");
        p.scrollRow = null;
        if (!row || !box || !box.offsetParent) { stickLadder(p); return; }
        var rb = row.getBoundingClientRect(), bb = box.getBoundingClientRect();
        if (rb.top < bb.top || rb.bottom > bb.bottom) {
          box.scrollTop += rb.top - bb.top - box.clientHeight / 3;
        }
        // a ladder wider than its box (a phone): bring the step's arrow or mark into view, right
        // of the first column (which stays at the box's left edge: stickLadder)
        var mark = row.querySelector("line, circle, text.drop");
        if (mark && rows === p.rows && box.scrollWidth > box.clientWidth + 1) {
          var mr = mark.getBoundingClientRect(), col = parseFloat(p.body.getAttribute("data-left")) * ladderScale(p);
          if (mr.left < bb.left + col || mr.right > bb.right)
            box.scrollLeft += (mr.left + mr.width / 2) - (bb.left + col + bb.right) / 2;
        }
        // the phone's ladder wider than its box (a larger text, the browser's zoom): the step's
        // arrow or mark brought in from past an edge, by as little as it takes (the reader's own
        // swipe kept while it is in view)
        if (mark && rows === p.rowsN && box.scrollWidth > box.clientWidth + 1) {
          var nr = mark.getBoundingClientRect();
          if (nr.right > bb.right - 4) box.scrollLeft += Math.min(nr.right - bb.right + FADE, nr.left - bb.left);
          else if (nr.left < bb.left + 4) box.scrollLeft += nr.left - bb.left - FADE;
        }
        stickLadder(p);
      }

      // A ladder scrolled sideways keeps its first column ("event · ms", data-left user units
      // wide) at the box's left edge, as a table's sticky first column (ladder.py's .evc): the
      // header's title and a copy of the rows' first column, drawn last over the arrows, move
      // right by the scroll, in the drawing's units (--op1-sl).  The copy follows the rows shown.
      var SVGNS = "http://www.w3.org/2000/svg";
      function evCol(p) {
        if (p.evcol !== undefined) return p.evcol;
        p.evcol = null;
        var left = parseFloat(p.body.getAttribute("data-left")), row = parseFloat(p.body.getAttribute("data-row"));
        if (!left) return null;
        var col = document.createElementNS(SVGNS, "g");
        col.setAttribute("class", "evcol evc");
        col.setAttribute("aria-hidden", "true");
        p.rows.forEach(function (r, k) {
          var g = document.createElementNS(SVGNS, "g"), band = q(r, ".band");
          var bg = document.createElementNS(SVGNS, "rect");
          bg.setAttribute("class", "evbg");
          bg.setAttribute("x", 0); bg.setAttribute("y", band ? band.getAttribute("y") : k * row);
          bg.setAttribute("width", left - 2); bg.setAttribute("height", row);
          g.appendChild(bg);
          r.querySelectorAll(".curm, .divm, text.mono").forEach(function (t, j) {
            if (j < 3) g.appendChild(t.cloneNode(true));
          });
          g.copyOf = r;
          col.appendChild(g);
        });
        p.body.appendChild(col);
        p.evcol = col;
        return col;
      }
      function ladderScale(p) {
        var bw = p.body ? p.body.getBoundingClientRect().width : 0;
        return bw ? bw / parseFloat(p.body.getAttribute("width")) : 1;
      }
      // The lane titles beside that column: its backing cut the titles next to it ("inux router",
      // "ovider 1" at 375 px) and, as far right as it goes, "packet as seen on the wire".  A title
      // the backing would cut begins at its edge instead, while its lane is right of it; one with
      // no room there before the next title is cut short with "…" (its lane's full name is in the
      // header's name, and whole a swipe further on); a lane under the column has its title hidden
      // with it.  Widths measured once, in the drawing's units, when the ladder is first shown.
      var ELL = "…";
      function laneHeads(p, head) {
        if (p.heads) return p.heads;
        var lanes = {}, xs = [], wire = null;
        head.querySelectorAll("text").forEach(function (t) {
          if (t.closest(".evc")) return;
          var w = t.getComputedTextLength(), full = t.textContent, pre = [0];
          for (var i = 1; i <= full.length; i++) pre.push(t.getSubStringLength(0, i));
          var line = {t: t, full: full, w: w, pre: pre};
          if (!t.classList.contains("head")) { wire = {x: parseFloat(t.getAttribute("x")), lines: [line], w: w}; return; }
          var x = parseFloat(t.getAttribute("x"));
          if (!lanes[x]) { lanes[x] = {x: x, lines: [], w: 0}; xs.push(x); }
          lanes[x].lines.push(line);
          lanes[x].w = Math.max(lanes[x].w, w);
        });
        var any = xs.length && lanes[xs[0]].lines[0];
        if (!any || !any.w) return null;               // (not laid out: the ladder not shown)
        var was = any.t.textContent;
        any.t.textContent = ELL;
        var ell = any.t.getComputedTextLength();
        any.t.textContent = was;
        xs.sort(function (a, b) { return a - b; });
        p.heads = {lanes: xs.map(function (x) { return lanes[x]; }), wire: wire, ell: ell};
        return p.heads;
      }
      function placeHead(item, dx, avail, ell) {
        var hide = avail < 2 * ell;
        item.lines.forEach(function (l) {
          var text = l.full;
          if (!hide && l.w > avail) {
            var n = l.full.length;
            while (n > 0 && l.pre[n] + ell > avail) n--;
            text = l.full.slice(0, n).replace(/\s+$/, "") + ELL;
          }
          if (l.t.textContent !== text) l.t.textContent = text;
          if (dx) l.t.setAttribute("transform", "translate(" + dx.toFixed(1) + " 0)");
          else l.t.removeAttribute("transform");
          if (hide) l.t.setAttribute("visibility", "hidden"); else l.t.removeAttribute("visibility");
        });
      }
      function fitHeads(p, sl) {
        var head = q(p.el, ".op1-ladder-scroll > svg.op1-ladder:not(.op1-ladder-body)");
        if (!head || (sl <= 0 && !p.headsMoved)) return;
        var hs = laneHeads(p, head);
        if (!hs) return;
        p.headsMoved = sl > 0;
        var edge = sl + parseFloat(p.body.getAttribute("data-left")) - 2 + 3;   // the backing's right edge, and air
        hs.lanes.forEach(function (lane, i) {
          var left = lane.x - lane.w / 2, next = hs.lanes[i + 1];
          if (sl <= 0 || left >= edge) { placeHead(lane, 0, Infinity, hs.ell); return; }
          if (lane.x <= edge) { placeHead(lane, 0, 0, hs.ell); return; }   // under the column
          // (up to the next title, or the last lane's up to "packet as seen on the wire")
          var room = (next ? next.x - next.w / 2 : hs.wire ? hs.wire.x : Infinity) - 6 - edge, w = Math.min(lane.w, room);
          placeHead(lane, edge + w / 2 - lane.x, room, hs.ell);
        });
        if (hs.wire) placeHead(hs.wire, sl > 0 ? Math.max(0, edge - hs.wire.x) : 0, Infinity, hs.ell);
      }

      // The rows' words beside that column: an arrow's name ("ACK", "data") and the words by a
      // mark (a drop's reason, an app's milestone) that the backing would cut begin at its edge,
      // while there is room for them there -- on the part of their arrow still in view, or before
      // the packets' column -- else are hidden, with their arrow or mark under the column.
      // (Swiped sideways on a phone, the backing cut "ACK" to "CK" and "data" to "ta".)  Each
      // word's width measured the first time its row is shown, in the drawing's units.
      function rowWords(p) {
        if (p.words) return p.words;
        var left = parseFloat(p.body.getAttribute("data-left")), words = [];
        p.rows.forEach(function (r) {
          if (!r) return;
          var line = q(r, "line"), wire = Infinity;
          r.querySelectorAll("text.mono").forEach(function (t) {
            var x = parseFloat(t.getAttribute("x"));
            if (x > left) wire = Math.min(wire, x - 6);
          });
          r.querySelectorAll("text").forEach(function (t) {
            var x = parseFloat(t.getAttribute("x")), a = t.getAttribute("text-anchor") || "start";
            // (not the first column's words, nor a mark itself: the ✖ on its node's lane)
            if (!(x > left) || t.classList.contains("mono") || t.textContent === "✖") return;
            var lim = a === "end" ? x : a === "middle" && line ?
              Math.max(parseFloat(line.getAttribute("x1")), parseFloat(line.getAttribute("x2"))) + 8 : wire;
            words.push({t: t, r: r, x: x, a: a, lim: lim, w: {}, dx: 0, hid: false});
          });
        });
        p.words = words;
        return words;
      }
      function fitWords(p, sl) {
        if (sl <= 0 && !p.wordsMoved) return;
        p.wordsMoved = sl > 0;
        var edge = sl + parseFloat(p.body.getAttribute("data-left")) - 2 + 3;   // as the titles' (fitHeads)
        var all = p.el.classList.contains("op1-all");
        rowWords(p).forEach(function (o) {
          var dx = 0, hid = false;
          if (sl > 0 && (all || !o.r.classList.contains("fut"))) {
            var b = o.r.classList.contains("cur") ? "b" : "n";      // (the current row's words are bold)
            if (!o.w[b]) o.w[b] = o.t.getComputedTextLength();
            var w = o.w[b], x0 = o.a === "middle" ? o.x - w / 2 : o.a === "end" ? o.x - w : o.x;
            if (w && x0 < edge) {
              if (edge + w <= o.lim) dx = edge - x0; else hid = true;
            }
          }
          if (dx !== o.dx) {
            o.dx = dx;
            if (dx) o.t.setAttribute("transform", "translate(" + dx.toFixed(1) + " 0)");
            else o.t.removeAttribute("transform");
          }
          if (hid !== o.hid) {
            o.hid = hid;
            if (hid) o.t.setAttribute("visibility", "hidden"); else o.t.removeAttribute("visibility");
          }
        });
      }

      function stickLadder(p) {
        var box = q(p.el, ".op1-ladder-scroll");
        if (!box || !p.body) return;
        // (the phone's ladder, shown in its place, has no such column: its box scrolls as any other)
        var wide = shownRows(p) === p.rows;
        var scale = ladderScale(p), sl = wide ? box.scrollLeft / scale : 0;
        // the box's left fade begins right of the column (player.css): over it, it dimmed the
        // column's first letters ("e" of "event")
        var lc = wide ? ((parseFloat(p.body.getAttribute("data-left")) - 2) * scale).toFixed(1) + "px" : "0px";
        if (box.style.getPropertyValue("--op1-lc") !== lc) box.style.setProperty("--op1-lc", lc);
        box.querySelectorAll("svg.op1-ladder").forEach(function (s) {
          s.style.setProperty("--op1-sl", sl.toFixed(1) + "px");
          s.classList.toggle("op1-sl", sl > 0);
        });
        fitHeads(p, sl);
        fitWords(p, sl);
        if (sl <= 0) return;
        // the copy's rows follow the step and "show all" only: synced once per change of those,
        // not on every scroll event
        var col = evCol(p), all = p.el.classList.contains("op1-all"), key = p.k + (all ? "a" : "");
        if (!col || p.evcolKey === key) return;
        p.evcolKey = key;
        Array.prototype.forEach.call(col.children, function (g) {
          var r = g.copyOf;
          g.style.display = r.classList.contains("fut") && !all ? "none" : "";
          g.setAttribute("class", r.classList.contains("cur") ? "cur" : "");
          if (r.classList.contains("div")) g.classList.add("div");
        });
      }

      // The strip of what a step did to the router's tables: on a phone a box of a few lines
      // (player.css), so that the network drawing under it stays where it was from one step to the
      // next (a list of the packets routed before the replay begins made it 464 px tall at 320 px,
      // the next step's 44).  When its text is longer it scrolls, is faded at its foot until read
      // to its end (data-more), and takes the keyboard's focus so that its arrow keys scroll it.
      // A short screen's narration, capped at 6 lines (player.css), does the same.
      var BOX_NAMES = {"op1-what": "router tables, this step, scrolls", "op1-narr": "narration, scrolls"};
      function fitBox(chg, top) {
        if (top) chg.scrollTop = 0;
        var over = chg.scrollHeight > chg.clientHeight + 1;
        if (over && !chg.hasAttribute("tabindex")) {
          chg.setAttribute("tabindex", "0");
          chg.setAttribute("role", "group");
          var pane = chg.closest(".op1-pane"), who = pane && q(pane, ".op1-panelab");
          chg.setAttribute("aria-label", (who ? who.textContent + ": " : "") +
            BOX_NAMES[chg.classList.contains("op1-narr") ? "op1-narr" : "op1-what"]);
        } else if (!over && chg.hasAttribute("tabindex") && document.activeElement !== chg) {
          // (kept while it has the keyboard's focus: → on it steps the replay, to a step that fits)
          ["tabindex", "role", "aria-label"].forEach(function (a) { chg.removeAttribute(a); });
        }
        moreCue(chg);
        if (!chg.__op1Fit) {
          chg.__op1Fit = true;
          chg.addEventListener("scroll", function () { fitBox(chg, false); }, {passive: true});
          window.addEventListener("resize", function () { fitBox(chg, false); });
        }
      }
      // "more ↓" under a box (see start) while it has more below: data-more (player.css), only
      // for half a line or more below its foot (a narration 2 px taller than its box, its bottom
      // padding, showed "more ↓" and the fade with every word in view).  A box not shown has none.
      // An open box (data-open, its button) says "less ↑" while it would be cut folded: data-less.
      function moreCue(box) {
        var half = (parseFloat(getComputedStyle(box).lineHeight) || 20) / 2, shown = !!box.offsetParent;
        var open = box.hasAttribute("data-open"), cut;
        if (open) {              // (cut when folded: measured folded, at once, nothing drawn between)
          box.removeAttribute("data-open");
          box.removeAttribute("data-less");
          cut = shown && box.scrollHeight > box.clientHeight + half;
          box.setAttribute("data-open", "");
        } else cut = shown && box.scrollTop + box.clientHeight < box.scrollHeight - half;
        if ((!open && cut) !== box.hasAttribute("data-more")) box.toggleAttribute("data-more", !open && cut);
        if ((open && cut) !== box.hasAttribute("data-less")) box.toggleAttribute("data-less", open && cut);
        var b = box.nextElementSibling && box.nextElementSibling.firstChild;
        if (b && b.classList && b.classList.contains("op1-more-b") && b.getAttribute("aria-expanded") !== String(open)) {
          b.setAttribute("aria-expanded", String(open));
          b.firstChild.textContent = open ? "less" : "more";
          b.setAttribute("aria-label", (open ? "less of " : "more of ") + b.getAttribute("data-of"));
          b.lastChild.textContent = open ? " ↑" : " ↓";
        }
      }
      // the packet pane (a phone's scrolls: player.css), each time it is written or shown
      function fitPkt(p) {
        var box = q(p.el, ".op1-pkt-box");
        if (!box) return;
        moreCue(box);
        if (!box.__op1Fit) {
          box.__op1Fit = true;
          box.addEventListener("scroll", function () { moreCue(box); }, {passive: true});
          window.addEventListener("resize", function () { moreCue(box); });
        }
      }

      // A comparison's shorter replay past its last step: the run ended there, or only the replay
      // (cut at its max_steps, or stopped before the run's end: meta.ends, Frames.to_end).
      function noStep(p, i) {
        var who = q(p.el, ".op1-panelab"), m = p.d.steps.length, pre = who ? who.textContent + ": t" : "T";
        return meta.ends && !meta.ends[p.j] ?
          pre + "his replay has no step " + (i + 1) + ": it ends after " + m + " steps; the run goes on." :
          pre + "his run has no step " + (i + 1) + ": it ended after " + m + " steps.";
      }

      function showPane(p, i) {
        var d = p.d, m = d.steps.length;
        var kk = Math.min(i, m - 1);
        p.el.classList.toggle("op1-ended", i >= m);
        var end = q(p.el, ".op1-endnote");
        if (end) {
          put(end, i >= m ? noStep(p, i) :
            // a replay cut at max_steps, at its last step: the run goes on (Frames.cut)
            meta.more && i === m - 1 ? "Not the end of the run. " + meta.more : "");
          // the note above the views says the same words: hidden while the last step says them
          // (the two, one plain, one bold, stood one above the other)
          var note = q(root, ".op1-note");
          if (note) note.hidden = !!meta.more && i === m - 1;
        }
        if (kk === p.k) return;
        var s = d.steps[kk], prev = p.k >= 0 ? d.steps[p.k] : null;
        put(q(p.el, ".op1-narr-t") || q(p.el, ".op1-narr"), s.n);
        var nb = q(p.el, ".op1-narr");
        if (nb) fitBox(nb, true);
        showTopo(p, s.topo);
        var chg = q(p.el, ".op1-what");
        if (chg && d.chgs && (!prev || prev.cg !== s.cg)) { chg.innerHTML = d.chgs[s.cg]; fitBox(chg, true); }
        if (!prev || prev.st !== s.st) q(p.el, ".op1-state-box").innerHTML = d.states[s.st] != null ? d.states[s.st] : WAIT;
        if (!prev || prev.pk !== s.pk) {
          // a new packet from its top, as the narration and the strip (fitBox): the last one's
          // scroll opened ch.1's step 13 at its end, with no cue above
          var pb = q(p.el, ".op1-pkt-box");
          pb.innerHTML = d.pkts[s.pk] != null ? d.pkts[s.pk] : WAIT;
          pb.scrollTop = 0;
        }
        // a live replay in a book page arrives with its first step drawn: ask for this one
        if (d.states[s.st] == null || d.pkts[s.pk] == null) {
          root.dispatchEvent(new CustomEvent("op1-need", {detail: kk, bubbles: true}));
        }
        var where = q(p.el, ".op1-where");
        if (where) put(where, s.w);
        var tt = q(p.el, ".op1-state-t");        // the moment the tables show: this step's
        if (tt && s.tt) put(tt, ", at " + s.tt);
        showLadder(p, kk);
        p.k = kk;
      }

      function show(i) {
        k = Math.max(0, Math.min(n - 1, i));
        panes.forEach(function (p) { showPane(p, k); });
        if (!settling) {
          settling = true;
          (window.requestAnimationFrame || setTimeout)(function () {
            settling = false;
            panes.forEach(settle);
          });
        }
        // (not from the slider: its own value, "step 4 of 29", is said as it moves -- twice, else)
        if (posSaid) put(posSaid, document.activeElement === slider ? "" : "Step " + (k + 1) + " of " + n + ". ");
        slider.value = k;
        var s = panes[0].d.steps[Math.min(k, panes[0].d.steps.length - 1)];
        var where = "step " + (k + 1) + " / " + n;
        slider.setAttribute("aria-valuetext", "step " + (k + 1) + " of " + n);   // not the 0-based value
        poss.forEach(function (el, j) {
          // the pinned bar says "101 / 200": its buttons, Play's word too, keep their room on a phone
          if (el.classList.contains("op1-fpos")) { el.textContent = (k + 1) + " / " + n; return; }
          el.textContent = where + (j === 0 && panes.length === 1 ? " · event " + s.i + " · t = " + s.t : "");
        });
        root.setAttribute("data-step", k);
        if (flag) {
          var dv = meta.diverge && meta.diverge[k], pd = meta.ports && meta.ports[k];
          put(flag, dv ? (meta.diffw && meta.diffw[k]) || "≠ the runs differ at this step" :
            (pd ? (meta.portw && meta.portw[k]) || "≈ same path, other ports" : (meta.diverge ? "= same step in both runs" : "")));
          flag.classList.toggle("on", !!dv);
        }
        if (k >= n - 1) stop();
        // at the first or last step, the buttons that would go past it say they can't
        ends.forEach(function (b) {
          var act = b.getAttribute("data-act");
          var off = (act === "next" || act === "last") ? k >= n - 1 : k <= 0;
          if (off) b.setAttribute("aria-disabled", "true"); else b.removeAttribute("aria-disabled");
        });
      }

      // While the replay plays (a step every 225-900 ms) its live regions are quiet: a screen
      // reader would queue every step's narration; the step it stops at is said once (stop()).
      var lives = Array.prototype.slice.call(root.querySelectorAll("[aria-live=polite]"));
      function playLook(on) {
        lives.forEach(function (el) { el.setAttribute("aria-live", on ? "off" : "polite"); });
        playBtns.forEach(function (b) {
          b.firstChild.textContent = on ? "❚❚" : "▶";
          var w = b.querySelector(".op1-pw");
          if (w) w.textContent = on ? " Pause" : " Play";
          // its name says what it does next, as its word does; no aria-pressed with it (a name
          // that changes on a toggle reads "pause, pressed": WAI-ARIA's button pattern)
          b.setAttribute("aria-label", on ? "pause" : "play");
          b.classList.toggle("op1-on", on);              // drawn as pressed while it plays
        });
      }

      // ``ending``: Play reached the last step, whose narration is written next, once, while
      // heard (written while quiet and again here, a screen reader would say it twice)
      function stop(ending) {
        // not playing: the regions stay as a step by hand left them -- hushed, while it is said
        // once HUSH ms later (made live again here, the last step's words were said twice)
        // (nor while the first step is shown, quiet: a replay of one step, or opened at its last)
        if (!timer) { if (!hushT && !opening) playLook(false); return; }
        clearInterval(timer);
        timer = null;
        playLook(false);
        if (ending) return;
        sayAgain();
      }

      // the narration written again (the same words, a new text node), now that it is heard,
      // unless a step has changed it meanwhile; never emptied, so nothing flickers
      // (and a comparison's "≠ the runs differ" flag and a run's end note, written while quiet too)
      function sayAgain() {
        var said = panes.map(function (p) { return q(p.el, ".op1-narr-t") || q(p.el, ".op1-narr"); });
        lives.forEach(function (el) {
          if (!el.classList.contains("op1-narr") && el.textContent && !el.children.length) said.push(el);
        });
        said.forEach(function (t) {
          var words = t.textContent;
          setTimeout(function () { if (t.textContent === words) t.replaceChildren(document.createTextNode(words)); }, 100);
        });
      }

      // Steps by hand (a button, a key, the slider, a ladder row) are shown at once and said
      // once the reader stops: the regions are quiet while steps come less than HUSH ms apart
      // (ten presses of → in half a second queued ten narrations in a screen reader), then the
      // step reached is said, as when Play stops.
      var HUSH = 400, hushT = null, opening = false;
      function hush() {
        lives.forEach(function (el) { el.setAttribute("aria-live", "off"); });
        clearTimeout(hushT);
        hushT = setTimeout(function () {
          hushT = null;
          if (timer) return;                  // Play, pressed meanwhile, keeps them quiet
          lives.forEach(function (el) { el.setAttribute("aria-live", "polite"); });
          sayAgain();
        }, HUSH);
      }
      // a step by hand: Play stopped, the regions hushed, the step shown
      // -- not a press that cannot move (→ at the last step, Home at the first): it said the
      // narration again each time
      function goTo(i) {
        if (Math.max(0, Math.min(n - 1, i)) === k && !timer) return;
        stop(); hush(); show(i);
      }

      function play() {
        if (timer) { stop(); return; }
        if (k >= n - 1) show(0);
        playLook(true);
        timer = setInterval(function () {
          if (k + 1 >= n - 1) stop(true);          // the last step: live again before it is written
          show(k + 1);
        }, 900 / speed);
      }

      var acts = {
        first: function () { goTo(0); },
        prev: function () { goTo(k - 1); },
        next: function () { goTo(k + 1); },
        last: function () { goTo(n - 1); },
        play: play
      };
      root.querySelectorAll("button[data-act]").forEach(function (b) {
        b.addEventListener("click", function () { acts[b.getAttribute("data-act")](); });
      });
      slider.addEventListener("input", function () { goTo(parseInt(slider.value, 10)); });
      var sp = root.querySelector("select.op1-speed");
      sp.addEventListener("change", function () {
        speed = parseFloat(sp.value);
        if (timer) { stop(); play(); }
      });
      // A ladder row is a button: a click, or Enter or Space on it, goes to its step;
      // ↑ and ↓ move between the rows shown.
      function rowOf(t) { return t && t.closest ? t.closest(".op1-ladder-body .op1-row") : null; }
      root.addEventListener("click", function (ev) {
        var g = rowOf(ev.target);
        if (!g) return;
        goTo(parseInt(g.getAttribute("data-k"), 10));
      });
      root.addEventListener("keydown", function (ev) {
        var g = rowOf(ev.target);
        if (g && (ev.key === "Enter" || ev.key === " ")) {
          ev.preventDefault();
          goTo(parseInt(g.getAttribute("data-k"), 10));
          g.focus();
          return;
        }
        if (g && (ev.key === "ArrowUp" || ev.key === "ArrowDown")) {
          ev.preventDefault();
          var sib = g;
          do { sib = ev.key === "ArrowUp" ? sib.previousElementSibling : sib.nextElementSibling; }
          while (sib && !(sib.classList.contains("op1-row") && getComputedStyle(sib).display !== "none"));
          if (sib) { sib.setAttribute("tabindex", "0"); g.setAttribute("tabindex", g.classList.contains("cur") ? "0" : "-1"); sib.focus(); }
          return;
        }
        var t = ev.target, tag = t && t.tagName;
        if (tag === "SELECT" || tag === "A") return;
        if (t.classList && t.classList.contains("op1-kscroll")) return;   // a box that scrolls: its keys scroll it
        // a narration or tables strip too long for its box (fitBox) scrolls up and down: Home,
        // End and Space are its own (they jumped the replay to its first or last step); ← → step
        if (t.classList && (t.classList.contains("op1-narr") || t.classList.contains("op1-what")) &&
            t.hasAttribute("tabindex") && ev.key !== "ArrowLeft" && ev.key !== "ArrowRight") return;
        if (tag === "INPUT" && (t.type !== "range" || ev.key !== " ")) return;   // the slider moves by itself; a checkbox takes its Space
        if (tag === "BUTTON" && (ev.key === " " || ev.key === "Enter")) return;
        var a = {ArrowRight: "next", ArrowLeft: "prev", Home: "first", End: "last", " ": "play"}[ev.key];
        if (!a) return;
        ev.preventDefault();
        acts[a]();
      });
      window.addEventListener("resize", function () { panes.forEach(fitNarr); });     // a phone turned
      // The pinned bar: while the player fills a good part of the screen (a third of it; not
      // while only its last lines show above the text that follows it) and its own buttons
      // can't be pressed -- scrolled away, or under the page's sticky header.  Measured on every
      // scroll (one check a frame), not from intersection events: those fire only when an edge
      // is crossed, and miss a bar that jumps past the window (an anchor, a restored scroll).
      if (floater && bar) {
        var first = q(bar, "button") || bar;
        var BAR_ROOM = 72;          // px above the foot of the view the bar and its gap take
        var fixedOff = false;       // the bar is fixed to nothing that stays put (see check): never shown
        // The box a "fixed" bar is fixed to when it is not the window: an ancestor that makes
        // itself the containing block of its fixed descendants (CSS Positioned Layout 3: a
        // transform, perspective, filter, contain: layout/paint, ...; not container-type, which
        // the players' own boxes have), or null.
        // (Not JupyterLab's cell: it contains its content while off screen, and at times on screen
        // too (contain: content, with content-visibility: auto), and player.css lifts that while
        // the cell's player shows the bar: contained there, the bar went with the cell's text
        // and was cut to its box.)
        var holder = function (el) {
          for (var a = el.parentElement; a && a !== document.documentElement; a = a.parentElement) {
            if (a.classList.contains("jp-Cell")) continue;
            var c = getComputedStyle(a);
            if ((c.transform && c.transform !== "none") || (c.perspective && c.perspective !== "none") ||
                (c.filter && c.filter !== "none") || (c.backdropFilter && c.backdropFilter !== "none") ||
                /layout|paint|strict|content/.test(c.contain || "") ||
                /transform|perspective|filter/.test(c.willChange || "")) return a;
          }
          return null;
        };
        var scrolls = function (a) {
          return /auto|scroll/.test(getComputedStyle(a).overflowY) && a.scrollHeight > a.clientHeight + 1;
        };
        // JupyterLab: the notebook (contain: strict) holds the box that scrolls its cells, so a
        // bar fixed to the notebook stays at the foot of what the reader sees of it, as it does
        // at the window's on a page.  The bar is pinned there, from that box's scrolling: the
        // notebook is the bar's "port" (its rectangle, within the window's, stands for the
        // window's), its scroller the box the focus is scrolled up in.  A holder that scrolls the
        // player itself (or with no box scrolling inside it) would carry the bar away with the
        // text: there the bar is never shown, and the player keeps its own bar alone.
        // (Asked each time the bar would show until a port is found: while the notebook fills
        // with outputs its scroller may not scroll yet.)
        var port = null, scroller = null;
        var findPort = function () {
          var cb = holder(floater);
          if (!cb) return true;
          if (scrolls(cb)) { fixedOff = true; return false; }
          for (var a = floater.parentElement; a && a !== cb; a = a.parentElement) {
            if (scrolls(a)) { port = cb; scroller = a; floater.classList.add("op1-float-in"); return true; }
          }
          return false;
        };
        var view = function () {            // what the reader sees the page through
          var top = 0, bottom = window.innerHeight;
          if (port) {
            var pr = port.getBoundingClientRect();
            top = Math.max(pr.top, 0);
            bottom = Math.min(pr.bottom, bottom);
          }
          return {top: top, bottom: bottom};
        };
        // Something the reader types into outside the player (a notebook's code cell, a box of the
        // page) reaching down to where the bar would sit: the bar stays away (in JupyterLab it
        // covered the lines being typed in the cell after the player's)
        var typing = function (v) {
          var el = document.activeElement;
          if (!el || el === document.body || root.contains(el) || floater.contains(el)) return false;
          var ed = (el.closest && el.closest(".cm-editor, .CodeMirror, .jp-InputArea-editor")) ||
                   (/^(INPUT|TEXTAREA|SELECT)$/.test(el.tagName) || el.isContentEditable ? el : null);
          if (!ed) return false;
          var e = ed.getBoundingClientRect();
          return e.bottom > v.bottom - BAR_ROOM && e.top < v.bottom;
        };
        // How far above the foot of the view the bar's top is: measured while it shows (player.css
        // sizes it by the screen), else once where it would show; again after a resize.
        // (where it shows at the foot of the view: not lifted to the player's foot, dock)
        var room = null, lift = 0;
        var barRoom = function (v) {
          if (room === null || !floater.hidden) {
            var was = floater.hidden;
            if (was) { floater.style.visibility = "hidden"; floater.hidden = false; }
            var t = floater.getBoundingClientRect().top + lift;
            if (was) { floater.hidden = true; floater.style.visibility = ""; }
            if (t < v.bottom) room = v.bottom - t;
          }
          return room === null ? BAR_ROOM : room;
        };
        window.addEventListener("resize", function () { room = null; });
        // The part of the player the reader steps through: from its top to the foot of its (last)
        // pane's views -- on a phone the tab open under the network -- not the help and downloads
        // under them.  It shows a third of the view above the bar, or all of it: the bar shows.
        // (Measured to the player's foot, the bar hid on ch.1's Router tables tab with the
        // conntrack table mid-screen, the 270 px of help below it ending above the bar; measured
        // on the whole view, it stayed over the chapter's text when only the help was left.)
        var grids = root.querySelectorAll(".op1-grid"), grid = grids[grids.length - 1];
        var pinned = function () {
          if (fixedOff) return false;
          var v = view(), vh = v.bottom - v.top, r = root.getBoundingClientRect();
          if (typing(v)) return false;
          var foot = grid ? Math.min(r.bottom, grid.getBoundingClientRect().bottom) : r.bottom;
          var shown = Math.min(foot, v.bottom - barRoom(v)) - Math.max(r.top, v.top);
          if (!(shown > 0 && shown >= Math.min(vh / 3, foot - r.top))) return false;
          var b = first.getBoundingClientRect();
          if (b.top >= v.bottom) return false;                 // still ahead: the reader gets there
          if (b.bottom <= v.top) return true;                  // scrolled away
          var hit = document.elementFromPoint(Math.min(Math.max(b.left + b.width / 2, 0), window.innerWidth - 1),
                                              Math.min(Math.max(b.top + b.height / 2, v.top), v.bottom - 1));
          return !(hit && (hit === first || first.contains(hit)));   // covered (a sticky header)
        };
        // While the bar is shown, the player keeps room for it below its last line (bottom
        // padding, the bar's height and gap): scrolled to its end, the router tables' last rows
        // and the help come up above the bar (at 1366x768 the bar hid the last conntrack row and
        // "NAT model: article").  Kept once given: taken away as the bar hides, the text after the
        // player would jump by the bar's height each time the reader scrolled past the player.
        var pad0 = null;
        var reserve = function () {
          if (pad0 === null) pad0 = parseFloat(getComputedStyle(root).paddingBottom) || 0;
          var f = floater.getBoundingClientRect();
          var room = Math.ceil(f.height + Math.max(0, view().bottom - (f.bottom + lift)) + 8);
          if (room > 8) root.style.paddingBottom = (pad0 + room) + "px";
        };
        // ... and, while the bar shows, the page's scroll-padding-bottom is its room and a gap:
        // what the browser scrolls into view (a link, find in page, the keyboard's focus, Page
        // Down and Space, which page by the view less its scroll-padding) comes to rest above the
        // bar, not under it (at 1366x768 a page step left ch.8's "if2 150.0.0.1" Uplinks row
        // under the bar, and the next one under the page's header).  The largest of the page's
        // shown bars' (one player's bar hiding leaves another's), set where the page scrolls.
        var scrollPad = function () {
          var el = scroller || document.scrollingElement || document.documentElement, most = 0;
          floater.__op1Pad = floater.hidden ? 0 : Math.ceil(barRoom(view()) + 8);
          document.querySelectorAll(".op1-float").forEach(function (f) { most = Math.max(most, f.__op1Pad || 0); });
          el.style.scrollPaddingBottom = most ? most + "px" : "";
        };
        // The player ends above the foot of the view (scrolled on past it, the reader on the
        // tables' tab or already in the text after it): the bar rides up with the player's foot,
        // in the room the player keeps for it there (reserve), as a sticky footer stays in its
        // box, so that it never covers what follows the player -- at 1366x768 it covered the
        // title of the replay after chapter 10's in "When a line fails", the player's foot 110 px
        // above it.  (Hidden there instead, it left a phone's reader on the Router tables tab,
        // the tables mid-screen, without step buttons: see pinned.)  A "translate", which adds to
        // the bar's centring transform: its place (bottom) is player.css's.
        var dock = function () {
          var up = 0;
          if (!floater.hidden && pad0 !== null) {
            var bb = parseFloat(getComputedStyle(root).borderBottomWidth) || 0;
            up = Math.max(0, Math.round(view().bottom - (root.getBoundingClientRect().bottom - bb - pad0)));
          }
          if (up === lift) return;
          lift = floater.__op1Lift = up;
          floater.style.translate = up ? "0 " + (-up) + "px" : "";
        };
        var queued = false;
        var check = function () {
          queued = false;
          toggle(!pinned());
          dock();
        };
        var toggle = function (hide) {
          if (hide === floater.hidden) return;
          // A pinned button that has the focus as the bar hides hands it to the same button in
          // the player's own bar (not scrolled to): hidden with the bar, the focus went to the
          // page, and the next Tab started again from the page's top.
          var had = hide && floater.contains(document.activeElement) && document.activeElement;
          if (had) {
            var act = had.getAttribute("data-act");
            var own = (act && bar.querySelector('button[data-act="' + act + '"]')) || first;
            own.focus({preventScroll: true});
          }
          floater.hidden = hide;
          if (hide) scrollPad();
          if (!hide) {
            // A "fixed" bar is fixed to the window only when no ancestor makes itself the bar's
            // containing block (CSS contain, transform, filter): a panel that scrolls with
            // contain: strict put the bar mid-panel and its room below the player at 2,000 px.
            // Fixed to a box that scrolls nothing itself but holds the scroller (JupyterLab's
            // notebook), the bar is pinned to that box's foot (findPort); else never shown.
            if (port === null && !findPort()) {
              floater.hidden = true;
              return;
            }
            // narrower than the phone rules allow for -- a notebook (JupyterLab at 375 px leaves it
            // some 290), a larger font (150 % at 375 px: the counter went past the screen's edge)
            // -- the buttons closer, as on a 320 px phone (player.css); narrower still -- a right
            // answer's replay in its frame on a 320 px phone, 251 to 281 px wide -- the step
            // counter on a line of its own above them ("12 / 13" was cut to "12" at the edge)
            floater.classList.remove("op1-float-tight", "op1-float-wrap");
            var over = function () { return floater.scrollWidth > floater.clientWidth + 1; };
            if (over()) floater.classList.add("op1-float-tight");
            if (over()) floater.classList.add("op1-float-wrap");
            reserve();
            dock();
            scrollPad();
            keepAbove(document.activeElement);     // the bar came over the focus
          }
        };
        var soon = function () {
          if (queued) return;
          queued = true;
          (window.requestAnimationFrame || setTimeout)(check);
        };
        window.addEventListener("scroll", soon, {passive: true});
        // (a box's scrolling, JupyterLab's notebook's: scroll events do not bubble, but are captured)
        document.addEventListener("scroll", function (ev) {
          if (ev.target !== document && ev.target.contains && ev.target.contains(root)) soon();
        }, {passive: true, capture: true});
        window.addEventListener("resize", function () { if (!floater.hidden) { reserve(); scrollPad(); } soon(); });
        // a box outside the player taking or losing the focus (typing: the bar gives way), and one
        // growing down into the bar's place as lines are typed (a notebook's editor: no scroll)
        document.addEventListener("focusin", soon);
        // (focus going to a box typed into where the bar sits: the bar hidden at once, not at the
        // next frame -- a key typed before it had the caret scrolled up above the bar's room, the
        // page's scroll-padding, on a loaded machine)
        document.addEventListener("focusin", function () { if (!floater.hidden && typing(view())) toggle(true); });
        document.addEventListener("focusout", function () { setTimeout(soon, 0); });
        document.addEventListener("input", soon, true);
        document.addEventListener("keyup", soon, true);
        // What the keyboard focuses in the player is scrolled up from under the bar: once the
        // browser has scrolled it into view (which knows nothing of the bar), and when the bar
        // appears over it.
        // Not the player itself, nor anything taller than the room above the bar: a tap on the
        // drawing or on the narration's "more" cue focuses the player, and scrolling it "up from
        // under the bar" scrolled the page back to the player's top, again each time the bar came
        // back -- a phone's reader could not scroll down the player any more.
        // The keyboard's focus only (:focus-visible): a tap on the ladder's header or blank part
        // focuses its box too, and the page scrolled by itself (28 to 105 px) under the finger.
        var keyed = function (el) {
          try { return el.matches(":focus-visible"); } catch (e) { return true; }
        };
        var keepAbove = function (el) {
          if (floater.hidden || !el || el === root || !root.contains(el) || floater.contains(el)) return;
          if (!keyed(el)) return;
          var v = view(), r = el.getBoundingClientRect(), top = floater.getBoundingClientRect().top - 8;
          if (r.height >= top - v.top) return;
          if (r.bottom > top && r.top < v.bottom) (scroller || window).scrollBy(0, Math.min(r.bottom - top, r.top - v.top));
        };
        root.addEventListener("focusin", function (ev) {
          (window.requestAnimationFrame || setTimeout)(function () {
            if (document.activeElement === ev.target) keepAbove(ev.target);
          });
        });
        // A step taken with the pinned buttons in a phone's column (the network drawn top to
        // bottom under the step's words): a reader who had scrolled the drawing into view stepped
        // with the words hidden under the page's header (a reviewer at 360x740, ch.4 and ch.6).
        // The page comes back by as little as shows them under the header, while the drawing's top
        // is in view; not while the reader is lower down, on the ladder or tables under it.  (The
        // words and the whole drawing fit between the header and the bar: capNarr.)
        var wordsInView = function () {
          var p = null, svg = null;
          panes.forEach(function (o) {
            var t = o.topos.filter(function (x) {
              return x.svg.classList.contains("op1-topo-n") && x.svg.getBoundingClientRect().width;
            })[0];
            if (t && !p) { p = o; svg = t.svg; }
          });
          var nb = p && q(p.el, ".op1-narr");
          if (!nb || p.narrFree || floater.hidden) return;
          var v = view(), top = v.top + (port ? 0 : HEADER);
          var n = nb.getBoundingClientRect(), d = svg.getBoundingClientRect();
          if (n.top >= top - 1 || d.top < top || d.top > v.bottom) return;
          (scroller || window).scrollBy(0, n.top - top);
        };
        floater.addEventListener("click", function (ev) {
          if (ev.target.closest && ev.target.closest("button[data-act]")) (window.requestAnimationFrame || setTimeout)(wordsInView);
        });
        soon();
      }
      if (window.ResizeObserver) {
        // (each drawing observed too: shown or hidden, its size changes to or from nothing; this
        // runs after the layout and before the paint, so the drawing shown is never a step behind)
        var ro = new ResizeObserver(function (entries) {
          entries.forEach(function (e) {
            if (e.target.__op1Topo) e.target.__op1Topo.on = e.contentRect.width > 0;
          });
          panes.forEach(function (p) { syncTopo(p); fitLadder(p); centreTopo(p); edgeCues(p); markCues(p); syncTabs(p); fitScrolls(p); fitPkt(p); });
        });
        panes.forEach(function (p) {
          var b = q(p.el, ".op1-topo-scroll");
          if (b) ro.observe(b);
          p.topos.forEach(function (t) { t.svg.__op1Topo = t; ro.observe(t.svg); });
        });
      }
      // a printed page lays the player out at the paper's width: both drawings at the step
      window.addEventListener("beforeprint", function () { panes.forEach(function (p) { syncTopo(p, true); }); });
      // The book page's live panel sends the diagrams and packets of a replay's later steps as
      // they are drawn ({states: {index: svg}, pkts: {index: html}}); the step shown is redrawn.
      root.__op1Fill = function (patch) {
        panes.forEach(function (p) {
          var d = p.d, s = d.steps[p.k];
          ["states", "pkts"].forEach(function (kind) {
            var got = patch[kind] || {};
            Object.keys(got).forEach(function (i) { d[kind][i] = got[i]; });
          });
          if (!s) return;
          if (patch.states && patch.states[s.st] != null) {
            q(p.el, ".op1-state-box").innerHTML = d.states[s.st];
            p.stateK = null;
            centreState(p);
            markCues(p);
          }
          if (patch.pkts && patch.pkts[s.pk] != null) q(p.el, ".op1-pkt-box").innerHTML = d.pkts[s.pk];
          fitScrolls(p);
          fitPkt(p);
        });
      };
      (root.__op1Pending || []).forEach(root.__op1Fill);   // sent before this player was set up
      root.__op1Pending = null;
      // The first step is shown with the live regions quiet: it is what the page (or a live Run's
      // new replay) arrives with, or a later step it opens at (Player(at=)), not news to say; they
      // are live again once the browser has drawn it (two frames), unless a step by hand or Play
      // has them quiet by then (they make them live again themselves).
      opening = true;
      lives.forEach(function (el) { el.setAttribute("aria-live", "off"); });
      show(Math.min(meta.at || 0, n - 1));   // a replay may open at a later step (Player(at=))
      opening = false;
      var raf = window.requestAnimationFrame || setTimeout;
      raf(function () {
        raf(function () {
          if (!timer && !hushT) lives.forEach(function (el) { el.setAttribute("aria-live", "polite"); });
        });
      });
      root.setAttribute("data-op1-live", "1");         // started (the live panel's status line times it)
      if (root.__op1OnLive) root.__op1OnLive();        // the live panel: its replay is complete now
    };
  }
  document.querySelectorAll("[data-replay]").forEach(window.__op1Replay);
})();
