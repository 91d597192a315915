#!/usr/bin/env bash
# Runs the tools/ tests: installs Debian's torch (with OpenBLAS) and numpy, then unittest.
# Exits non-zero on any failure. Debian's python3 is used on purpose: another python3 may be
# first on PATH and not see Debian's packages.
set -euo pipefail
cd "$(dirname "$0")"
PY=/usr/bin/python3
if ! "$PY" -c "import torch, numpy" >/dev/null 2>&1; then
    SUDO=""
    if [ "$(id -u)" != 0 ]; then SUDO="sudo"; fi
    export DEBIAN_FRONTEND=noninteractive
    $SUDO apt-get update -qq
    $SUDO apt-get install -y -qq python3-torch libopenblas0-pthread python3-numpy >/dev/null
fi
# libgomp spins while waiting; with other processes on the same cores that costs more than it saves
export OMP_WAIT_POLICY=PASSIVE
exec "$PY" -m unittest discover -s tests -t . -v
