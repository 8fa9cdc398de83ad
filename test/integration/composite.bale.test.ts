import { execFileSync } from 'node:child_process';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { runBalePair } from '../helpers/bale.js';
import { storedAssetPath } from '../helpers/store.asset.js';
import { DEBIAN_PYTHON } from '../helpers/paths.js';

/**
 * The colour composites a run publishes for the map, on the real Landsat 5 pair over the Bale Mountains (blue, green
 * and red: true colour). Each period has one scene, so this checks the reading, the stretch, the nodata and the file,
 * not the median (workers/composite.ts has its own tests against numpy's nanmedian); which pixels count as seen is
 * taken from the run's own clear-count raster. GDAL must see a valid COG with three Byte bands it calls red, green and blue, and an
 * independent numpy computation from the scene files (DN → TOA reflectance by the item's scale and offset, the fixed
 * 0–0.2 stretch onto 1..255) must give the published bytes wherever the period was seen clear, and 0 (nodata) exactly
 * where the clear-count raster says not seen or outside the AOI.
 */

const PEER = String.raw`
import json, os, sys
import numpy as np
from osgeo import gdal
from osgeo_utils.samples.validate_cloud_optimized_geotiff import validate
composite_path, count_path, item_path = sys.argv[1:4]
warnings, errors, _ = validate(composite_path, full_check=True)
ds = gdal.Open(composite_path)
count_ds = gdal.Open(count_path)  # kept: a band outliving its dataset crashes GDAL's Python bindings
count = count_ds.GetRasterBand(1).ReadAsArray()
seen = (count > 0) & (count != 65535)
gt = ds.GetGeoTransform()
w, h = ds.RasterXSize, ds.RasterYSize
bounds = (gt[0], gt[3] + h * gt[5], gt[0] + w * gt[1], gt[3])
item = json.load(open(item_path))
out = {"warnings": warnings, "errors": errors, "bands": []}
for b, (name, top) in enumerate([("red", 0.2), ("green", 0.2), ("blue", 0.2)]):
    band = ds.GetRasterBand(b + 1)
    asset = item["assets"][name]
    meta = asset["bands"][0]
    src = gdal.Warp("", os.path.join(os.path.dirname(item_path), asset["href"]), format="MEM",
                    outputBounds=bounds, width=w, height=h, resampleAlg="near", dstSRS=ds.GetProjection())
    dn = src.ReadAsArray().astype(np.float64)
    rho = dn * meta["scale"] + meta["offset"]
    expected = np.floor(254 * np.clip(rho / top, 0, 1) + 0.5) + 1
    got = band.ReadAsArray().astype(np.int32)
    diff = np.abs(got - expected)[seen]
    out["bands"].append({
        "interpretation": gdal.GetColorInterpretationName(band.GetColorInterpretation()),
        "type": gdal.GetDataTypeName(band.DataType),
        "nodata": band.GetNoDataValue(),
        "seen": int(seen.sum()),
        "exact": int((diff == 0).sum()),
        "maxDiff": float(diff.max()),
        "zeroWhereSeen": int((got[seen] == 0).sum()),
        "nonzeroWhereUnseen": int((got[~seen] != 0).sum()),
        "mean": float(got[seen].mean()),
    })
print(json.dumps(out))
`;

interface PeerBand {
  interpretation: string;
  type: string;
  nodata: number;
  seen: number;
  exact: number;
  maxDiff: number;
  zeroWhereSeen: number;
  nonzeroWhereUnseen: number;
  mean: number;
}

let run: Awaited<ReturnType<typeof runBalePair>>;

beforeAll(async () => {
  run = await runBalePair({ id: 'bale-composite', name: 'Bale Mountains pair (composites)' });
}, 180_000);

describe('colour composites of a run (Landsat 5 pair, Bale Mountains)', () => {
  const periods = [
    { period: 'baseline', scene: 'LT05_L1TP_167055_20000309_20161214_01_T1' },
    { period: 'monitoring', scene: 'LT51670552010352MLK00' },
  ];
  it.each(periods)('the $period composite is the scene in true colour, as numpy computes it', ({ period, scene }) => {
    const output = execFileSync(
      DEBIAN_PYTHON,
      [
        '-c',
        PEER,
        storedAssetPath(run.store, 'bale-composite', `composite-${period}`),
        storedAssetPath(run.store, 'bale-composite', `clear-count-${period}`),
        join(run.items, `${scene}.json`),
      ],
      { encoding: 'utf8' },
    );
    const peer = JSON.parse(output) as { warnings: string[]; errors: string[]; bands: PeerBand[] };
    expect(peer.errors).toEqual([]);
    expect(peer.warnings).toEqual([]);
    expect(peer.bands.map((band) => band.interpretation)).toEqual(['Red', 'Green', 'Blue']);
    for (const band of peer.bands) {
      expect(band).toMatchObject({ type: 'Byte', nodata: 0, zeroWhereSeen: 0, nonzeroWhereUnseen: 0 });
      // The AOI covers 96 × 96 of the pair's 30 m pixels, all seen (no cloud mask on Level-1 DNs).
      expect(band.seen).toBeGreaterThan(9000);
      // float32 reflectance against numpy's float64: a value on a rounding boundary may land one step off.
      expect(band.maxDiff).toBeLessThanOrEqual(1);
      expect(band.exact / band.seen).toBeGreaterThan(0.999);
      // Not a blank picture: a highland landscape sits mid-scale.
      expect(band.mean).toBeGreaterThan(20);
      expect(band.mean).toBeLessThan(250);
    }
  });
});
