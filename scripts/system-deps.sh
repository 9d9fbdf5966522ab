#!/usr/bin/env bash
# Installs what the operating system must provide (Debian/Ubuntu) when it is missing:
# headers that mysqlclient builds against, pkg-config, a C compiler, Node.js/npm for front-end
# assets, wrk for the HTTP benchmarks (make bench). As root it installs with apt-get; otherwise
# it says exactly what to install.
set -euo pipefail

missing=()
pkg-config --exists mariadb 2>/dev/null || pkg-config --exists mysqlclient 2>/dev/null ||
  missing+=(libmariadb-dev)
command -v pkg-config >/dev/null || missing+=(pkg-config)
command -v gcc >/dev/null || missing+=(build-essential)
command -v npm >/dev/null || missing+=(nodejs npm)
# The interpreter the virtual environment is made from (the Makefile passes it), its venv module
# and the headers mysqlclient compiles against.
PYTHON=${PYTHON:-python3}
"$PYTHON" -c 'import venv, ensurepip' 2>/dev/null || missing+=(python3-venv)
"$PYTHON" - <<'PY' 2>/dev/null || missing+=(python3-dev)
import os, sys, sysconfig
sys.exit(0 if os.path.exists(os.path.join(sysconfig.get_paths()["include"], "Python.h")) else 1)
PY
command -v wrk >/dev/null || missing+=(wrk)
if [ "${WITH_BROWSER:-0}" = 1 ] && ! command -v chromium >/dev/null; then
  missing+=(chromium)
fi
# LibreOffice Calc (headless) opens the written Berichtswesen in a real spreadsheet program in
# a test; CI must have it (the test fails there without it and skips elsewhere).
if { [ -n "${CI:-}" ] || [ "${WITH_OFFICE:-0}" = 1 ]; } && ! command -v soffice >/dev/null; then
  missing+=(libreoffice-calc-nogui)
fi
"$PYTHON" - <<'PY' || { echo "Python 3.11 oder neuer wird benötigt ($PYTHON --version)." >&2; exit 1; }
import sys
sys.exit(0 if sys.version_info >= (3, 11) else 1)
PY

[ ${#missing[@]} -eq 0 ] && exit 0
if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null; then
  echo "Installiere Systempakete: ${missing[*]}"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -q >/dev/null
  apt-get install -y -q --no-install-recommends "${missing[@]}" >/dev/null
else
  echo "Es fehlen Systempakete. Bitte installieren Sie:" >&2
  echo "  sudo apt-get install ${missing[*]}" >&2
  exit 1
fi
