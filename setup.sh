#!/usr/bin/env bash
# Set up everything on a fresh Debian/Ubuntu machine with Python 3.11: the system GL libraries (Mesa's EGL, for
# headless OpenGL; Xvfb, a virtual display for testing the preview window), a virtual environment in .venv, and this
# package with its test tools. Safe to run again.
set -euo pipefail
cd "$(dirname "$0")"

need_pkgs=()
ldconfig -p | grep -q 'libEGL.so.1' || need_pkgs+=(libegl1)
[ -e /usr/lib/x86_64-linux-gnu/dri/swrast_dri.so ] || ls /usr/lib/*/dri/*swrast* >/dev/null 2>&1 || need_pkgs+=(libgl1-mesa-dri)
ldconfig -p | grep -q 'libGL.so.1' || need_pkgs+=(libgl1)
command -v xvfb-run >/dev/null || need_pkgs+=(xvfb xauth)  # a virtual display: the preview window's test
if [ ${#need_pkgs[@]} -gt 0 ]; then
  echo "installing system packages: ${need_pkgs[*]}"
  SUDO=""; [ "$(id -u)" -ne 0 ] && SUDO="sudo"
  $SUDO apt-get update -qq && $SUDO apt-get install -y -qq "${need_pkgs[@]}" >/dev/null
fi

PY=${PYTHON:-python3.11}
command -v "$PY" >/dev/null || PY=python3
[ -x .venv/bin/python ] || "$PY" -m venv .venv
.venv/bin/python -m pip install -q --upgrade pip
# torch is pinned to the CPU wheel; asking for it first keeps pip from resolving a CUDA build.
.venv/bin/python -m pip install -q "torch==2.13.0"
.venv/bin/python -m pip install -q -e ".[dev,ray,preview]"
