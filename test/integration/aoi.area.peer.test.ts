import { spawnSync } from 'node:child_process';
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadAoiDir } from '../../pipeline/io/aoi.repository.js';
import { DEBIAN_PYTHON, ROOT } from '../helpers/paths.js';

/**
 * Peer check: the hectares changewatch reports for every seed AOI and zone equal pyproj's geodesic area
 * (Debian python3-pyproj, PROJ's own implementation of Karney's algorithm), computed independently here.
 */
const PEER = `
import json, sys
from pyproj import Geod
geod = Geod(ellps="WGS84")
def area(geometry):
    polygons = [geometry["coordinates"]] if geometry["type"] == "Polygon" else geometry["coordinates"]
    total = 0.0
    for polygon in polygons:
        for index, ring in enumerate(polygon):
            a, _ = geod.polygon_area_perimeter([p[0] for p in ring], [p[1] for p in ring])
            total += abs(a) if index == 0 else -abs(a)
    return total
out = {}
for path in sys.argv[1:]:
    for feature in json.load(open(path))["features"]:
        props = feature["properties"]
        key = props["id"] if props.get("role", "aoi") == "aoi" else path + "#" + props["id"]
        out[key] = area(feature["geometry"]) / 1e4
print(json.dumps(out))
`;

describe('seed AOI areas against pyproj', () => {
  it('agree to 0.001 % for every AOI and zone', async () => {
    const files = readdirSync(join(ROOT, 'aoi'))
      .filter((name) => name.endsWith('.geojson'))
      .map((name) => join('aoi', name));
    const peer = spawnSync(DEBIAN_PYTHON, ['-c', PEER, ...files], { cwd: ROOT, encoding: 'utf8' });
    expect(peer.stderr).toBe('');
    const expected = JSON.parse(peer.stdout) as Record<string, number>;
    const { aois, problems } = await loadAoiDir(join(ROOT, 'aoi'), { maxAreaKm2: 10_000 });
    expect(problems).toEqual([]);
    let compared = 0;
    for (const aoi of aois) {
      expect(aoi.areaHa / expected[aoi.id]! - 1).toBeCloseTo(0, 5);
      compared++;
      const file = join('aoi', aoi.file.split('/').pop()!);
      for (const zone of aoi.zones) {
        expect(zone.areaHa / expected[`${file}#${zone.id}`]! - 1).toBeCloseTo(0, 5);
        compared++;
      }
    }
    expect(compared).toBe(Object.keys(expected).length);
  });
});
