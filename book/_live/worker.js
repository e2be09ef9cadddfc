// The live panel's Web Worker (a module): Pyodide runs the simulator (the package `sim`,
// unpacked from sim.zip, and scapy for the packet pane and the pcapng, imported when the first
// packet is drawn, after the replay is shown at its first step),
// Graphviz compiled to WebAssembly draws its DOT.  Both live here, in one thread, because
// Python calls the renderer synchronously while it builds a replay; the page only inserts
// the finished HTML, so it never freezes.  Everything is fetched from this folder, the modules
// too (imported when Python starts, so that a failed download is named: ``load``).

let boot = null;
let pyodide = null;
// The Run waiting for Python to start, told each stage (null: started ahead of any Run, when
// the reader first changed a parameter), the stage start() is at, and how Python started, told
// once, with the first Run's reply.
let bootFor = null;
let stage = "";
let stageFetched = false;             // every download of the start done (the stage computes)
let python = null;
const later = [];                     // archives to unpack after the first frame
const printed = [];

function unpackLater() {
  if (!later.length) return;
  for (const a of later.splice(0)) pyodide.unpackArchive(a, "zip", { extractDir: "/op1" });
  pyodide.runPython("op1_refresh()");
}

// Every file is fetched from this folder, the modules too, counted as it arrives (the page is
// told the progress: its watchdog takes a long silence for a download that stalled, so a slow
// download that still moves must be heard) and, when it fails, named (a reader on a patchy
// connection is told which download failed, not "Failed to fetch").
// Pyodide's own fetches (its WebAssembly, its standard library) come here too, through
// self.fetch below; a failure of one of those is thrown inside Pyodide's instantiation, which
// then never settles: it goes to ``lost`` as well (set by each start(), which races it).
const fetchFile = self.fetch.bind(self);
const HERE = new URL("./", import.meta.url).href;
let lost = () => {};
let received = 0, toldAt = 0, toldLater = null;

// The error of a file of this folder that did not arrive, named (its ``file`` says which).
function lostFile(file, why, verb = "fetched") {
  const e = new Error(`${file} could not be ${verb} (${oneLine(why)})`);
  e.file = file;
  return e;
}

function gone(err) {
  lost(err);
  return err;
}

function counted(r, file) {
  const body = r.body.getReader();
  return new ReadableStream({
    async pull(c) {
      let part;
      try { part = await body.read(); }
      catch (err) { c.error(gone(lostFile(file, err))); return; }
      if (part.done) { c.close(); return; }
      received += part.value.length;
      progress();
      c.enqueue(part.value);
    },
    cancel(why) { return body.cancel(why); },
  });
}

// The bytes received, told to the page at most once a second, the last count always (told at
// the end of its second): the page shows it out of its live region, which says only the stages.
function progress() {
  if (toldLater) return;
  const wait = Math.max(0, toldAt + 1000 - performance.now());
  toldLater = setTimeout(() => {
    toldLater = null;
    toldAt = performance.now();
    if (bootFor !== null) postMessage({ id: bootFor, received });
  }, wait);
}

async function get(file, init) {
  let r;
  try { r = await fetchFile(new URL(file, HERE), init); }
  catch (err) {
    // no answer from the site (offline, say): the copy the browser keeps, however old, if it has
    // one (the simulator's snapshot is checked against the manifest all the same)
    try { r = await fetchFile(new URL(file, HERE), Object.assign({}, init, { cache: "force-cache" })); }
    catch (_) { throw gone(lostFile(file, err)); }
  }
  if (!r.ok) throw gone(lostFile(file, `HTTP ${r.status}`));
  return new Response(counted(r, file), { status: r.status, headers: r.headers });
}

// pyodide.asm.wasm is in the site gzipped (a third of its size).  Pyodide fetches it by that
// name, so this one fetch is answered with the .gz file unzipped as it arrives: the browser
// still compiles the WebAssembly while it streams.
self.fetch = (resource, init) => {
  const url = String(resource instanceof Request ? resource.url : resource);
  if (!url.startsWith(HERE)) return fetchFile(resource, init);
  const file = url.slice(HERE.length);
  if (!file.endsWith("pyodide.asm.wasm")) return get(file, init);
  return get(`${file}.gz`).then((r) => new Response(unzipped(r, `${file}.gz`),
                                                    { headers: { "Content-Type": "application/wasm" } }));
};

