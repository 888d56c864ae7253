#!/usr/bin/env bash
# The GPU figures of issues 4 and 5, in one go, on a machine with an NVIDIA GPU and the .gpu_kit/ bundle beside this
# repository's code (benchmarks/gpu_kit.sh makes it): render-only frames per second at 2200×1700, a full frame with
# every pass, and dataset frames per second with all ground truth for 1 to 16 workers. Writes gpu_check.log into
# $OUT (or the current folder). About 6 minutes.
#     bash benchmarks/gpu_check.sh "H100 80GB"
set -uo pipefail
cd "$(dirname "$0")/.."
note=${1:-GPU}
log=${OUT:-.}/gpu_check.log
KIT=.gpu_kit
ls "$KIT"/whl/*.whl >/dev/null 2>&1 || { echo "gpu_check: no $KIT/ here: run benchmarks/gpu_kit.sh first (with internet)" >&2; exit 2; }
# GL dispatch libraries, only where the machine has none (unpacking over a system's own would replace them)
if ! ldconfig -p | grep -q 'libEGL.so.1'; then
  for f in "$KIT"/gl/*.deb; do dpkg -x "$f" /; done
  ldconfig
fi
nv=/usr/local/nvidia/share/glvnd/egl_vendor.d/10_nvidia.json
[ -e "$nv" ] && export __EGL_VENDOR_LIBRARY_FILENAMES=$nv
python3 -m pip install -q --no-index --no-deps --no-compile --target /tmp/site "$KIT"/whl/*.whl || exit 1
export PYTHONPATH=/tmp/site:$PWD PYTHONUNBUFFERED=1
{
  nvidia-smi --query-gpu=name,driver_version,memory.total --format=csv,noheader 2>&1
  python3 benchmarks/render.py --rgb-only --frames 200
  python3 benchmarks/render.py --frames 5 --floor  # the floor: what a GPU spends before shading
  python3 benchmarks/render.py --frames 5 --msaa 4
  python3 benchmarks/generate.py --frames 64 --workers 1 4 8 16 --device-note "$note"
  # triangles cost a GPU almost nothing: is the CPU the simplified sheet costs worth spending there?
  python3 benchmarks/generate.py --frames 64 --workers 16 --full-mesh --device-note "$note, full mesh"
} 2>&1 | tee "$log"
