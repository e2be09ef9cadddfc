// Build-time only (book/op1_inpage.py runs it under node; never shipped): the same zip with the
// bytecode of each of its .py files added (__pycache__/NAME.cpython-3XX.pyc), compiled by
// Pyodide's own Python, so the browser's interpreter does not compile them when the worker
// imports them.  The .pyc files are "unchecked hash" ones (PEP 552): used without looking at
// the source's date, which unzipping does not keep; the zip is made from this checkout, so the
// source beside them is the one they were compiled from.  Entries sorted, dates fixed.
//   node book/_live/compile_pyc.mjs PYODIDE_DIR STDLIB_ZIP IN_ZIP OUT_ZIP
import { readFileSync, writeFileSync, renameSync } from "node:fs";
import { pathToFileURL } from "node:url";

const [pyodideDir, stdLibURL, inZip, outZip] = process.argv.slice(2);
const { loadPyodide } = await import(pathToFileURL(`${pyodideDir}/pyodide.mjs`).href);
const py = await loadPyodide({ stdLibURL, stdout: () => {}, stderr: (s) => process.stderr.write(s + "\n") });
py.FS.writeFile("/in.zip", new Uint8Array(readFileSync(inZip)));
py.runPython(`
import importlib.util, marshal, zipfile
DATE = (2000, 1, 1, 0, 0, 0)
with zipfile.ZipFile("/in.zip") as src:
    entries = {n: src.read(n) for n in src.namelist()}
for name, data in list(entries.items()):
    if name.endswith(".py"):
        code = compile(data, "/op1/" + name, "exec", dont_inherit=True)
        pyc = importlib.util.cache_from_source(name)
        entries[pyc] = (importlib.util.MAGIC_NUMBER + (1).to_bytes(4, "little")
                        + importlib.util.source_hash(data) + marshal.dumps(code))
with zipfile.ZipFile("/out.zip", "w", zipfile.ZIP_DEFLATED) as out:
    for name in sorted(entries):
        info = zipfile.ZipInfo(name, DATE)
        info.compress_type = zipfile.ZIP_DEFLATED
        info.external_attr = 0o644 << 16
        out.writestr(info, entries[name])
`);
writeFileSync(outZip + ".part", py.FS.readFile("/out.zip"));
renameSync(outZip + ".part", outZip);