// A gzipped file unzipped as it arrives.  One that is not gzip (a captive portal's page, sent
// with 200 OK) or is cut short fails here, named at once: inside Pyodide's instantiation the
// error would be lost (it never settles), and the watchdog would blame the connection.
function unzipped(r, file) {
  const body = r.body.pipeThrough(new DecompressionStream("gzip")).getReader();
  return new ReadableStream({
    async pull(c) {
      let part;
      try { part = await body.read(); }
      catch (err) { c.error(gone(err.file ? err : lostFile(file, err, "unzipped"))); return; }
      if (part.done) c.close(); else c.enqueue(part.value);
    },
    cancel(why) { return body.cancel(why); },
  });
}

// A module of this folder, imported when Python starts.  Its text is fetched through get(),
// counted as the rest (import() tells nothing while it downloads: graphviz.mjs and
// pyodide.asm.mjs are 2 MB, a minute on a slow phone's connection), then imported from a Blob
// URL: these modules import no file of their own by a relative URL (Pyodide finds its files at
// indexURL).  A failure names the file.
async function load(file) {
  const text = await (await get(file)).text();
  const url = URL.createObjectURL(new Blob([text], { type: "text/javascript" }));
  try { return await import(url); }
  catch (err) { throw gone(lostFile(file, err, "loaded")); }
  finally { URL.revokeObjectURL(url); }
}

async function bytes(url) {
  return new Uint8Array(await (await get(url)).arrayBuffer());
}

// The snapshot of Python's memory made at build time (book/_live/snapshot.mjs), unzipped as it
// arrives; restoring it skips the interpreter's start-up and importing the simulator (the
// archives are still unpacked: what the snapshot lacks, scapy, is imported from them).
// null: start Python from scratch.
async function snapshot(file) {
  if (!file || !self.DecompressionStream) return null;
  const r = await get(file);
  return new Uint8Array(await new Response(r.body.pipeThrough(new DecompressionStream("gzip"))).arrayBuffer());
}

// Why a snapshot was not used, in one line: a Python traceback's last (the exception), else the
// first (Pyodide's "Snapshot build id mismatch" is followed by the two ids).
function oneLine(err) {
  const lines = String((err && err.message) || err).trim().split("\n");
  return (lines[0].startsWith("Traceback") ? lines[lines.length - 1] : lines[0]).trim().replace(/\.$/, "");
}

// The stage of Python's start, told to the Run waiting for it; ``fetched``: every download done
// (then with the bytes received, the last count).
function tell(status, fetched = false) {
  stage = status;
  stageFetched = fetched;
  if (fetched) { clearTimeout(toldLater); toldLater = null; }
  if (bootFor !== null) postMessage({ id: bootFor, status, fetched, ...(fetched ? { received } : {}) });
}

