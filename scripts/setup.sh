#!/usr/bin/env bash
# Set-up shared by `make run`, `make test` and CI; safe to repeat, fast when nothing is missing.
#   1. system packages: PostgreSQL with PostGIS (and Chromium for the browser tests);
#   2. the virtual environment with the pinned dependencies and gridsvc itself.
# As root on Debian/Ubuntu it installs what is missing with apt-get; elsewhere it names what
# to install and stops.
set -euo pipefail
cd "$(dirname "$0")/.."

VENV=${VENV:-.venv}
PYTHON=${PYTHON:-python3}
WANT_BROWSER=${WANT_BROWSER:-0}
WANT_GIS=${WANT_GIS:-0}  # GDAL's command-line tools and QGIS: the standards' client tests

have_pg() {
  local bindir
  for bindir in /usr/lib/postgresql/*/bin; do
    [ -x "$bindir/initdb" ] || continue
    local major; major=$(basename "$(dirname "$bindir")")
    [ -f "/usr/share/postgresql/$major/extension/postgis.control" ] && return 0
  done
  [ -n "${GRIDSVC_DATABASE_URL:-}" ] && return 0
  if command -v pg_config >/dev/null && [ -f "$(pg_config --sharedir)/extension/postgis.control" ] \
     && command -v initdb >/dev/null; then
    return 0
  fi
  [ -n "${GRIDSVC_PG_BINDIR:-}" ] && [ -x "${GRIDSVC_PG_BINDIR}/initdb" ] && return 0
  return 1
}

have_browser() { command -v chromium >/dev/null || command -v chromium-browser >/dev/null; }
have_gis() { command -v ogr2ogr >/dev/null && /usr/bin/python3 -c 'import qgis.core' 2>/dev/null; }

if ! "$PYTHON" -c 'import sys; sys.exit(sys.version_info < (3, 11))' 2>/dev/null; then
  echo "setup: gridsvc needs Python 3.11 or newer; '$PYTHON' is $("$PYTHON" --version 2>&1)." >&2
  echo "  Run with PYTHON=/path/to/python3.11 make …" >&2
  exit 1
fi

missing=()
have_pg || missing+=(postgres)
if [ "$WANT_BROWSER" = 1 ] && ! have_browser; then
  if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null; then
    missing+=(chromium)
  else
    echo "setup: no chromium found: the browser tests of the maps will be skipped." >&2
    echo "  Install it to run them: Debian/Ubuntu: sudo apt-get install chromium fonts-noto-cjk" >&2
  fi
fi
if [ "$WANT_GIS" = 1 ] && ! have_gis; then
  if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null; then
    missing+=(gis)
  else
    echo "setup: GDAL's ogr2ogr or QGIS's Python bindings are missing: the OGC client tests" >&2
    echo "  will be skipped. Debian/Ubuntu: sudo apt-get install gdal-bin qgis python3-qgis" >&2
  fi
fi
[ -x "$VENV/bin/python" ] || "$PYTHON" -c 'import ensurepip' 2>/dev/null || missing+=(venv)

if [ ${#missing[@]} -gt 0 ]; then
  if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null; then
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -qq
    pkgs=()
    for m in "${missing[@]}"; do
      case $m in
        postgres)
          # the PostgreSQL major this release ships, and its PostGIS 3
          major=$(apt-cache depends postgresql 2>/dev/null | sed -n 's/.*Depends: postgresql-\([0-9]\+\)$/\1/p' | head -1)
          pkgs+=(postgresql "postgresql-${major:-15}-postgis-3") ;;
        chromium) pkgs+=(chromium fonts-noto-cjk) ;;
        gis) pkgs+=(gdal-bin qgis python3-qgis) ;;
        venv) pkgs+=(python3-venv) ;;
      esac
    done
    echo "setup: installing ${pkgs[*]} with apt-get" >&2
    apt-get install -y -qq --no-install-recommends "${pkgs[@]}" >/dev/null
  else
    echo "setup: missing system packages: ${missing[*]}" >&2
    echo "  Debian/Ubuntu: sudo apt-get install postgresql postgresql-15-postgis-3 python3-venv chromium fonts-noto-cjk" >&2
    echo "                 (use the postgresql-NN-postgis-3 matching your PostgreSQL NN)" >&2
    echo "  Fedora/RHEL:   sudo dnf install postgresql-server postgis chromium google-noto-sans-cjk-fonts" >&2
    echo "  macOS:         brew install postgresql@15 postgis && brew install --cask chromium" >&2
    echo "  Or point GRIDSVC_DATABASE_URL at a PostgreSQL >= 13 with PostGIS >= 3.1." >&2
    exit 1
  fi
fi

stamp="$VENV/.gridsvc-installed"
if [ ! -f "$stamp" ] || [ requirements.lock -nt "$stamp" ] || [ pyproject.toml -nt "$stamp" ]; then
  [ -x "$VENV/bin/python" ] || "$PYTHON" -m venv "$VENV"
  "$VENV/bin/python" -m pip install -q --upgrade pip >/dev/null
  "$VENV/bin/python" -m pip install -q -r requirements.lock
  "$VENV/bin/python" -m pip install -q --no-deps -e .
  touch "$stamp"
fi
