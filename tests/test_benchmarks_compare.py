"""benchmarks/compare.py: figures read from a benchmark's output, and ratios of two checkouts' runs."""

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def test_figures_are_read_from_each_benchmarks_output_format():
    sys.path.insert(0, str(ROOT / "benchmarks"))
    try:
        from compare import figures
    finally:
        sys.path.remove(str(ROOT / "benchmarks"))
    output = "\n".join([
        "device: llvmpipe (LLVM 15.0.6, 256 bits) (Mesa/X.org); LP_NUM_THREADS=1; cpus=2",
        "stage                                                  wall s    cpu s   x flat",
        "rgb (shadows, lighting, colour)                         0.637    0.637     19.8",
        "  raster  0.0688 s/page",
        "total: 0.1873 s/page end to end",
        "workers=1 (pinned to as many cores): 0.67 frames/s, 1.504 s/frame/worker (target ≤ 0.44), 1.499 CPU s/frame"])
    assert figures(output) == {"rgb (shadows, lighting, colour)": 0.637, "raster": 0.0688, "workers=1": 1.504}


def test_a_checkout_compared_with_itself_gives_ratios_near_one(tmp_path):
    """Both runs of each pair finish and every figure of the benchmark gets a ratio (page.py: about a second a run)."""
    out = subprocess.run([sys.executable, str(ROOT / "benchmarks" / "compare.py"), str(ROOT), "--pairs", "2",
                          "page.py", "--pages", "1"], capture_output=True, text=True, timeout=300)
    assert out.returncode == 0, out.stderr
    rows = {line.split()[0]: line.split() for line in out.stdout.splitlines()[2:]}
    assert {"plan", "raster", "truth", "files"} <= rows.keys()
    assert 0.2 < float(rows["raster"][3]) < 5.0  # a ratio, however noisy the machine


def test_a_missing_benchmark_is_one_clear_line():
    out = subprocess.run([sys.executable, str(ROOT / "benchmarks" / "compare.py"), str(ROOT), "nope.py"],
                         capture_output=True, text=True, timeout=60)
    assert out.returncode != 0 and "nope.py does not exist" in out.stderr and "Traceback" not in out.stderr
