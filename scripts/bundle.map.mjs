// Bundles the report page's map script (reports/map/map.client.ts: OpenLayers, geotiff.js, proj4) into one classic
// script, dist/reports/map.bundle.js, which every report publication copies next to the pages: no CDN, and it loads
// from a file: URL too (a module script would not). Run by `npm run build`.
import process from 'node:process';
import { build } from 'esbuild';

await build({
  entryPoints: ['reports/map/map.client.ts'],
  bundle: true,
  format: 'iife',
  platform: 'browser',
  target: ['es2020'],
  minify: process.env.CW_MAP_DEBUG !== '1',
  sourcemap: process.env.CW_MAP_DEBUG === '1' ? 'inline' : false,
  legalComments: 'eof',
  outfile: 'dist/reports/map.bundle.js',
  loader: { '.css': 'text' },
  logLevel: 'warning',
});
