#!/usr/bin/env bash
# Bundle what an offline GPU machine needs to run the GPU benchmarks (benchmarks/gpu_check.sh), into .gpu_kit/:
# wheels for the packages a CUDA/PyTorch image lacks (moderngl and its EGL loader glue, wfdb, Hershey-Fonts, trimesh,
# noise; numpy, OpenCV, SciPy, pandas, PyYAML and tqdm are expected there) and the GL dispatch libraries
# (libEGL etc. from glvnd; the NVIDIA driver brings the rest). Run here, with the package registries reachable.
#     bash benchmarks/gpu_kit.sh          # for Python 3.12 on x86-64; PY=3.11 for another version
set -euo pipefail
cd "$(dirname "$0")/.."
PY=${PY:-3.12}
KIT=.gpu_kit
mkdir -p "$KIT/whl" "$KIT/gl"
platforms=()
for p in manylinux_2_28 manylinux_2_27 manylinux_2_17 manylinux2014 manylinux1; do platforms+=(--platform "${p}_x86_64"); done
python3 -m pip download -q --no-deps --only-binary=:all: --python-version "$PY" --implementation cp "${platforms[@]}" \
    -d "$KIT/whl" "moderngl==5.13.0" "glcontext==3.1.0" "wfdb==4.3.1" "Hershey-Fonts==2.1.0" "trimesh==5.2.0"
# noise publishes no wheels: build one with a local interpreter of that version (pyenv's, if that is where it is)
interp=""
for candidate in "python$PY" "$HOME"/.pyenv/versions/"$PY"*/bin/python; do
  if "$candidate" -c "" 2>/dev/null; then interp=$candidate; break; fi
done
[ -n "$interp" ] || { echo "gpu_kit: no working python$PY here to build the noise wheel with" >&2; exit 1; }
"$interp" -m pip wheel -q --no-deps -w "$KIT/whl" "noise==1.2.2"
# GL dispatch libraries for amd64, downloaded without installing (a private apt state, so the system's is untouched)
state=$(mktemp -d)
mkdir -p "$state/partial"
apt_opts=(-o APT::Architecture=amd64 -o APT::Architectures=amd64 -o "Dir::State::Lists=$state")
apt-get -qq "${apt_opts[@]}" update
(cd "$KIT/gl" && apt-get -qq "${apt_opts[@]}" download libegl1 libglvnd0 libopengl0 libgl1 libglx0 libgles2)
rm -rf "$state"
du -sh "$KIT"; ls "$KIT"/whl "$KIT"/gl
