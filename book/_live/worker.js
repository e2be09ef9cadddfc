// The live panel's Web Worker (a module): Pyodide runs the simulator (the package `sim`,
// unpacked from sim.zip, and scapy's pure-Python wheel for the packet pane and the pcapng),
// Graphviz compiled to WebAssembly draws its DOT.  Both live here, in one thread, because
// Python calls the renderer synchronously while it builds a replay; the page only inserts
// the finished HTML, so it never freezes.  Everything is fetched from this folder.
import { loadPyodide } from "./pyodide/pyodide.mjs";
import { Graphviz } from "./graphviz.mjs";

let boot = null;
const printed = [];

async function bytes(url) {
  const r = await fetch(new URL(url, import.meta.url));
  if (!r.ok) throw new Error(`${url}: HTTP ${r.status}`);
  return new Uint8Array(await r.arrayBuffer());
}

async function start(id) {
  postMessage({ id, status: "loading Python…" });
  const manifest = await (await fetch(new URL("manifest.json", import.meta.url))).json();
  const keep = (s) => { printed.push(s); if (printed.length > 50) printed.shift(); };
  const [py, gv, ...archives] = await Promise.all([
    loadPyodide({ indexURL: new URL("pyodide/", import.meta.url).href, stdout: keep, stderr: keep }),
    Graphviz.load(),
    ...manifest.archives.map((a) => bytes(a.file)),
  ]);
  postMessage({ id, status: "loading the simulator…" });
  for (const a of archives) py.unpackArchive(a, "zip", { extractDir: "/op1" });
  py.runPython(`
import logging, sys
sys.path.insert(0, "/op1")
logging.getLogger("scapy").setLevel(logging.CRITICAL + 1)   # "does not support emscripten": no I/O is used here
import scapy.layers.inet
`);
  const inpage = py.pyimport("sim.view.inpage");
  inpage.use_renderer((dot) => gv.layout(dot, "svg", "dot"));
  return inpage;
}

onmessage = async (e) => {
  const m = e.data;
  try {
    if (!boot) boot = start(m.id);
    let inpage;
    try { inpage = await boot; } catch (err) { boot = null; throw err; }
    postMessage({ id: m.id, status: "running…" });
    const run = JSON.parse(inpage.run(m.scenario, m.fixed, m.values, m.limits));
    if (run.error) { postMessage({ id: m.id, error: run.error }); return; }
    postMessage({ id: m.id, status: `drawing ${run.events} events…` });
    const drawn = JSON.parse(inpage.draw(m.title, m.maxSteps));
    postMessage({ id: m.id, ...drawn, events: run.events, runMs: run.ms });
  } catch (err) {
    const why = String((err && err.message) || err).trim().split("\n").pop();
    postMessage({ id: m.id, fail: why });
  }
};
