#!/usr/bin/env bash
# Installs the system packages the tests use as peers (GDAL, numpy, scipy, pyproj from Debian), the browser
# the report is tested in (chromium), the Slurm job-array test's scheduler (slurm-wlm, munge), GNU time for the
# bench and libdeflate-dev, only when missing; then builds the native inflate for the node running the tests.
# Idempotent and quiet when everything is there already.
set -euo pipefail

need=()
command -v gdalinfo >/dev/null 2>&1 || need+=(gdal-bin)
/usr/bin/python3 -c 'import osgeo.gdal' >/dev/null 2>&1 || need+=(python3-gdal)
/usr/bin/python3 -c 'import pyproj' >/dev/null 2>&1 || need+=(python3-pyproj)
/usr/bin/python3 -c 'import numpy' >/dev/null 2>&1 || need+=(python3-numpy)
/usr/bin/python3 -c 'import scipy.ndimage' >/dev/null 2>&1 || need+=(python3-scipy)
# The HTML report is tested in Debian's chromium, driven by playwright-core (which never downloads a browser).
[ -x /usr/bin/chromium ] || need+=(chromium)
# The PNG legends are drawn with DejaVu Sans.
fc-list 2>/dev/null | grep -q DejaVuSans || need+=(fonts-dejavu-core)
# The job-array test runs a one-node Slurm cluster on loopback (test/helpers/slurm.cluster.ts); the packages' own
# services are not started: the test starts its daemons with their files in a temporary folder.
command -v slurmctld >/dev/null 2>&1 || need+=(slurmctld)
command -v slurmd >/dev/null 2>&1 || need+=(slurmd)
command -v sbatch >/dev/null 2>&1 || need+=(slurm-client)
command -v munged >/dev/null 2>&1 || need+=(munge)
# The simulated night of `npm run bench` reads each task's CPU time from GNU time.
[ -x /usr/bin/time ] || need+=(time)
# The native inflate (native/inflate, built below) links libdeflate, as GDAL does.
[ -f /usr/include/libdeflate.h ] || need+=(libdeflate-dev)
# node-gyp compiles it with gcc and links it with g++ (gyp's default linker).
command -v gcc >/dev/null 2>&1 || need+=(gcc libc6-dev)
command -v g++ >/dev/null 2>&1 || need+=(g++)
command -v make >/dev/null 2>&1 || need+=(make)

if [ ${#need[@]} -gt 0 ]; then
  echo "test/setup.sh: installing Debian packages: ${need[*]}"
  SUDO=""
  if [ "$(id -u)" -ne 0 ]; then
    if command -v sudo >/dev/null 2>&1; then SUDO="sudo"; else
      echo "test/setup.sh: need root (or sudo) to install ${need[*]}: run 'apt-get install ${need[*]}' as root" >&2
      exit 1
    fi
  fi
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends "${need[@]}" >/dev/null
fi

if [ ! -d ../shared/data ]; then
  echo "test/setup.sh: ../shared/data is missing: the tests read real imagery and STAC JSON from it" >&2
  exit 1
fi

# DEFLATE tiles inflate with libdeflate when native/inflate is built for this node (else with node:zlib, to the
# same bytes; test/unit/workers/inflate.native.test.ts checks both, and that CI built it).
npm run --silent build:inflate
