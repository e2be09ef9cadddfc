// Build-time only (book/op1_inpage.py runs it under node; never shipped): Pyodide started,
// the simulator imported, and the interpreter's memory saved as a gzipped snapshot.  The
// page's worker restores it instead of starting Python and importing `sim`, which were most
// of a cold Run's time (start-up and compiling every module run as WebAssembly the browser
// has not optimised yet).
//   node book/_live/snapshot.mjs PYODIDE_DIR STDLIB_ZIP BASE SIM_ZIP SIM_KEY OUT.gz [SCAPY_ZIP OUT.json]
//   node book/_live/snapshot.mjs --base PYODIDE_DIR STDLIB_ZIP BASE
// BASE: Pyodide's memory just after its start-up (a snapshot, not gzipped), which depends only
// on the installed packages: made once at install time (--base; op1_inpage.python_base), then
// restored by both interpreters here instead of starting Python (0.3-0.5 s of CPU for 2.3-3.4).
// STDLIB_ZIP: the one the site ships (the snapshot holds its directory, so they must match);
// SIM_ZIP: the site's sim.zip, SIM_KEY its hash, kept in the snapshot as sys._op1_sim: the
// worker restores the snapshot only if it matches the sim.zip it fetched.
// Which modules: those a run and its first frame import, found by a first interpreter that
// runs and draws every scenario (Graphviz drawing; its state is thrown away with it); scapy, imported when the
// first packet is drawn, stays out (6 MB more).
// With SCAPY_ZIP (scapy's wheel with its bytecode: op1_inpage.scapy_bytecode, so that its
// modules are not compiled again here), the first interpreter then also finds which of scapy's
// files the live replays import: scapy unpacked, every scenario's first 40 packets built,
// dissected for the packet pane and written as a pcapng, as the page's worker does, from the
// run the first scan made (the same parameters and seed give the same run); those files
// (relative to the wheel's root) are written to OUT.json as a JSON list.  One interpreter for
// both scans: Pyodide's start-up and importing the simulator are half of each.
// With the standard library the site ships (STDLIB_ZIP): a module it lacks stops the build here.
import { readFileSync, writeFileSync, renameSync } from "node:fs";
import { gzipSync } from "node:zlib";
import { pathToFileURL } from "node:url";

const makeBase = process.argv[2] === "--base";
const [pyodideDir, stdLibURL, base, simZip, simKey, out, scapyZip, scapyOut] = process.argv.slice(makeBase ? 3 : 2);
const { loadPyodide } = await import(pathToFileURL(`${pyodideDir}/pyodide.mjs`).href);
const quiet = { stdLibURL, stdout: () => {}, stderr: (s) => process.stderr.write(s + "\n") };
if (makeBase) {
  const py = await loadPyodide({ ...quiet, _makeSnapshot: true });
  writeFileSync(base + ".part", py.makeMemorySnapshot());
  renameSync(base + ".part", base);
  process.exit(0);
}
const started = new Uint8Array(readFileSync(base));
const sim = new Uint8Array(readFileSync(simZip));
// Pyodide puts "" in front of sys.path at each start, a restored one too: the base has it already
const SETUP = `
import sys
if sys.path[:2] == ["", ""]:
    del sys.path[0]
if "/op1" not in sys.path:
    sys.path.insert(0, "/op1")
`;

const { Graphviz } = await import(pathToFileURL(`${pyodideDir}/../@hpcc-js/wasm-graphviz/dist/index.js`).href);
const gv = await Graphviz.load();
const scan = await loadPyodide({ ...quiet, _loadSnapshot: started });
scan.globals.set("op1_layout", (dot) => gv.layout(dot, "svg", "dot"));
scan.unpackArchive(sim, "zip", { extractDir: "/op1" });
scan.runPython(SETUP);
const used = JSON.parse(scan.runPython(`
import json, sys
before = set(sys.modules)
from sim import scenarios
from sim.view import inpage, _dot
inpage.use_renderer(op1_layout)
runs = {}                                        # kept for the scan of scapy's files
for name in sorted(scenarios.SCENARIOS):
    if "error" not in json.loads(inpage.run(name, "{}", "{}")):
        runs[name] = inpage._last["result"]
        inpage.draw(name, 200)
mods = sorted(m for m in set(sys.modules) - before if m.split(".")[0] not in ("scapy", "js", "pyodide"))
assert "scapy" not in " ".join(m.split(".")[0] for m in mods)
json.dumps(mods)
`));
if (scapyZip) {
  scan.unpackArchive(new Uint8Array(readFileSync(scapyZip)), "zip", { extractDir: "/op1" });
  writeFileSync(scapyOut + ".part", scan.runPython(`
import json, logging, os, sys
os.makedirs("/usr/share/wireshark", exist_ok=True)        # as the worker: no MAC vendor list
open("/usr/share/wireshark/manuf", "w").close()
logging.getLogger("scapy").setLevel(logging.CRITICAL + 1)
from sim import scenarios
from sim.pcap import pcapng_bytes
from sim.view.pktpane import pane
for name in scenarios.SCENARIOS:                 # every kind of packet: its first 40
    same = name in runs and scenarios.make_params(name) == scenarios.make_params(name, seed=1)
    r = runs[name] if same else scenarios.run(name, seed=1)
    hops = [i for i, e in enumerate(r.events) if e.pkt is not None][:40]
    for i in hops:
        pane(r, i)
    pcapng_bytes(r, hops)
files = sorted({os.path.relpath(m.__file__, "/op1") for n, m in list(sys.modules.items())
                if n.split(".")[0] == "scapy" and getattr(m, "__file__", None)})
json.dumps(files)
`) + "\n");
  renameSync(scapyOut + ".part", scapyOut);
}

const py = await loadPyodide({ ...quiet, _loadSnapshot: started, _makeSnapshot: true });
py.unpackArchive(sim, "zip", { extractDir: "/op1" });
py.runPython(SETUP);
py.globals.set("op1_used", JSON.stringify(used));
py.globals.set("op1_key", simKey);
py.runPython(`
import importlib, json, sys
for m in json.loads(op1_used):
    importlib.import_module(m)
sys._op1_sim = op1_key
del op1_used, op1_key
import gc; gc.collect()
`);
// gzip's level 6: 0.7 % more bytes than level 9 (6.72 MB for 6.67), a quarter of its time
// (0.5 s of CPU for 2.2); a larger memLevel made it bigger
writeFileSync(out + ".part", gzipSync(py.makeMemorySnapshot(), { level: 6 }));
renameSync(out + ".part", out);
process.stderr.write(`snapshot: ${used.length} modules imported\n`);
