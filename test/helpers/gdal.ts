import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DEBIAN_PYTHON } from './paths.js';

/**
 * GDAL as a peer: `gdal_translate -srcwin` of a window to raw ENVI (band-sequential, native byte order), read
 * back as bytes per band. For an overview, Debian's Python GDAL reads the overview band directly (gdal_translate's
 * -srcwin counts in full-resolution pixels when -ovr is given).
 */
export function gdalWindow(
  file: string,
  window: { x0: number; y0: number; x1: number; y1: number },
  options: { bands?: number[]; bytesPerSample: number; overview?: number },
): Uint8Array[] {
  if (options.overview !== undefined) {
    const script = [
      'import sys',
      'from osgeo import gdal',
      'ds = gdal.Open(sys.argv[1])',
      'x0, y0, x1, y1, ovr = map(int, sys.argv[2:7])',
      'bands = [int(b) for b in sys.argv[7].split(",")] if len(sys.argv) > 7 else range(ds.RasterCount)',
      'for b in bands:',
      '    sys.stdout.buffer.write(ds.GetRasterBand(b + 1).GetOverview(ovr).ReadRaster(x0, y0, x1 - x0, y1 - y0))',
    ].join('\n');
    const args = [file, window.x0, window.y0, window.x1, window.y1, options.overview].map(String);
    if (options.bands) args.push(options.bands.join(','));
    const bytes = execFileSync(DEBIAN_PYTHON, ['-c', script, ...args], { maxBuffer: 1 << 30 });
    const bandBytes = (window.x1 - window.x0) * (window.y1 - window.y0) * options.bytesPerSample;
    return [...Array(bytes.length / bandBytes).keys()].map(
      (band) => new Uint8Array(bytes.subarray(band * bandBytes, (band + 1) * bandBytes)),
    );
  }
  const dir = mkdtempSync(join(tmpdir(), 'cw-gdal-'));
  try {
    const out = join(dir, 'window.bin');
    const args = [
      '-q',
      '-of',
      'ENVI',
      '-co',
      'INTERLEAVE=BSQ',
      '-srcwin',
      String(window.x0),
      String(window.y0),
      String(window.x1 - window.x0),
      String(window.y1 - window.y0),
    ];
    for (const band of options.bands ?? []) args.push('-b', String(band + 1));
    execFileSync('gdal_translate', [...args, file, out]);
    const bytes = readFileSync(out);
    const bandBytes = (window.x1 - window.x0) * (window.y1 - window.y0) * options.bytesPerSample;
    const count = bytes.length / bandBytes;
    return [...Array(count).keys()].map(
      (band) => new Uint8Array(bytes.subarray(band * bandBytes, (band + 1) * bandBytes)),
    );
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** GDAL's COG validator on a class raster, and numpy's count of each value in it (Debian python3-gdal). */
export function gdalClassCounts(path: string): {
  warnings: string[];
  errors: string[];
  counts: Record<string, number>;
} {
  const script = `
import json, sys
import numpy as np
from osgeo import gdal
from osgeo_utils.samples.validate_cloud_optimized_geotiff import validate
warnings, errors, _ = validate(sys.argv[1], full_check=True)
ds = gdal.Open(sys.argv[1])  # kept: a band outliving its dataset crashes GDAL's Python bindings
a = ds.GetRasterBand(1).ReadAsArray()
values, counts = np.unique(a, return_counts=True)
print(json.dumps({"warnings": warnings, "errors": errors, "counts": {str(int(v)): int(c) for v, c in zip(values, counts)}}))
`;
  return JSON.parse(execFileSync(DEBIAN_PYTHON, ['-c', script, path], { encoding: 'utf8' })) as ReturnType<
    typeof gdalClassCounts
  >;
}