async function start() {
  if (!self.DecompressionStream) {
    throw new Error("this browser cannot unzip a download as it arrives (DecompressionStream, in every "
                    + "browser since 2023): the live replay needs a newer browser");
  }
  received = 0;                       // (a start that failed is begun again: its files fetched again)
  tell("loading Python…");
  // a download failing ends this start, whichever loadPyodide is waiting for it
  const failed = new Promise((_, reject) => { lost = reject; });
  failed.catch(() => {});
  const orLost = (p) => Promise.race([p, failed]);
  // Pyodide's own module, given to it (createPyodideModule, in pyodide.d.ts's ConfigType), so that
  // it is fetched here, counted, and not imported by Pyodide
  const [{ loadPyodide }, { Graphviz }, { default: createPyodideModule }] = await orLost(Promise.all(
    [load("pyodide/pyodide.mjs"), load("graphviz.mjs"), load("pyodide/pyodide.asm.mjs")]));
  const manifest = await (await get("manifest.json")).json();
  const keep = (s) => { printed.push(s); if (printed.length > 50) printed.shift(); };
  const opts = { indexURL: new URL("pyodide/", import.meta.url).href, stdout: keep, stderr: keep,
                 createPyodideModule };
  const snap = snapshot(manifest.snapshot);
  const gvP = Graphviz.load();
  const archivesP = Promise.all(manifest.archives.map((a) => bytes(a.file)));
  archivesP.catch(() => {});          // (awaited below; a failure also ends the start at once)
  let py;
  // how Python started, told to the page (which shows it): {snapshot: true}, or false and why
  python = { snapshot: true };
  try {
    const s = await snap;
    if (!s) throw new Error("the site has no snapshot");
    py = await orLost(loadPyodide({ ...opts, _loadSnapshot: s }));
    // the snapshot has the simulator imported: use it only with the sim.zip it was made from
    const made = py.runPython("import sys; getattr(sys, '_op1_sim', None)");
    if (made !== manifest.sim) throw new Error(`made for sim.zip ${made}, not ${manifest.sim}`);
  } catch (err) {            // a snapshot this browser cannot restore: start Python the slow way
    if (err && err.file) throw err;        // a download that failed: the network, not the snapshot
    python = { snapshot: false, why: oneLine(err) };
    py = await orLost(loadPyodide(opts));
  }
  const [gv, archives] = await orLost(Promise.all([gvP, archivesP]));
  tell("loading the simulator…", true);
  // an archive marked "later" (scapy.zip: first imported when a packet is drawn) is unpacked
  // once the first frame is out (unpackLater)
  manifest.archives.forEach((a, i) => {
    if (a.later) later.push(archives[i]); else py.unpackArchive(archives[i], "zip", { extractDir: "/op1" });
  });
  pyodide = py;
  py.runPython(`
import logging, os, sys
# the snapshot's finders for /op1 saw it before this worker unpacked there; only those are
# refreshed: importlib.invalidate_caches() would re-read the standard library's zip (0.5 s)
def op1_refresh():
    for path, finder in list(sys.path_importer_cache.items()):
        if path.startswith("/op1") and finder is not None:
            finder.invalidate_caches()
op1_refresh()
if "/op1" not in sys.path:
    sys.path.insert(0, "/op1")
logging.getLogger("scapy").setLevel(logging.CRITICAL + 1)   # "does not support emscripten": no I/O is used here
# scapy reads Wireshark's list of MAC vendors where there is one, else parses its own copy (0.9 MB,
# not shipped: the replays' packets are IP, with no MAC address to name)
os.makedirs("/usr/share/wireshark", exist_ok=True)
open("/usr/share/wireshark/manuf", "w").close()
`);
  const inpage = py.pyimport("sim.view.inpage");
  inpage.use_renderer((dot) => gv.layout(dot, "svg", "dot"));
  stage = "";
  if (bootFor === null) postMessage({ id: null, python });     // ready before any Run
  return inpage;
}

// Python is started (once), for the Run ``id`` or, with null, ahead of any Run.  A start that
// failed is forgotten, so the next Run tries again and says why it failed.
function booted(id) {
  if (id !== null) bootFor = id;
  if (!boot) {
    const b = start();
    boot = b;
    b.catch(() => { if (boot === b) boot = null; });
  } else if (id !== null && stage) {
    postMessage({ id, status: stage, fetched: stageFetched });   // already on its way: where it is
  }
  return boot;
}

// The replays being filled in, by their run's id (the newest last): the steps each one's player
// asked for, the next in order, those sent.  A Run does not stop the filling of the replays
// before it (the page keeps them, and their readers may still step through them): their steps
// come after the new replay's, and before any, a step a reader went to.  Python keeps the
// frames of as many runs of each panel (inpage.KEEP_RUNS, as many as a panel keeps).
const runs = new Map();
let pumping = false;
const BATCH = 4;                      // steps drawn between two looks at the message queue

// The next steps to draw: a step asked for (the most recent ask first), else the newest
// replay's next in order, else an older one's.
function pick() {
  let cur = null;
  for (const r of runs.values()) if (r.want.length && (!cur || r.asked > cur.asked)) cur = r;
  if (!cur) cur = [...runs.values()].pop();
  if (!cur) return null;
  const ks = cur.want.filter((k) => !cur.done.has(k)).slice(0, BATCH);
  while (ks.length < BATCH && cur.next < cur.steps) {
    if (!cur.done.has(cur.next) && !ks.includes(cur.next)) ks.push(cur.next);
    cur.next++;
  }
  cur.want = cur.want.filter((k) => !cur.done.has(k) && !ks.includes(k));
  return [cur, ks];                   // none: every step sent, its downloads now
}

