#!/usr/bin/env bash
# Builds the native inflate (native/inflate: libdeflate behind a small N-API addon, see workers/inflate.native.ts)
# for the node on PATH. Needs libdeflate-dev (Debian) and a C toolchain; the pipeline runs without it (node:zlib).
# node-gyp must not download Node's headers (no internet): it is pointed at those of the running node, from
# npm_config_nodedir (scripts/node24 sets it to its build) or beside the node binary (Debian's nodejs: /usr).
# Run through npm (`npm run build:inflate`), which puts its own node-gyp on PATH.
set -euo pipefail
cd "$(dirname "$0")/.."

if [ ! -f /usr/include/libdeflate.h ]; then
  echo "scripts/inflate.build.sh: libdeflate-dev is not installed (apt-get install libdeflate-dev)" >&2
  exit 1
fi
nodedir="${npm_config_nodedir:-$(dirname "$(dirname "$(command -v node)")")}"
if [ ! -f "$nodedir/include/node/node_api.h" ]; then
  echo "scripts/inflate.build.sh: no Node headers at $nodedir/include/node: set npm_config_nodedir to a Node" \
    "install or unpacked build that has them" >&2
  exit 1
fi
node-gyp rebuild --directory native/inflate --nodedir "$nodedir" --loglevel warn >/dev/null
node -e "const m = require('./native/inflate/build/Release/inflate.node');
  console.log('scripts/inflate.build.sh: built native/inflate, libdeflate ' + m.version + ', node ' + process.version)"
