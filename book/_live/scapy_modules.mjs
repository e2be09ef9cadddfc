// Build-time only (book/op1_inpage.py runs it under node; never shipped): which of scapy's files
// the live replays import under Pyodide.  scapy is unpacked from its wheel, and every scenario's
// packets are built, dissected for the packet pane and written as a pcapng, as the page's worker
// does; prints the files (relative to the wheel's root) of the scapy modules then loaded, as JSON.
//   node book/_live/scapy_modules.mjs PYODIDE_DIR SIM_ZIP SCAPY_WHEEL STDLIB_ZIP
// With the standard library the site ships (STDLIB_ZIP): a module it lacks stops the build here.
import { readFileSync } from "node:fs";
import { pathToFileURL } from "node:url";

const [pyodideDir, simZip, wheel, stdLibURL] = process.argv.slice(2);
const { loadPyodide } = await import(pathToFileURL(`${pyodideDir}/pyodide.mjs`).href);
const py = await loadPyodide({ stdLibURL, stdout: () => {}, stderr: (s) => process.stderr.write(s + "\n") });
for (const f of [simZip, wheel]) py.unpackArchive(new Uint8Array(readFileSync(f)), "zip", { extractDir: "/op1" });
console.log(py.runPython(`
import json, logging, os, sys
sys.path.insert(0, "/op1")
os.makedirs("/usr/share/wireshark", exist_ok=True)        # as the worker: no MAC vendor list
open("/usr/share/wireshark/manuf", "w").close()
logging.getLogger("scapy").setLevel(logging.CRITICAL + 1)
from sim import scenarios
from sim.pcap import pcapng_bytes
from sim.view.pktpane import pane
for name in scenarios.SCENARIOS:                 # every kind of packet: its first 40
    r = scenarios.run(name, seed=1)
    hops = [i for i, e in enumerate(r.events) if e.pkt is not None][:40]
    for i in hops:
        pane(r, i)
    pcapng_bytes(r, hops)
files = sorted({os.path.relpath(m.__file__, "/op1") for n, m in list(sys.modules.items())
                if n.split(".")[0] == "scapy" and getattr(m, "__file__", None)})
json.dumps(files)
`));
