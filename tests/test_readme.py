"""The README's example output is what the command prints today."""
import re
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def test_readme_summary_example_is_current():
    readme = (ROOT / "README.md").read_text()
    shown = re.search(r"^(scenario equalize-nat: .*?)\n```", readme, re.S | re.M).group(1)
    out = subprocess.run([sys.executable, "-m", "sim", "run", "equalize-nat", "--seed", "2",
                          "--size", "3000", "--summary-only"], cwd=ROOT, capture_output=True,
                         text=True, check=True).stdout
    assert out.strip() == shown.strip()
