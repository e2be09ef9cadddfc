// Build-time only (book/op1_inpage.py runs it under node; never shipped): Pyodide started once
// and the interpreter's memory saved as a gzipped snapshot.  The page's worker restores it
// instead of starting Python from scratch, which was most of a cold Run's time (the
// interpreter's start-up runs as WebAssembly the browser has not optimised yet).
//   node book/_live/snapshot.mjs PYODIDE_DIR STDLIB_ZIP OUT.gz
// (STDLIB_ZIP: the one the site ships; the snapshot holds its directory, so they must match.)
// Nothing of the simulator is in it (importing sim would add 0.65 MB to the site, scapy 6 MB):
// the snapshot depends on Pyodide alone.
import { writeFileSync, renameSync } from "node:fs";
import { gzipSync } from "node:zlib";
import { pathToFileURL } from "node:url";

const [pyodideDir, stdLibURL, out] = process.argv.slice(2);
const { loadPyodide } = await import(pathToFileURL(`${pyodideDir}/pyodide.mjs`).href);
const py = await loadPyodide({ _makeSnapshot: true, stdLibURL, stdout: () => {}, stderr: (s) => process.stderr.write(s + "\n") });
py.runPython("import gc; gc.collect()");
writeFileSync(out + ".part", gzipSync(py.makeMemorySnapshot(), { level: 9 }));
renameSync(out + ".part", out);
