// The live panel: on Run, the simulator runs in this browser (worker.js: Pyodide and Graphviz
// compiled to WebAssembly) and its replay is inserted above the older ones.  The worker and its
// files are fetched when the reader first changes a parameter of a panel (about to press Run:
// Python starts while they choose the rest) or on the first Run, never for a page only read,
// and not before Run when the browser asks to save data.
(function () {
  "use strict";
  var KEEP = 4;               // replays kept on the page; the oldest goes when a fifth comes
  var STALL = 30;             // seconds without a word from the worker while Python is fetched
  // seconds without a word from it once Python is fetched, while the reader waits for it: Python
  // starting, a run, its replay drawn, the replay's later steps (each a few seconds at most)
  var BUSY = 60;
  var worker = null, seq = 0, panels = 0, waiting = {}, shown = {}, told = false;
  // What the reader waits on the worker for, by id: a Run (until its replay is shown) or a
  // replay's later steps (until its downloads come); each with its panel, the stage it is at,
  // and whether Python is still being fetched (the connection) or computed (the worker).
  var owed = {}, watch = null, fetchedAll = false;
  var sums = 0;               // the summaries' ids

  // How the worker's Python started, which it tells once: restored from the snapshot made at
  // build time (the simulator already imported), or started in full, and why.  The page's panels
  // share the worker: each says it in data-python ("snapshot" or "no-snapshot") and
  // data-python-why; the Run that started Python says it in its status line.
  function started(p) {
    var how = p.snapshot ? "Python started from its snapshot"
                         : "Python started in full, not from its snapshot: " + p.why;
    document.querySelectorAll("[data-live]").forEach(function (root) {
      root.setAttribute("data-python", p.snapshot ? "snapshot" : "no-snapshot");
      if (p.snapshot) root.removeAttribute("data-python-why");
      else root.setAttribute("data-python-why", p.why);
    });
    if (!told && window.console && console.info) console.info("live panel: " + how);
    told = true;
    return how;
  }

  // A page opened as a file (a copy of the site downloaded, the build's _build/html): what to
  // run, where (the folder of the site's root: the live files' folder is _static/op1-live/ in
  // it), and this page's address once served.
  function fileAdvice(base) {
    var top = new URL("../../", base).href, here = location.href.split("#")[0].split("?")[0];
    var page = here.indexOf(top) === 0 ? here.slice(top.length) : "";
    // (on Windows: /C:/Users/... is C:/Users/...)
    var folder = decodeURIComponent(new URL(top).pathname).replace(/^\/([A-Za-z]:)/, "$1");
    return "Live runs need the book served, not opened as a file. In a terminal, in the folder " +
      folder + " run  python3 -m http.server  and open http://localhost:8000/" + page +
      " (a page opened as a file may not load the simulator's files).";
  }

  // A Run's outcome (or a refusal), in a panel: shown on its status line and said, once, by its
  // live region (.op1-lp-said).  The status line shows the stages too, and is no live region: a
  // first Run told a screen reader six lines, a stage each.  The region is emptied first, and
  // the words put in a moment later, so that the same words twice (a refused value refused
  // again) are said again.
  function tell(root, text, shown) {
    var status = root.querySelector(".op1-lp-status");
    if (shown !== false) status.textContent = text;
    say(root, text);
  }
  function say(root, text) {
    var region = root.querySelector(".op1-lp-said");
    if (!region) return;
    clearTimeout(region.__op1Say);
    region.textContent = "";
    region.__op1Say = setTimeout(function () { region.textContent = text; }, 50);
  }

  // Where the page can run the worker at all (else Run says why, in one line).
  function canRun() {
    return location.protocol !== "file:" && !!window.Worker && !!window.WebAssembly;
  }

  // The reader changed a parameter: start Python now, before Run, unless the page's worker is
  // already made (the worker tells how Python started when it has, and again with the first
  // Run's reply).
  function startAhead(base) {
    var c = navigator.connection;
    if (worker || !canRun() || (c && c.saveData)) return;
    getWorker(base).postMessage({ahead: true});
  }

  // After a replay is shown at its first step, the worker sends its other steps' diagrams and
  // packets (fill), then its pcapng and trace (downloads).
  function later(m) {
    var box = shown[m.id];
    if (!box || !box.isConnected) { delete shown[m.id]; delete owed[m.id]; return; }
    var player = box.querySelector("[data-replay]");
    if (m.fill && player) {
      if (player.__op1Fill) player.__op1Fill(m.fill);
      else (player.__op1Pending = player.__op1Pending || []).push(m.fill);   // its script not run yet
    }
    if (m.downloads !== undefined) {
      box.querySelectorAll(".op1-dl-wait").forEach(function (el) { el.outerHTML = m.downloads; });
      // the whole run's files: made here from what the worker sent (a data: URL of a long run's
      // pcapng, megabytes, is past what a browser takes), let go with the replay (forget)
      if (m.whole) {
        var urls = box.__op1Urls = box.__op1Urls || [];
        [["pcapng", m.whole.pcapng, "application/vnd.tcpdump.pcap"],
         ["trace", m.whole.trace, "text/plain;charset=utf-8"]].forEach(function (f) {
          var a = box.querySelector('a[data-whole="' + f[0] + '"]');
          if (!a) return;
          var url = URL.createObjectURL(new Blob([f[1]], {type: f[2]}));
          urls.push(url);
          a.href = url;
        });
        box.setAttribute("data-whole-ms", m.whole.ms);      // (the time the worker took to make them)
      }
      // complete once its player has started too: until then the steps it was sent wait in
      // __op1Pending and the page still shows "drawing this step…"
      var done = function () { box.setAttribute("data-live-complete", "1"); };
      if (!player || player.hasAttribute("data-op1-live")) done();
      else player.__op1OnLive = done;
      delete shown[m.id];
      delete owed[m.id];
    }
    if (m.fillFail) {
      box.querySelectorAll(".op1-wait, .op1-dl-wait").forEach(function (el) {
        el.textContent = "Not drawn: " + m.fillFail;
      });
      delete shown[m.id];
      delete owed[m.id];
    }
  }

  // The watchdog: a worker that says nothing for STALL seconds while Python is fetched (a
  // download that stalled, which a browser may never end), or for BUSY seconds once it computes
  // (Python stuck, or a run too big for this browser), while the reader waits on it, is let go:
  // the reader is told so, and what to do, instead of a stage that never ends.  Any word from the
  // worker (a stage, a count, a step drawn, for any panel) starts the count again.
  function limit(o) {
    var attr = o.net ? "data-stall" : "data-busy";       // (a page, or a test, may set them)
    return (parseFloat(o.root.getAttribute(attr)) || (o.net ? STALL : BUSY)) * 1000;
  }
  function watchdog() {
    clearTimeout(watch);
    watch = null;
    var first = null;
    Object.keys(owed).forEach(function (id) {
      if (!first || limit(owed[id]) < limit(first)) first = owed[id];
    });
    if (!first || !worker) return;
    var ms = limit(first);
    watch = setTimeout(function () {
      if (!Object.keys(owed).length) return;
      restart(first.net ? "Python did not arrive: nothing came for " + Math.round(ms / 1000) +
                          " s while it was being fetched (is the connection down?)"
                        : "the simulator gave no answer for " + Math.round(ms / 1000) + " s while " +
                          first.stage.replace(/…$/, "") + " (stuck, or too slow in this browser)");
    }, ms);
  }

  function getWorker(base) {
    if (worker) return worker;
    fetchedAll = false;
    worker = new Worker(new URL("worker.js", base), {type: "module"});
    worker.onmessage = function (e) {
      var m = e.data;
      if (m.running || m.fetched || m.python) fetchedAll = true;      // Python is here: no network now
      if (m.id === null) { if (m.python) started(m.python); watchdog(); return; }   // started ahead
      if (shown[m.id]) later(m);
      else {
        var cb = waiting[m.id];
        if (cb && cb(m)) delete waiting[m.id];
        // Python could not start: the failed start's other downloads may still be running (and
        // fail later, into the next start): the next Run gets a new worker
        if (m.fail && m.retry) restart(m.fail);
      }
      watchdog();
    };
    worker.onerror = function (e) {
      e.preventDefault();
      // (the worker's own script: what it imports is loaded when Python starts, and named there)
      var why = "the live runner could not start: " + new URL("worker.js", base).pathname.split("/").pop() +
        " could not be loaded" + (e.message ? " (" + e.message + ")" : "");
      restart(why);
    };
    return worker;
  }

  // A failure's words (``lead`` + ``why`` + ``tail``), or, when the device is offline, what the
  // reader can do: the runner's files come from the site on a first Run, and are kept on the
  // device after it (the site's service worker, sw.js: a Run offline then works); offline, before
  // that first Run, they are not there yet (the files that could not be loaded: not news then)
  function offline(lead, why, tail) {
    return navigator.onLine === false
      ? "Offline: the simulator (" + ((parseInt(document.querySelector("[data-live]").getAttribute("data-fetch-bytes"),
        10) || 0) / 1e6).toFixed(0) + " MB) is not on this device yet. Connect and press Run once; after that it " +
        "works offline. The replays and exercises on this page work now."
      : lead + why + tail;
  }

  // The worker let go (it failed, or went silent): every Run waiting for it told ``why``, and
  // the next Run makes a new one, which fetches again.
  function restart(why) {
    if (worker) worker.terminate();
    worker = null;
    clearTimeout(watch);
    watch = null;
    var w = waiting, running = Object.keys(w).map(function (id) { return owed[id] && owed[id].root; });
    waiting = {};
    Object.keys(w).forEach(function (id) { w[id]({fail: why, retry: true}); });
    // replays still being drawn by it will not be: say so where their steps wait, and on the
    // status line of a panel whose Run has not just been told
    Object.keys(shown).forEach(function (id) {
      var box = shown[id], root = box && box.closest("[data-live]");
      later({id: id, fillFail: why});
      if (root && running.indexOf(root) < 0) {
        tell(root, offline("Not every step drawn: ", why, "; press Run to run it again."));
      }
    });
    owed = {};
  }

  // The controls' values as JSON: integers written as typed (JSON keeps big ones exact; a box
  // that holds no integer sends its text, and the simulator names it).
  function valuesJSON(form) {
    var parts = [];
    Array.prototype.forEach.call(form.elements, function (c) {
      if (!c.name) return;
      var v;
      if (c.type === "checkbox") v = String(c.checked && !c.disabled);
      else if (c.hasAttribute("data-int")) {
        // an integer as typed, without a leading + or zeros ("+07" is 7, as Python's int() and the
        // command line read it; JSON has neither)
        var t = c.value.trim();
        v = /^[-+]?\d+$/.test(t) ? t.replace(/^\+/, "").replace(/^(-?)0+(?=\d)/, "$1") : JSON.stringify(c.value);
      }
      else if (c.hasAttribute("data-json")) v = c.value;
      else v = JSON.stringify(c.value);
      parts.push(JSON.stringify(c.name) + ":" + v);
    });
    return "{" + parts.join(",") + "}";
  }

  // What the run did, under the status line: the simulator's summary (Result.summary_text, the
  // end of its trace) -- each connection's bytes and outcome, the throughput, a line's failure and
  // what NAT forgot with it, each uplink's packets.  A line each, wrapped under its own indent.
  function summary(n, text, title) {
    var box = document.createElement("div"), head = document.createElement("p");
    var lines = document.createElement("div");
    box.className = "op1-lp-sum";
    box.setAttribute("role", "group");
    head.className = "op1-lp-sumh";
    head.id = "op1-lp-sum-" + (++sums);
    // (its words are inpage.py's SUMMARY_HEAD, LivePlayer's too)
    head.textContent = "Run " + n + ": " + (title || "what it did (the simulator's summary, which ends its trace)");
    box.setAttribute("aria-labelledby", head.id);
    lines.className = "op1-lp-sumt";
    text.split("\n").forEach(function (line) {
      var l = document.createElement("div");
      l.textContent = line;
      lines.appendChild(l);
    });
    box.appendChild(head);
    box.appendChild(lines);
    // the replay's details, when it is shown (the status line keeps to the outcome): which
    // moments it shows, where it starts and why, how Python started, the times taken
    var more = document.createElement("p");
    more.className = "op1-lp-sumx";
    box.appendChild(more);
    return box;
  }

  // An older run, made compact on a narrow screen (panel.css: its summary's head and a button
  // that shows the rest): on a phone each kept run was some 2,500 px tall, four of them a wall
  // between the panel and the text after it.  On a wide screen the button is not shown and
  // the run stays whole.
  function fold(box) {
    if (box.classList.contains("op1-lp-old")) return;
    box.classList.add("op1-lp-old");
    var head = box.querySelector(".op1-lp-sumh");
    if (!head) return;
    var b = document.createElement("button"), n = head.textContent.replace(/:.*/, "");
    b.type = "button";
    b.className = "op1-lp-unfold";
    b.setAttribute("aria-expanded", "false");
    b.textContent = "show " + n.toLowerCase() + "'s replay";
    b.addEventListener("click", function () {
      var open = box.classList.toggle("op1-lp-open");
      b.setAttribute("aria-expanded", String(open));
      b.textContent = (open ? "hide " : "show ") + n.toLowerCase() + "'s replay";
    });
    head.parentNode.insertBefore(b, head.nextSibling);     // (not in the head: the group's name)
    // what ran and how it ended, in a line, so that the folded runs are told apart
    if (box.__op1Said) {
      var said = document.createElement("p");
      said.className = "op1-lp-foldsaid";
      said.textContent = box.__op1Said;
      head.parentNode.insertBefore(said, b);
    }
  }

  // The new run's box brought into view when it is not (on a phone it came below the fold, under
  // the form, and nothing moved): at once for a reader who asks for reduced motion.  True when it
  // moved the page: the focus, in the form, is then off the screen, and is taken to the run's
  // heading once the live region has said the outcome (land).
  function bringIntoView(box) {
    var r = box.getBoundingClientRect(), h = window.innerHeight || document.documentElement.clientHeight;
    if (r.top >= 0 && r.top < h * 0.75) return false;
    var still = window.matchMedia && window.matchMedia("(prefers-reduced-motion: reduce)").matches;
    box.scrollIntoView({block: "start", behavior: still ? "auto" : "smooth"});
    return true;
  }
  function land(box, form) {
    var head = box.querySelector(".op1-lp-sumh, h2, h3, h4");
    if (!head || !form.contains(document.activeElement)) return;
    setTimeout(function () {
      head.setAttribute("tabindex", "-1");
      head.focus({preventScroll: true});
    }, 100);
  }

  function setUp(root) {
    if (root.getAttribute("data-live-ready")) return;
    root.setAttribute("data-live-ready", "1");
    var form = root.querySelector("form"), status = root.querySelector(".op1-lp-status");
    // the megabytes received while Python is fetched: beside the status line, not in it (which
    // shows the stages only; neither is a live region: tell() says a Run's outcome, once)
    var got = root.querySelector(".op1-lp-progress");
    var out = root.querySelector(".op1-lp-out"), button = root.querySelector("[data-run]");
    var base = new URL(root.getAttribute("data-base"), location.href), runs = 0, last = 0;
    var panel = ++panels;       // the worker keeps each panel's last replays apart from another's
    // "3.1 of 16.3 MB received": of what the first Run fetches (data-fetch-bytes; the panel's
    // note says it); past it (a server that compresses what it sends: the count is then of the
    // unpacked bytes), the count alone
    var total = parseInt(root.getAttribute("data-fetch-bytes"), 10) || 0;
    function receivedWords(n) {
      var of = total && n <= total ? " of " + (total / 1e6).toFixed(1) : "";
      return (n / 1e6).toFixed(1) + of + " MB received";
    }
    // (returns what changed that a screen reader is not told by the control itself: a choice's
    // new hint line, a box gone off or back with it)
    function sync() {
      var news = [];
      // equalize is a route-cache flag: off, and shown off, under a policy without a cache
      root.querySelectorAll("[data-only-with]").forEach(function (c) {
        var other = form.elements[c.getAttribute("data-only-with")];
        var off = c.getAttribute("data-allowed").split(" ").indexOf(other.value) < 0;
        if (off && !c.disabled) { c.setAttribute("data-was", c.checked ? "1" : ""); c.checked = false; }
        if (!off && c.disabled) c.checked = c.getAttribute("data-was") === "1";
        if (off !== c.disabled) {
          var why = document.getElementById(c.id + "-why");
          news.push(c.name + (off ? " off" + (why ? " " + why.textContent : "") : " available again"));
        }
        c.disabled = off;
      });
      // what the chosen value of a choice is: its option's line, under it (live.py's choice_hints)
      form.querySelectorAll("select").forEach(function (s) {
        var o = s.options[s.selectedIndex], hint = document.getElementById(s.id + "-hint");
        if (o && hint && o.hasAttribute("data-hint") && hint.textContent !== o.getAttribute("data-hint")) {
          hint.textContent = o.getAttribute("data-hint");
          news.unshift(hint.textContent);
        }
      });
      return news;
    }
    // A choice changed: its new hint line (its aria-describedby, which a screen reader reads only
    // when the focus comes to it) is said once, with a box it turned off or on; not on the page's
    // load or the browser's restoring of the form (pageshow), nor for a text box, whose hint
    // stays as it is.
    form.addEventListener("change", function (ev) {
      var news = sync();
      if (news.length && ev.target && ev.target.tagName === "SELECT") say(root, news.join(". ") + ".");
    });
    sync();
    // a page reloaded by Back gets its form's values back after this script ran: sync again
    window.addEventListener("pageshow", sync);
    ["input", "change"].forEach(function (t) {
      form.addEventListener(t, function () { startAhead(base); });
    });
    // Values the simulator refused: each in its own words on the status line and right under
    // its box (on a phone the status line is off screen, below Run, while the box is in view),
    // each box marked invalid and described by those words, the first (in the form's order)
    // given the focus, so that the reader is taken to it and told what is wrong (WCAG 3.3.1).
    var marked = [];
    // (a box described by its hint line keeps it, after the words of its refusal)
    function clear(c) {
      c.removeAttribute("aria-invalid");
      var own = c.getAttribute("data-describedby");
      if (own) c.setAttribute("aria-describedby", own);
      else c.removeAttribute("aria-describedby");
      var why = document.getElementById(c.id + "-err");
      if (why) why.parentNode.removeChild(why);
    }
    function unmark() {
      marked.forEach(clear);
      marked = [];
    }
    // a refused box the reader changes is no longer marked: its value is a new one, judged at the
    // next Run (the red border, "not allowed" and the old value's words stayed until then)
    form.addEventListener("input", function (ev) {
      var k = marked.indexOf(ev.target);
      if (k >= 0) { clear(ev.target); marked.splice(k, 1); }
    });
    function refuse(m) {
      var errs = (m.errors || []).slice(), boxes = [], under = [];
      status.textContent = "Not run: ";
      if (!errs.length) { tell(root, "Not run: " + m.error); return; }
      // named in the form's order, as the boxes are read and the first is focused (the
      // simulator checks the seed first); a problem that is no box's comes last
      var controls = Array.prototype.slice.call(form.elements);
      var place = function (e) {
        var i = controls.indexOf(e.param && form.elements[e.param]);
        return i < 0 ? controls.length : i;
      };
      errs.sort(function (a, b) { return place(a) - place(b); });
      errs.forEach(function (e, j) {
        var c = e.param && form.elements[e.param], span = document.createElement("span");
        if (j) status.appendChild(document.createTextNode("; "));
        span.textContent = e.message;
        status.appendChild(span);
        if (!c || !c.id || marked.indexOf(c) >= 0) return;
        // the same words under the box: its label's next sibling, above the box's hint line
        var why = document.createElement("small"), label = c.closest("label") || c;
        why.id = c.id + "-err";
        why.className = "op1-lc-err";
        why.textContent = e.message;
        label.parentNode.insertBefore(why, label.nextSibling);
        under.push(e);
        if (!c.hasAttribute("data-describedby")) c.setAttribute("data-describedby", c.getAttribute("aria-describedby") || "");
        var own = c.getAttribute("data-describedby");
        c.setAttribute("aria-invalid", "true");
        c.setAttribute("aria-describedby", why.id + (own ? " " + own : ""));
        // a box among the lines' controls is shown: their part of the form opened
        var part = c.closest("details");
        if (part) part.open = true;
        marked.push(c);
        boxes.push(c);
      });
      if (!boxes.length) { say(root, status.textContent); return; }
      // The focus taken to the first refused box, which a screen reader reads with its refusal
      // (its aria-describedby): the live region says only what that box does not -- the Run not
      // made, how many values were refused, and the others' words.  (It said every refusal
      // again, the focused box's too: for a bad line speed, 400 characters twice.)
      // (brought into view with its label and the words under it: the focus alone scrolled a box
      // among the lines' controls to the screen's foot, its words below it, off a phone's screen)
      var first = boxes[0], words = document.getElementById(first.id + "-err") || first;
      first.focus({preventScroll: true});
      var top = (first.closest("label") || first).getBoundingClientRect().top;
      if (top < 72 || words.getBoundingClientRect().bottom > window.innerHeight) words.scrollIntoView({block: "center"});
      var others = errs.filter(function (e) { return e !== under[0]; }).map(function (e) { return e.message; });
      say(root, "Not run: " + (errs.length === 1 ? "1 value refused" : errs.length + " values refused") +
        (others.length ? "; also: " + others.join("; ") : ""));
    }
    // The number boxes checked here, at Run, against the ranges their labels say (the page's
    // data-limits; the seed's as the simulator holds it, live.py's live_params), in the
    // simulator's words: a value no box holds is refused at once, before Python is fetched, and
    // is no Run.  The simulator checks again, and is the judge of what only it knows (a failing
    // uplink beyond the uplinks).
    var limits = JSON.parse(root.getAttribute("data-limits") || "{}");
    function badBoxes() {
      var errs = [];
      Array.prototype.forEach.call(form.elements, function (c) {
        var range = c.name && c.hasAttribute("data-int") && limits[c.name];
        if (!range || c.disabled) return;
        var t = c.value.trim(), lo = range[0], hi = range[1];
        var who = c.getAttribute("data-said") || c.name;
        // a box whose range is the uplinks there are (data-upto: that box) says that range, as
        // the simulator does (live.py uplink_numbers), once that box holds a number it allows; a
        // value the box holds, the simulator judges
        var upto = c.getAttribute("data-upto") && form.elements[c.getAttribute("data-upto")];
        var n = upto && /^\+?\d+$/.test(upto.value.trim()) ? parseInt(upto.value.trim(), 10) : 0;
        var nr = upto && limits[upto.name];
        var span = n && nr && n >= nr[0] && n <= nr[1] ?
          (n === 1 ? "1 (there is 1 uplink)" : "1.." + n + " (there are " + n + " uplinks)") : null;
        if (!/^[-+]?\d+$/.test(t)) {
          errs.push({param: c.name, message: who + " must be an integer " + (span || lo + ".." + hi) +
                     ", got " + pyRepr(c.value)});
          return;
        }
        var v = BigInt(t);              // exact, however many digits (a Number is not past 2^53)
        if (span && (v < BigInt(lo) || v > BigInt(hi))) {
          errs.push({param: c.name, message: who + " " + v + " out of range: allowed " + span});
          return;
        }
        if (v < BigInt(lo) || v > BigInt(hi)) {
          errs.push({param: c.name, message: who + " " + v + " out of range for this page's " +
                     "live panel: allowed " + lo + ".." + hi});
        }
      });
      return errs.concat(badTexts());
    }
    // The text boxes (the per-uplink lists, a failure's and a read timeout's seconds) checked
    // here too, by the rules and in the words of the simulator's own reader of them (the page's
    // data-rules, inpage.py text_rules: its messages cut before ", got "), so that a bad speed
    // or weight is named before the first Run's download, not after it.  What only the
    // simulator knows it still judges after the download.
    var rules = JSON.parse(root.getAttribute("data-rules") || "{}");
    var SPACE = "[\\s\\x1c-\\x1f\\x85]";          // what Python's str.strip() and int() take off
    var TRIM = new RegExp("^" + SPACE + "+|" + SPACE + "+$", "g");
    var DIGITS = "\\d(?:_?\\d)*";
    var FLOAT = new RegExp("^[+-]?(?:(?:" + DIGITS + "(?:\\.(?:" + DIGITS + ")?)?|\\.(?:" + DIGITS + "))" +
                           "(?:[eE][+-]?" + DIGITS + ")?|inf|infinity|nan)$", "i");
    var INT = new RegExp("^" + SPACE + "*[+-]?[0-9]+(?:_[0-9]+)*" + SPACE + "*$");
    // Python's float(text) of an ASCII text (cli._float), else null
    function pyFloat(t) {
      if (!/^[\x00-\x7f]*$/.test(t)) return null;
      var s = t.replace(/^\s+|\s+$/g, "");     // (float() strips ASCII white space only)
      if (!FLOAT.test(s)) return null;
      var w = s.replace(/_/g, "").toLowerCase(), sign = w.charAt(0) === "-" ? -1 : 1;
      w = w.replace(/^[+-]/, "");
      return w === "nan" ? NaN : /^inf/.test(w) ? sign * Infinity : sign * Number(w);
    }
    // cli._int: ASCII digits, maybe a sign, underscores between digits
    function pyInt(t) {
      return INT.test(t) ? Number(t.replace(TRIM, "").replace(/_/g, "")) : null;
    }
    // a float as Python's repr writes it, in the range of the boxes (1e-05, not 0.00001), and :g
    function floatRepr(v) {
      return v && Math.abs(v) < 1e-4 ? v.toExponential().replace(/e([+-])(\d)$/, "e$10$2") : String(v);
    }
    function pyG(v) { return floatRepr(Number(v.toPrecision(6))); }
    function within(v, r) {
      return (r.loExcluded ? r.lo < v : r.lo <= v) && v <= r.hi && !(r.tick !== null && 0 < v && v < r.tick);
    }
    // a number as the simulator writes it in a list (scenarios.fmt_value)
    function fmtValue(v) {
      if (Number.isInteger(v) && Math.abs(v) < 1e15) return String(v);
      var exp = parseInt(v.toExponential(5).split("e")[1], 10);
      if (exp < -4 || exp >= 6) return floatRepr(v);
      return v.toFixed(Math.max(0, 5 - exp)).replace(/\.?0+$/, "");
    }
    function badTexts() {
      // the uplinks the lists are counted against: the box's, or, when it is refused (above), the
      // page's value for it, as the simulator counts them once it put that box back
      var errs = [], up = form.elements.uplinks, ur = limits.uplinks;
      var count = function (t) {
        t = t.trim();
        var k = /^\d+$/.test(t) ? parseInt(t, 10) : 0;
        return ur && k >= ur[0] && k <= ur[1] ? k : 0;
      };
      var n = up && !up.disabled ? count(up.value) || count(up.defaultValue) : 0;
      Object.keys(rules).forEach(function (name) {
        var c = form.elements[name], r = rules[name];
        if (!c || c.disabled) return;
        var t = c.value;
        if (r.kind === "seconds") {
          if (t.replace(TRIM, "").toLowerCase() === "none") return;
          var v = pyFloat(t);
          if (v === null || !within(v, r)) errs.push({param: name, message: r.wants + ", got " + pyRepr(t)});
          return;
        }
        var items = t.split(","), values = [];
        for (var i = 0; i < items.length; i++) {
          var x = r.integers ? pyInt(items[i]) : pyFloat(items[i]);
          if (x === null || !within(x, r)) {
            errs.push({param: name, message: r.wants + ", got " +
                       (items.length === 1 ? pyRepr(t) : pyRepr(items[i]) + " in " + pyRepr(t))});
            return;
          }
          values.push(x);
        }
        if (values.length > r.most) { errs.push({param: name, message: r.tooMany + " " + values.length}); return; }
        // one value for every uplink, or one per uplink (scenarios.Params)
        if (n && values.length !== 1 && values.length !== n) {
          errs.push({param: name, message: r.said + " gives " + values.length + " values (" +
                     values.map(fmtValue).join(",") + ") for " + n + " uplink" + (n !== 1 ? "s" : "") +
                     ": give one value for every uplink" + (n !== 1 ? ", or " + n + ", one per uplink" : "")});
        }
      });
      // the line's return: with no failure, or not after it, refused in the simulator's words
      // (inpage._up_at_words), against the failure's box, or its page's value when that box is refused
      var ua = rules.up_at, ub = form.elements.up_at, db = form.elements.down_at;
      var has = function (p) { return errs.some(function (e) { return e.param === p; }); };
      var secs = function (t) { return t.replace(TRIM, "").toLowerCase() === "none" ? null : pyFloat(t); };
      if (ua && ua.after && ub && db && !ub.disabled && !has("up_at")) {
        var u = secs(ub.value), d = secs(has("down_at") ? db.defaultValue : db.value), why = null;
        if (u === null) return errs;
        if (d === null) why = ua.after.none.replace("{up}", fmtValue(u));
        else if (!(d < u && Math.floor(u * 1e6) > Math.floor(d * 1e6))) {
          why = ua.after.order.replace("{up}", Number.isInteger(u) ? String(u) : floatRepr(u)).replace(/\{down\}/g, pyG(d));
        }
        if (why) errs.push({param: "up_at", message: why});
      }
      return errs;
    }
    // a string as Python's repr writes it (the simulator's words for a box that holds no number)
    function pyRepr(s) {
      var q = s.indexOf("'") >= 0 && s.indexOf('"') < 0 ? '"' : "'";
      return q + s.replace(/\\/g, "\\\\").replace(new RegExp(q, "g"), "\\" + q)
        .replace(/\n/g, "\\n").replace(/\t/g, "\\t").replace(/\r/g, "\\r")
        .replace(/[\x00-\x1f\x7f-\xa0\xad]/g, function (ch) {
          return "\\x" + ("0" + ch.charCodeAt(0).toString(16)).slice(-2);
        }) + q;
    }
    form.addEventListener("submit", function (ev) {
      ev.preventDefault();
      if (location.protocol === "file:") {
        tell(root, fileAdvice(base));
        return;
      }
      if (!canRun()) {
        tell(root, "Live runs need a browser with Web Workers and WebAssembly.");
        return;
      }
      // busy: marked, not disabled -- a disabled button loses the keyboard's focus to the page
      if (button.getAttribute("aria-disabled") === "true") return;
      unmark();
      var bad = badBoxes();
      if (bad.length) { got.textContent = ""; refuse({errors: bad}); return; }
      var n = runs + 1, id = ++seq, t0 = performance.now(), how = "";
      last = id;
      button.setAttribute("aria-disabled", "true");
      // busy: the replays' box, where the new one comes -- not the panel, whose live region
      // (.op1-lp-said) a screen reader would hold back until the run is over
      out.setAttribute("aria-busy", "true");
      // The worker tells each stage (and, while Python is fetched, the bytes received): the
      // watchdog gives Run back if it goes silent, to be pressed again with a new worker.
      var wait = owed[id] = {root: root, stage: "loading Python…", net: !fetchedAll};
      got.textContent = "";
      // A Run that waits for Python (seconds, on the page's first Run) says that it started, once,
      // as it starts: else a screen reader heard nothing from Run until its outcome.  The stages
      // that follow are shown, not said; the outcome is said once, as every Run's is.
      if (!fetchedAll) say(root, "Run started: loading Python (first run only)");
      waiting[id] = function (m) {
        if (m.python) how = "; " + started(m.python);
        if (m.received !== undefined) got.textContent = receivedWords(m.received);
        if (m.status !== undefined || m.received !== undefined) {
          if (m.status) { status.textContent = "Run " + n + ": " + m.status; wait.stage = m.status; }
          if (m.running || m.fetched || fetchedAll) wait.net = false;   // every download done
          return false;
        }
        delete owed[id];
        button.removeAttribute("aria-disabled");
        out.removeAttribute("aria-busy");
        got.textContent = "";                           // (no count of bytes left beside a failure)
        if (m.error) { refuse(m); return true; }
        if (m.fail) {
          tell(root, offline("Not run: ", m.fail, m.retry ? "; press Run to try again." : ""));
          return true;
        }
        runs = n;
        var box = document.createElement("div");
        box.className = "op1-lp-run";
        box.setAttribute("data-run-id", id);
        box.__op1Said = (m.changed || "the page's values") + (m.outcome ? "; " + m.outcome : "");
        box.innerHTML = m.html;
        if (m.summary) box.insertBefore(summary(n, m.summary, m.summaryHead), box.firstChild);
        Array.prototype.forEach.call(out.children, fold);
        out.insertBefore(box, out.firstChild);
        shown[id] = box;
        var moved = bringIntoView(box);
        owed[id] = {root: root, stage: "drawing the replay's steps", net: false};
        box.addEventListener("op1-need", function (ev) { if (worker) worker.postMessage({id: id, need: ev.detail}); });
        var said = "Run " + n + ": " + m.events + " events, simulated in " + m.runMs + " ms; ";
        // the time to a replay the reader can use: when its player has unpacked its frames and
        // started (it says so in data-op1-live), not when its HTML was inserted
        var player = box.querySelector("[data-replay]"), seen = null;
        // The outcome, shown and said once: what ran (what the reader changed), how it ended
        // (its connections), how long it took; the rest under the run's summary, in its box.
        var live = function () {
          if (seen) seen.disconnect();
          var took = ((performance.now() - t0) / 1000).toFixed(1);
          // a replay cut at max-steps says so, and what its downloads hold: not the run's end
          var more = box.querySelector(".op1-lp-sumx");
          if (more) {
            var cut = m.cut || "the replay shows every step of the run";
            more.textContent = cut.charAt(0).toUpperCase() + cut.slice(1) + ". In this browser: " +
              m.events + " events simulated in " + m.runMs + " ms, the replay shown after " + took + " s" +
              how + ".";
          }
          if (!box.isConnected || last !== id) return;      // a newer Run has the status line
          tell(root, "Run " + n + ": " + (m.changed || "the page's values") + "; " +
            (m.outcome ? m.outcome + "; " : "") + "replay shown after " + took + " s.");
          if (moved) land(box, form);
        };
        // (or a replay that could not start: its player says why in data-op1-failed)
        var broken = function () {
          if (seen) seen.disconnect();
          if (!box.isConnected || last !== id) return;
          var why = player.getAttribute("data-op1-failed");
          tell(root, said + "not shown: " + why.charAt(0).toLowerCase() + why.slice(1));
          if (moved) land(box, form);
        };
        if (player && window.MutationObserver) {
          seen = new MutationObserver(function () {
            if (player.hasAttribute("data-op1-live")) live();
            else if (player.hasAttribute("data-op1-failed")) broken();
          });
          seen.observe(player, {attributes: true, attributeFilter: ["data-op1-live", "data-op1-failed"]});
        }
        var keep = parseInt(root.getAttribute("data-keep"), 10) || KEEP;   // the page says how many
        while (out.children.length > keep) {
          var gone = out.lastChild, gid = parseInt(gone.getAttribute("data-run-id"), 10);
          out.removeChild(gone);
          (gone.__op1Urls || []).forEach(function (u) { URL.revokeObjectURL(u); });
          delete shown[gid];
          delete owed[gid];
          if (worker && gid) worker.postMessage({forget: gid});           // not drawn on for nothing
        }
        // innerHTML runs no script: the player's own script is put back to start it
        box.querySelectorAll("script:not([type])").forEach(function (s) {
          var x = document.createElement("script");
          x.textContent = s.textContent;
          s.parentNode.replaceChild(x, s);
        });
        if (!player || !seen || player.hasAttribute("data-op1-live")) live();
        else if (player.hasAttribute("data-op1-failed")) broken();
        else status.textContent = said + "unpacking the replay…";
        return true;
      };
      getWorker(base).postMessage({id: id, panel: panel, scenario: root.getAttribute("data-scenario"),
        fixed: root.getAttribute("data-params"), values: valuesJSON(form), limits: root.getAttribute("data-limits") || "{}",
        preset: root.getAttribute("data-preset") || "{}",
        title: "Run " + n + ", in this page", maxSteps: parseInt(root.getAttribute("data-max-steps"), 10),
        startAt: root.getAttribute("data-start-at") || "null"});
      watchdog();
    });
  }

  function all() { document.querySelectorAll("[data-live]").forEach(setUp); }
  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", all);
  else all();
})();
