// Runs the simulator's command line under Pyodide in node, for tests/test_inpage.py:
//   node tests/pyodide_run.mjs SIM_ZIP 'JSON list of argv lists' [SNAPSHOT_GZ STDLIB_ZIP]
// prints one JSON line per run: {"argv", "rc", "sha256", "bytes"} of what it wrote to stdout.
// With a snapshot (the site's, made by book/_live/snapshot.mjs), Python is restored from it as
// the page's worker does, and a first line says what it held: {"sim": sys._op1_sim, "modules"}.
import { loadPyodide } from "../node_modules/pyodide/pyodide.mjs";
import { readFileSync } from "node:fs";
import { gunzipSync } from "node:zlib";

const [zipPath, runs, snapshot, stdLibURL] = process.argv.slice(2);
const opts = { stdout: () => {}, stderr: (s) => process.stderr.write(s + "\n") };
const py = await loadPyodide(snapshot
  ? { ...opts, stdLibURL, _loadSnapshot: new Uint8Array(gunzipSync(readFileSync(snapshot))) } : opts);
if (snapshot) {
  console.log(py.runPython(`import json, sys
json.dumps({"sim": getattr(sys, "_op1_sim", None), "modules": sorted(m for m in sys.modules if m.split(".")[0] == "sim")})`));
}
py.unpackArchive(new Uint8Array(readFileSync(zipPath)), "zip", { extractDir: "/op1" });
py.runPython("import sys; sys.path.insert(0, '/op1')");
const run = py.runPython(`
import contextlib, hashlib, io, json
from sim.__main__ import main
def run(argv):
    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        rc = main(list(argv))
    data = out.getvalue().encode()
    return json.dumps({"argv": list(argv), "rc": rc, "sha256": hashlib.sha256(data).hexdigest(),
                       "bytes": len(data), "python": sys.version.split()[0], "platform": sys.platform})
run
`);
for (const argv of JSON.parse(runs)) console.log(run(argv));