async function pump(inpage) {
  if (pumping) return;
  pumping = true;
  try {
    for (let got = pick(); got; got = pick()) {
      const [cur, ks] = got;
      ks.forEach((k) => cur.done.add(k));
      try {
        if (ks.length) postMessage({ id: cur.id, fill: JSON.parse(inpage.fill(JSON.stringify(ks), cur.id)) });
        else {
          runs.delete(cur.id);
          // the replay's files, and the whole run's (its pcapng's bytes and its trace's text, as
          // python -m sim run writes them: the page makes them files)
          const t0 = performance.now();
          const downloads = JSON.parse(inpage.downloads(cur.id)).html;
          // (none for a run of too many events: its downloads say so)
          const got = inpage.whole(cur.id);
          if (got === undefined || got === null) postMessage({ id: cur.id, downloads });
          else {
            let pcapng, trace;
            try { [pcapng, trace] = got.toJs(); } finally { got.destroy(); }
            const ms = Math.round(performance.now() - t0);
            postMessage({ id: cur.id, downloads, whole: { pcapng, trace, ms } });
          }
        }
      } catch (err) {
        runs.delete(cur.id);
        postMessage({ id: cur.id, fillFail: oneLine(err) });
      }
      await new Promise((r) => setTimeout(r, 0));     // a new Run or a step asked for comes first
    }
  } finally {
    pumping = false;
  }
}
let asks = 0;                        // the order of the steps asked for

onmessage = async (e) => {
  const m = e.data;
  if (m.need !== undefined) {                         // the reader went to a step not drawn yet
    const cur = runs.get(m.id);
    if (cur) { cur.want.unshift(m.need); cur.asked = ++asks; }
    return;
  }
  if (m.forget !== undefined) {                       // the page let that replay go
    runs.delete(m.forget);
    if (pyodide) pyodide.pyimport("sim.view.inpage").forget(m.forget);
    return;
  }
  if (m.ahead) {                                      // a parameter changed: Python starts now
    let inpage;
    try { inpage = await booted(null); } catch (err) { return; }   // (a Run that comes says why)
    // then, unless a Run came meanwhile, what only a first replay pays for, a part at a time
    // (a Run that comes is taken between two): Graphviz's first layout (50 ms), then scapy
    // (0.6 s, which a Run pays after its first frame)
    try {
      for (const part of ["diagrams", "packets"]) {
        await new Promise((r) => setTimeout(r, 0));
        if (bootFor !== null) return;
        if (part === "packets") unpackLater();
        inpage.warm(part);
      }
      console.info("live panel: Graphviz and scapy loaded ahead of Run");
    } catch (err) {                                   // the Run pays for them, as it would have
      console.error(`live panel: not loaded ahead of Run: ${oneLine(err)}`);
    }
    return;
  }
  let inpage;
  try {
    inpage = await booted(m.id);
  } catch (err) {                       // a download failed: the next Run fetches it again
    postMessage({ id: m.id, fail: `Python could not start: ${oneLine(err)}`, retry: true });
    return;
  }
  try {
    postMessage({ id: m.id, status: "running…", python, running: true });
    python = null;
    const run = JSON.parse(inpage.run(m.scenario, m.fixed, m.values, m.limits, m.preset || "{}"));
    if (run.error) { postMessage({ id: m.id, error: run.error, errors: run.errors }); return; }
    postMessage({ id: m.id, status: `drawing ${run.events} events…` });
    const drawn = JSON.parse(inpage.draw(m.title, m.maxSteps, m.startAt || "null", m.id, m.panel));
    postMessage({ id: m.id, ...drawn, events: run.events, runMs: run.ms });
    if (drawn.error) return;
    unpackLater();
    runs.set(m.id, { id: m.id, panel: m.panel, steps: drawn.steps, want: [], next: 0, done: new Set(), asked: 0 });
    // as many of this panel's as Python keeps: an older one's frames are gone (its panel has
    // let it go too); another panel's replays are not counted
    const mine = [...runs.values()].filter((r) => r.panel === m.panel);
    for (const r of mine.slice(0, -inpage.KEEP_RUNS)) runs.delete(r.id);
    pump(inpage).catch((err) => console.error(`live panel: ${oneLine(err)}`));
  } catch (err) {
    postMessage({ id: m.id, fail: oneLine(err) });
  }
};
