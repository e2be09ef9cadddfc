// Runs the simulator's command line under Pyodide in node, for tests/test_inpage.py:
//   node tests/pyodide_run.mjs SIM_ZIP 'JSON list of argv lists'
// prints one JSON line per run: {"argv", "rc", "sha256", "bytes"} of what it wrote to stdout.
import { loadPyodide } from "../node_modules/pyodide/pyodide.mjs";
import { readFileSync } from "node:fs";

const [zipPath, runs] = process.argv.slice(2);
const py = await loadPyodide({ stdout: () => {}, stderr: (s) => process.stderr.write(s + "\n") });
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
