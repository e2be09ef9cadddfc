"""The page's checker in JavaScript (kept in a .py file so `make book` notices when it changes)."""

JS = r"""/* 1 + 1 < 1 exercises: the page's checker.  Mirrors sim/exercises/model.py:
   parse() -> sha256(salt|h|answer) against the salted hashes; a right answer
   unwraps the content key that decrypts the explanation and the revealed trace events.
   Self-contained: no CDN, no framework, no kernel. */
(function () {
  if (window.SX) return;
  var K = [0x428a2f98,0x71374491,0xb5c0fbcf,0xe9b5dba5,0x3956c25b,0x59f111f1,0x923f82a4,0xab1c5ed5,
    0xd807aa98,0x12835b01,0x243185be,0x550c7dc3,0x72be5d74,0x80deb1fe,0x9bdc06a7,0xc19bf174,
    0xe49b69c1,0xefbe4786,0x0fc19dc6,0x240ca1cc,0x2de92c6f,0x4a7484aa,0x5cb0a9dc,0x76f988da,
    0x983e5152,0xa831c66d,0xb00327c8,0xbf597fc7,0xc6e00bf3,0xd5a79147,0x06ca6351,0x14292967,
    0x27b70a85,0x2e1b2138,0x4d2c6dfc,0x53380d13,0x650a7354,0x766a0abb,0x81c2c92e,0x92722c85,
    0xa2bfe8a1,0xa81a664b,0xc24b8b70,0xc76c51a3,0xd192e819,0xd6990624,0xf40e3585,0x106aa070,
    0x19a4c116,0x1e376c08,0x2748774c,0x34b0bcb5,0x391c0cb3,0x4ed8aa4a,0x5b9cca4f,0x682e6ff3,
    0x748f82ee,0x78a5636f,0x84c87814,0x8cc70208,0x90befffa,0xa4506ceb,0xbef9a3f7,0xc67178f2];
  function sha256(bytes) {            /* FIPS 180-4, on a Uint8Array; returns a Uint8Array(32) */
    var n = bytes.length, len = ((n + 9 + 63) >> 6) << 6, m = new Uint8Array(len);
    m.set(bytes); m[n] = 0x80;
    var bits = n * 8, dv = new DataView(m.buffer);
    dv.setUint32(len - 4, bits >>> 0); dv.setUint32(len - 8, Math.floor(bits / 4294967296));
    var h = [0x6a09e667,0xbb67ae85,0x3c6ef372,0xa54ff53a,0x510e527f,0x9b05688c,0x1f83d9ab,0x5be0cd19];
    var w = new Array(64);
    for (var off = 0; off < len; off += 64) {
      for (var i = 0; i < 16; i++) w[i] = dv.getUint32(off + 4 * i);
      for (i = 16; i < 64; i++) {
        var a = w[i - 15], b = w[i - 2];
        var s0 = ((a >>> 7) | (a << 25)) ^ ((a >>> 18) | (a << 14)) ^ (a >>> 3);
        var s1 = ((b >>> 17) | (b << 15)) ^ ((b >>> 19) | (b << 13)) ^ (b >>> 10);
        w[i] = (w[i - 16] + s0 + w[i - 7] + s1) | 0;
      }
      var A = h[0], B = h[1], C = h[2], D = h[3], E = h[4], F = h[5], G = h[6], H = h[7];
      for (i = 0; i < 64; i++) {
        var S1 = ((E >>> 6) | (E << 26)) ^ ((E >>> 11) | (E << 21)) ^ ((E >>> 25) | (E << 7));
        var t1 = (H + S1 + ((E & F) ^ (~E & G)) + K[i] + w[i]) | 0;
        var S0 = ((A >>> 2) | (A << 30)) ^ ((A >>> 13) | (A << 19)) ^ ((A >>> 22) | (A << 10));
        var t2 = (S0 + ((A & B) ^ (A & C) ^ (B & C))) | 0;
        H = G; G = F; F = E; E = (D + t1) | 0; D = C; C = B; B = A; A = (t1 + t2) | 0;
      }
      h[0] = (h[0] + A) | 0; h[1] = (h[1] + B) | 0; h[2] = (h[2] + C) | 0; h[3] = (h[3] + D) | 0;
      h[4] = (h[4] + E) | 0; h[5] = (h[5] + F) | 0; h[6] = (h[6] + G) | 0; h[7] = (h[7] + H) | 0;
    }
    var out = new Uint8Array(32), odv = new DataView(out.buffer);
    for (i = 0; i < 8; i++) odv.setUint32(4 * i, h[i] >>> 0);
    return out;
  }
  var enc = new TextEncoder(), dec = new TextDecoder();
  function hex(b) { var s = ""; for (var i = 0; i < b.length; i++) s += (b[i] < 16 ? "0" : "") + b[i].toString(16); return s; }
  function unb64(s) { var t = atob(s), b = new Uint8Array(t.length); for (var i = 0; i < t.length; i++) b[i] = t.charCodeAt(i); return b; }
  function concat(a, b) { var c = new Uint8Array(a.length + b.length); c.set(a); c.set(b, a.length); return c; }
  function xor(data, key) {         /* SHA-256 in counter mode, as model.xor */
    var out = new Uint8Array(data.length), ctr = 0, ks = new Uint8Array(0), pos = 0;
    for (var i = 0; i < data.length; i++) {
      if (pos >= ks.length) {
        var c = new Uint8Array(4); new DataView(c.buffer).setUint32(0, ctr++);
        ks = sha256(concat(key, c)); pos = 0;
      }
      out[i] = data[i] ^ ks[pos++];
    }
    return out;
  }
  function H(salt, tag, norm) { return sha256(enc.encode(salt + "|" + tag + "|" + norm)); }

  /* parse(answer, form) -> [canonical text, ""] or ["", why it is not an answer of this form];
     mirrors model.parse for what a page can hold: a choice, a count, a percentage, an endpoint
     or the settings of the selects */
  function q(s) { return "'" + (s.length > 57 ? s.slice(0, 54) + "..." : s) + "'"; }
  function parse(answer, form) {
    if (form === "config") {
      var keys = Object.keys(answer).sort();
      var b = keys.filter(function (k) { return !String(answer[k]).trim(); });
      if (b[0]) return ["", "choose the " + b.join(" and ") + " setting" + (b[1] ? "s" : "") + " first"];
      return [keys.map(function (k) { return k + "=" + String(answer[k]).trim().toLowerCase(); }).join(";"), ""];
    }
    var raw = (answer == null ? "" : String(answer)).trim();
    if (!raw) return ["", "no answer"];
    var s = raw.toLowerCase();
    if (form === "int") {               /* a count: a whole number in digits */
      if (/^\d{1,15}$/.test(s)) return [String(parseInt(s, 10)), ""];
      if (/^\d+$/.test(s)) return ["", "a count has at most 15 digits, got " + q(raw)];
      return ["", "a count is a whole number, 0 or more, written in digits alone (like 16), got " + q(raw)];
    }
    if (form === "percent") {           /* 33, 33.5, 33,5 (decimal comma), 33 % */
      var sign = /(%|percent)$/.test(s);
      s = s.replace(/%$/, "").replace(/percent$/, "").trim();
      if (!/^(\d{1,15}([.,]\d*)?|[.,]\d+)$/.test(s))
        return ["", "expected a percentage (a number like 33 or 33.5), got " + q(raw)];
      var v = Number(s.replace(",", "."));
      if (!(v >= 0 && v <= 100)) return ["", "a percentage is between 0 and 100, got " + q(raw)];
      if (v > 0 && v < 1 && !sign) return ["", "answer in percent: " + q(raw) + " is less than 1% (write 33 for a third)"];
      return [String(Math.floor(v + 0.5)), ""];
    }
    s = s.split(/\s+/).filter(Boolean).join(" ");
    if (form === "endpoint") {
      var m = /^\(?\s*(\d+\.\d+\.\d+\.\d+)\s*[,:.\s]\s*(\d+)\s*\)?$/.exec(s);
      return m ? [m[1] + ":" + parseInt(m[2], 10), ""] : ["", "expected address:port (like 10.0.0.1:6000), got " + q(raw)];
    }
    return [s, ""];
  }
  function normalise(answer, form) { return parse(answer, form)[0]; }

  /* which question the page shows, for an exported answer: model.fingerprint on what the page holds
     (the hash of its question, its salt, its salted answer hashes -- none for a configuration, which
     the grader judges by running it); "" for data made before fingerprints */
  function fingerprint(data) {
    if (typeof data.question !== "string") return "";
    var hs = data.form === "config" ? [] : data.accepted.map(function (p) { return p[0]; }).sort();
    return hex(sha256(enc.encode("fp|" + data.question + "|" + data.salt + "|" + hs.join(",")))).slice(0, 16);
  }

  /* answers of this browser, per student (and course secret: data-store); kept in
     localStorage so an export from one chapter's page also carries the answers given on the
     others.  A record keeps the first right answer once there is one, and counts the checks up
     to it. */
  function store(name) {
    var key = "sx-answers:" + name;
    window.SX_ANSWERS = window.SX_ANSWERS || {};
    var mem = window.SX_ANSWERS[name] = window.SX_ANSWERS[name] || {};
    /* what other pages (other tabs: one per chapter) stored since: read again before every
       read and write, or this page's write would drop their answers; of two records of one
       exercise the one with more checks is the later */
    function sync() {
      var all = {};
      try { all = JSON.parse(localStorage.getItem(key) || "{}"); } catch (e) { all = {}; }
      for (var k in all) if (!(k in mem) || (all[k].attempts || 0) > (mem[k].attempts || 0)) mem[k] = all[k];
    }
    sync();
    return {
      get: function () { sync(); return mem; },
      record: function (id, answer, variant, right, fp) {
        sync();
        /* another variant, or the same one asking another question (a newer page): a new record;
           one kept without a fingerprint (a page made before they were) is another question's
           to a page that has one -- kept, a right answer to last week's question stood for this one */
        var old = mem[id], rec = old && old.variant === variant && (old.fp || "") === (fp || "") ? old : {attempts: 0};
        /* the checks up to the first right answer, no later one (html.record) */
        if (!rec.right) {
          rec.attempts = (rec.attempts || 0) + 1; rec.answer = answer; rec.variant = variant; rec.right = right;
          if (fp) rec.fp = fp; else delete rec.fp;
        }
        mem[id] = rec;
        try { localStorage.setItem(key, JSON.stringify(mem)); } catch (e) { /* file:// or private mode */ }
        return rec;
      }
    };
  }

  /* The shared site: each exercise carries its pool of variants (script.sx-pool); a student's is
     poolIndex(course, student, exercise), as variants.pool_index computes it in Python. */
  var POOL_RE = /^[A-Za-z0-9][A-Za-z0-9_.@+-]{0,63}$/;      /* variants.STUDENT_RE: what the grader accepts */
  function poolIndex(course, student, exId, size) {
    var d = sha256(enc.encode("pool|" + course + "|" + student.toLowerCase() + "|" + exId));
    return new DataView(d.buffer).getUint32(0) % size;
  }
  function checkStudent(id) {
    if (!id) return "Type your student id first.";
    if (!POOL_RE.test(id)) return "Not a student id: " + q(id) + "; use 1-64 ASCII letters, digits, '_', '.', '@', '+' or '-', "
      + "starting with a letter or digit.";
    if (id.toLowerCase() === "book") return "'book' is the book's own example, not a student id.";
    return "";
  }
  function idKey(course) { return "sx-student" + (course ? ":" + course : ""); }
  function savedStudent(course) {
    var id = "";
    try { id = localStorage.getItem(idKey(course)) || ""; } catch (e) { id = ""; }
    if (!id) id = (window.SX_STUDENT || {})[course] || "";
    return checkStudent(id) ? "" : id.toLowerCase();     /* ids are case-insensitive: variants.check_student */
  }
  var pooled = [];
  function setStudent(course, id, from) {      /* from: the exercise whose bar set it (it keeps the focus) */
    window.SX_STUDENT = window.SX_STUDENT || {};
    window.SX_STUDENT[course] = id;
    try { if (id) localStorage.setItem(idKey(course), id); else localStorage.removeItem(idKey(course)); }
    catch (e) { /* file:// or private mode: kept for this page only */ }
    pooled.forEach(function (p) { if (p.course === course) p.apply(id, p.root === from); });
  }

  function exportAnswers(student, name, course) {
    var recs = store(name || student).get(), answers = {};
    for (var k in recs) {
      answers[k] = {answer: recs[k].answer, variant: recs[k].variant, attempts: recs[k].attempts};
      if (recs[k].fp) answers[k].fingerprint = recs[k].fp;      /* the question answered */
    }
    var data = {format: "1+1<1 answers", version: 1, student: student,
                exported: new Date().toISOString().replace(/\.\d+Z$/, "Z"), answers: answers};
    if (course) data.course = course;
    /* the commit the site was built from (book/op1_exercises.py): the grader names it when a
       question changed since */
    var built = document.querySelector('meta[name="op1-built"]');
    if (built && built.content) data.built = built.content;
    var blob = new Blob([JSON.stringify(data, null, 1)], {type: "application/json"});
    var a = document.createElement("a");
    a.href = URL.createObjectURL(blob);
    a.download = "answers-" + student + ".json";
    document.body.appendChild(a); a.click();
    setTimeout(function () { URL.revokeObjectURL(a.href); a.remove(); }, 1000);
  }

  function el(tag, cls, text) { var e = document.createElement(tag); if (cls) e.className = cls; if (text != null) e.textContent = text; return e; }

  function init(root) {
    if (root.getAttribute("data-sx-ready")) return;
    root.setAttribute("data-sx-ready", "1");
    var data = JSON.parse(root.querySelector("script.sx-data").textContent);
    var student = root.getAttribute("data-student"), id = root.getAttribute("data-exercise");
    var name = root.getAttribute("data-store") || student;
    var st = store(name), fb = root.querySelector(".sx-feedback"), rev = root.querySelector(".sx-reveal");
    var poolEl = root.querySelector("script.sx-pool"), course = root.getAttribute("data-course") || "", restore = null;
    if (poolEl) {
      var pool = JSON.parse(poolEl.textContent), book = {html: root.querySelector(".sx-body").innerHTML, data: data,
        key: (root.querySelector(".sx-key") || {}).outerHTML, student: student};
      course = pool.course || "";
      var bar = root.querySelector(".sx-student"), who = root.querySelector(".sx-who");
      var said = root.querySelector(".sx-sid-said");
      var apply = function (sid, here) {     /* show student sid's variant (the book's when sid is ""); here: */
                                             /* this exercise's bar set it -- focus and say what changed */
        var k = sid ? poolIndex(course, sid, id, pool.variants.length) : -1, v = k < 0 ? book : pool.variants[k];
        student = sid || book.student;
        name = sid ? (course ? course + "/" : "") + sid : book.student;
        root.setAttribute("data-student", student); root.setAttribute("data-store", name);
        root.setAttribute("data-variant", k < 0 ? "book" : String(k));
        st = store(name); data = v.data;
        root.querySelector(".sx-body").innerHTML = v.html;
        var keyEl = root.querySelector(".sx-key");
        if (keyEl && v.key) keyEl.outerHTML = v.key;
        who.textContent = sid ? " · variant " + (k + 1) + " of " + pool.variants.length + ", for " + sid : "";
        fb.querySelectorAll("span").forEach(function (e) { e.textContent = ""; }); fb.className = "sx-feedback"; rev.hidden = true; rev.innerHTML = "";
        root.removeAttribute("data-result");
        drawBar(sid);
        if (restore) restore();
        if (here) {
          // the control that was used is gone: the focus goes to the one drawn in its place, and a
          // screen reader hears what the exercise now shows (its prompt and choices changed)
          var next = bar.querySelector(sid ? ".sx-change" : ".sx-sid-input");
          if (next) next.focus();
          said.textContent = sid ? "Showing variant " + (k + 1) + " of " + pool.variants.length + ", for " + sid + "."
                                 : "Showing the book's own example.";
        }
      };
      var drawBar = function (sid) {
        bar.innerHTML = "";
        if (sid) {
          bar.appendChild(el("span", "", "Student: "));
          bar.appendChild(el("b", "sx-sid", sid));
          bar.appendChild(el("span", "sx-meta", course ? " (course " + course + ")" : ""));
          var ch = el("button", "sx-change", "Change");
          ch.type = "button";
          ch.setAttribute("aria-label", "Change student id");
          ch.addEventListener("click", function () { drawForm(sid); bar.querySelector(".sx-sid-input").focus(); });
          bar.appendChild(ch);
          return;
        }
        drawForm("");
      };
      var drawForm = function (sid) {
        bar.innerHTML = "";
        var lab = el("label", "", "Your student id "), inp = el("input", "sx-sid-input"), go = el("button", "sx-use", "Use it");
        inp.type = "text"; inp.size = 18; inp.value = sid; inp.setAttribute("autocomplete", "off");
        inp.setAttribute("aria-describedby", root.id + "-sid-msg");
        go.type = "button";
        lab.appendChild(inp); bar.appendChild(lab); bar.appendChild(go);
        /* the why is said once a page, by its first exercise: on a phone it took some 330 px in every one */
        var firstHere = pooled.filter(function (p) { return p.course === course; })[0];
        var full = !firstHere || firstHere.root === root;
        var msg = el("div", "sx-meta sx-sid-msg", sid ? "" : full ? "Enter the id your instructor gave you, once: every "
          + "exercise of the book then shows your own variant, and your export is graded for you. Until then "
          + "this is the book's own example, graded for nobody." : "");
        msg.id = root.id + "-sid-msg";
        msg.setAttribute("role", "status");
        bar.appendChild(msg);
        var use = function () {
          var v = inp.value.trim(), why = checkStudent(v);
          if (why) { msg.textContent = why; msg.classList.add("sx-bad"); inp.setAttribute("aria-invalid", "true"); inp.focus(); return; }
          setStudent(course, v.toLowerCase(), root);
        };
        go.addEventListener("click", use);
        inp.addEventListener("keydown", function (e) { if (e.key === "Enter") { e.preventDefault(); use(); } });
        inp.addEventListener("input", function () { inp.removeAttribute("aria-invalid"); });
      };
      pooled.push({course: course, apply: apply, root: root});
      apply(savedStudent(course));
    }
    function answer() {
      if (data.form === "config") {
        var o = {};
        root.querySelectorAll("select[data-option]").forEach(function (s) { o[s.getAttribute("data-option")] = s.value; });
        return o;
      }
      if (data.choices) {
        var c = root.querySelector("input[type=radio]:checked");
        return c ? c.value : "";
      }
      return root.querySelector("input.sx-input").value;
    }
    /* The checker's text, unchanged, in two parts: its verdict ("Right.", "Not if2:", after the
       ``skip`` characters of what says it was checked before), said by the status region, and
       the rest, shown right after it in the same box, not said: as one status of 834 characters,
       a screen reader said it whole after every Check. */
    function show(kind, text, skip) {
      fb.className = "sx-feedback sx-" + kind;
      var t = text.replace(/`([^`]+)`/g, "$1").replace(/\*\*([^*]+)\*\*/g, "$1");
      var k = skip || 0, first = t.slice(k).split("\n\n")[0], m = /^[\s\S]*?[.!?:](?=\s|$)/.exec(first);
      var cut = k + (m ? m[0] : first).length, v = fb.querySelector(".sx-verdict"), x = fb.querySelector(".sx-explain");
      if (!v || !x) { fb.textContent = t; return; }
      x.textContent = "";
      v.textContent = t.slice(0, cut);
      x.textContent = t.slice(cut);
    }
    /* Check answer ``a``: ``before`` -- the record of a check made earlier (a page loaded again
       shows it, as it was, and counts nothing), else a check now, recorded. */
    function judge(a, before) {
      var parsed = parse(a, data.form), norm = parsed[0], box = root.querySelector("input.sx-input");
      /* a typed answer that is not one, or no choice made, is marked invalid, described by what is
         wrong: the box, or each radio of the choices */
      (box ? [box] : Array.prototype.slice.call(root.querySelectorAll(".sx-choices input[type=radio]"))).forEach(function (b) {
        if (norm) { b.removeAttribute("aria-invalid"); b.removeAttribute("aria-describedby"); }
        else { b.setAttribute("aria-invalid", "true"); b.setAttribute("aria-describedby", fb.id); }
      });
      if (!norm) {
        root.setAttribute("data-result", "invalid");
        show("wrong", parsed[1] === "no answer" ? "Choose or type an answer first." : parsed[1].charAt(0).toUpperCase()
             + parsed[1].slice(1) + ".");
        return;
      }
      var h = hex(H(data.salt, "h", norm)), hit = null;
      data.accepted.forEach(function (p) { if (p[0] === h) hit = p; });
      var outcome = "";
      if (data.outcomes) {
        var oh = hex(H(data.salt, "h", "o|" + norm));
        if (data.outcomes[oh]) {
          outcome = dec.decode(xor(unb64(data.outcomes[oh]), H(data.salt, "k", "o|" + norm)));
          /* a count's why-not is a reference to one of its few texts, said once (model.shared_outcome) */
          var ref = /^#(\d+)$/.exec(outcome);
          if (ref && data.directions && +ref[1] < data.directions.length) outcome = data.directions[+ref[1]];
        } else if (data.start) {
          /* not an answer to a repair, so not counted -- as the grader counts it (grade.py) */
          var changed = Object.keys(data.start).filter(function (k) { return String(a[k]).toLowerCase() !== data.start[k]; });
          root.setAttribute("data-result", "invalid");
          show("wrong", "A repair changes exactly one setting; you changed " + changed.length
            + (changed.length ? " (" + changed.join(", ") + ")" : "") + ".");
          return;
        }
      }
      /* a count past the bound its prompt states (model.beyond): the prompt's bound, no answer */
      if (!outcome && data.most && data.form === "int" && /^\d{1,15}$/.test(norm) && +norm > data.most[0]) outcome = data.most[1];
      var said = "";
      /* loaded again: a right answer is the one the export keeps (checks after it explored); a
         wrong one is the last checked */
      var n = before && before.attempts > 1 ? " (" + before.attempts + " checks)" : "";
      if (before) said = (before.right ? "Your right answer, kept for your export" : "Your last answer, checked before") + n + ": ";
      else {
        var kept = st.record(id, a, data.salt, !!hit, fingerprint(data));
        /* a wrong answer checked after a right one: the right one is still the export's, and the
           page said so only once loaded again (a student's finding) */
        if (!hit && kept.right) said = "Your right answer" + (typeof kept.answer === "string" ? " (" + kept.answer + ")" : "")
          + " stays in your export; this one is not kept. ";
      }
      if (!hit) {
        root.setAttribute("data-result", "wrong");
        rev.hidden = true;
        show("wrong", said + (outcome ? outcome + "\n\n" : "Not this one. ") + data.hint, said.length);
        return;
      }
      var content = xor(unb64(hit[1]), H(data.salt, "k", norm));
      var secret = JSON.parse(dec.decode(xor(unb64(data.secret), content)));
      root.setAttribute("data-result", "right");
      show("right", said + (outcome || "Right.") + "\n\n" + secret.explanation, said.length);
      if (secret.reveal && secret.reveal.length) {
        rev.innerHTML = "";
        rev.appendChild(el("div", "sx-reveal-title", "The events that decide it:"));
        var base = root.getAttribute("data-replays");
        if (secret.replay && base) {      /* the replay, a separate file, opened at the deciding event */
          var fr = document.createElement("iframe"), own = el("a", "sx-replay-open", "Open this replay in its own page");
          own.href = base + secret.replay;
          fr.className = "sx-replay"; fr.src = base + secret.replay; fr.loading = "lazy";
          fr.title = "Replay of this run, at the event that decides it";
          rev.appendChild(own);
          if (navigator.onLine === false) {
            /* offline: the frame would show the browser's "no connection" page; it comes once online,
               or at once if this device keeps it (the site's service worker keeps a replay shown
               online, as it keeps a page read: a right answer checked before, the page reloaded on
               the train) */
            var off = el("p", "sx-replay-offline", "This replay is a file of the site, fetched when it is " +
              "shown, and this device is offline: it appears here once you are connected. The events " +
              "that decide it are below.");
            rev.appendChild(off);
            var showFrame = function () { if (off.parentNode) off.parentNode.replaceChild(fr, off); };
            window.addEventListener("online", showFrame, {once: true});
            if (window.caches && navigator.serviceWorker && navigator.serviceWorker.controller)
              caches.match(fr.src).then(function (kept) { if (kept) showFrame(); }, function () {});
          } else rev.appendChild(fr);
        }
        if (secret.svg) { var fig = el("div", "sx-svg"); fig.innerHTML = secret.svg; rev.appendChild(fig); }
        rev.appendChild(el("pre", "sx-trace", secret.reveal.join("\n")));
        rev.hidden = false;
      }
    }
    /* The answer this browser last checked for this variant, put back in the controls and
       judged again: a page loaded again shows what was done on it. */
    restore = function () {
      var rec = st.get()[id];
      /* an answer to another question of this variant (an older page's) is not this one's */
      if (!rec || rec.variant !== data.salt || rec.answer === undefined) return;
      if ((rec.fp || "") !== fingerprint(data)) return;
      var a = rec.answer;
      if (data.form === "config") {
        root.querySelectorAll("select[data-option]").forEach(function (s) {
          var v = a[s.getAttribute("data-option")];
          if (v !== undefined) s.value = String(v);
        });
      } else if (data.choices) {
        root.querySelectorAll("input[type=radio]").forEach(function (r) { r.checked = r.value === a; });
      } else {
        var inp = root.querySelector("input.sx-input");
        if (inp) inp.value = a;
      }
      judge(a, rec);
    };
    root.querySelector(".sx-check").addEventListener("click", function () { judge(answer(), null); });
    /* Enter in the answer box, or on a choice, checks the answer, as in a form (it did nothing: a
       keyboard user had to go on to Check); the box is found when the key comes, a student's variant
       draws a new one */
    root.addEventListener("keydown", function (e) {
      if (e.key !== "Enter" || e.isComposing || !e.target.matches
          || !e.target.matches("input.sx-input, input[type=radio]")) return;
      e.preventDefault();
      judge(answer(), null);
    });
    restore();
    root.querySelector(".sx-export").addEventListener("click", function () {
      /* a file the grader would refuse or credit to nobody is not written: say why instead */
      var say = function (kind, text) { var m = root.querySelector(".sx-export-msg"); m.className = "sx-export-msg sx-" + kind; m.textContent = text; };
      if (poolEl && !root.querySelector(".sx-sid")) {
        say("wrong", "Enter your student id above first: without it, these are the book's own examples, " +
             "graded for nobody, and the file would carry none of your answers.");
        return;
      }
      /* the book's own example with no id box (Exercise(id) in a notebook, a page made without a
         student): its file, answers-book.json, is no student's (grade --student ID refuses it) */
      if (!poolEl && student === "book") {
        say("wrong", "This is the book's own example, graded for nobody, so no file is written: for graded " +
             "work, answer your own variant, in a notebook with Exercise(\"" + id + "\", student=\"your id\") " +
             "or on the page your instructor made for you.");
        return;
      }
      var n = Object.keys(st.get()).length;
      if (!n) {
        say("wrong", "Nothing to export yet for " + student + ": check an answer first (the file holds the " +
             "answers this browser has checked, on every chapter's page).");
        return;
      }
      exportAnswers(student, name, course);
      /* the file may go in with some of this page's exercises left: say which, by their titles */
      var recs = st.get(), here = [], open = [];
      document.querySelectorAll(".sx-exercise[data-exercise]").forEach(function (r) {
        var k = r.getAttribute("data-exercise"), h = r.querySelector("h3");
        if (here.indexOf(k) >= 0) return;
        here.push(k);
        if (!recs[k] || recs[k].answer === undefined)
          open.push(h && h.firstChild ? h.firstChild.textContent.trim() : k);
      });
      say("right", "Saved " + n + " answer" + (n === 1 ? "" : "s") + " for " + student +
           " as answers-" + student + ".json in your downloads: hand in that file. " +
           (here.length - open.length) + " of this page's " + here.length + " exercise" +
           (here.length === 1 ? "" : "s") + " answered" +
           (open.length ? "; not answered: " + open.join(", ") + "." : "."));
    });
  }

  window.SX = {sha256: sha256, hex: hex, parse: parse, normalise: normalise, fingerprint: fingerprint, init: init,
               exportAnswers: exportAnswers, store: store,
               poolIndex: poolIndex, checkStudent: checkStudent, setStudent: setStudent,
               initAll: function () { document.querySelectorAll("[data-exercise]").forEach(init); }};
})();
"""
