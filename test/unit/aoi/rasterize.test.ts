import { describe, expect, it } from 'vitest';
import { fromCrs } from '../../../aoi/aoi.project.js';
import type { PolygonGeometry } from '../../../aoi/geometry.js';
import { pixelAreaHaByColumn } from '../../../aoi/pixel.area.js';
import { rasterize, rasterizer, runRasterizer, type Grid, type RowRuns } from '../../../aoi/rasterize.js';
import { StripMasks } from '../../../pipeline/analysis/block.windows.js';

describe('rasterize', () => {
  it('burns pixels whose centres fall inside, holes excluded', () => {
    const inverse = fromCrs(32735);
    // A 40 m × 30 m square from (700000, 9730000) with a 10 m × 10 m hole, on a 10 m grid of 6 × 5 pixels.
    const ring = (x0: number, y0: number, x1: number, y1: number) =>
      [
        [x0, y0],
        [x1, y0],
        [x1, y1],
        [x0, y1],
        [x0, y0],
      ].map(([x, y]) => inverse([x!, y!]));
    const geometry = {
      type: 'Polygon' as const,
      coordinates: [ring(700_010, 9_729_970, 700_050, 9_730_000), ring(700_020, 9_729_980, 700_030, 9_729_990)],
    };
    const mask = rasterize(geometry, {
      epsg: 32735,
      width: 6,
      height: 5,
      transform: [700_000, 10, 0, 9_730_010, 0, -10],
    });
    const rows = Array.from({ length: 5 }, (_, y) => [...mask.subarray(y * 6, y * 6 + 6)].join(''));
    expect(rows).toEqual(['000000', '011110', '010110', '011110', '000000']);
  });
});

/** A concave polygon with slanted edges and a hole, over a 37 × 29 grid of 10 m pixels. */
function starWithHole(): { geometry: PolygonGeometry; grid: Grid } {
  const inverse = fromCrs(32735);
  const at = (x: number, y: number) => inverse([700_000 + x, 9_730_000 - y]);
  const outer = [
    [13, 7],
    [201, 33],
    [362, 11],
    [290, 151],
    [355, 281],
    [180, 202],
    [21, 270],
    [95, 140],
    [13, 7],
  ];
  const hole = [
    [150, 90],
    [150, 160],
    [220, 160],
    [220, 90],
    [150, 90],
  ];
  return {
    geometry: { type: 'Polygon', coordinates: [outer.map(([x, y]) => at(x!, y!)), hole.map(([x, y]) => at(x!, y!))] },
    grid: { epsg: 32735, width: 37, height: 29, transform: [700_000, 10, 0, 9_730_000, 0, -10] },
  };
}

/** A window's mask drawn from its runs. */
function maskOfRuns({ window, first, runs }: RowRuns): Uint8Array {
  const width = window.x1 - window.x0;
  const mask = new Uint8Array(width * (window.y1 - window.y0));
  for (let r = 0; r + 1 < first.length; r++) {
    for (let k = first[r]!; k < first[r + 1]!; k++)
      mask.fill(1, r * width + runs[2 * k]! - window.x0, r * width + runs[2 * k + 1]! - window.x0);
  }
  return mask;
}

describe('runRasterizer and strip masks', () => {
  const { geometry, grid } = starWithHole();
  const burn = rasterizer(geometry, grid);
  const windows = [
    { x0: 0, y0: 0, x1: 37, y1: 29 },
    { x0: 5, y0: 3, x1: 30, y1: 21 },
    { x0: 16, y0: 8, x1: 17, y1: 17 },
    { x0: 0, y0: 28, x1: 37, y1: 29 },
  ];

  it('gives the same pixels as runs as the mask does, holes and concave rows included', () => {
    const runsOf = runRasterizer(geometry, grid);
    const whole = burn(windows[0]!);
    expect(whole.includes(1) && whole.includes(0)).toBe(true);
    // Rows of two runs and more: the concave edges and the hole.
    const { first } = runsOf(windows[0]!);
    expect(Math.max(...first.subarray(1).map((end, r) => end - first[r]!))).toBeGreaterThanOrEqual(2);
    for (const window of windows) expect(maskOfRuns(runsOf(window))).toEqual(burn(window));
  });

  it("cuts each block's mask out of its strip as the block burnt alone", () => {
    const masks = new StripMasks(runRasterizer(geometry, grid), grid, 8);
    const touched: boolean[] = [];
    for (let y0 = 0; y0 < grid.height; y0 += 8) {
      for (let x0 = 0; x0 < grid.width; x0 += 8) {
        const window = { x0, y0, x1: Math.min(grid.width, x0 + 8), y1: Math.min(grid.height, y0 + 8) };
        expect(masks.mask(window)).toEqual(burn(window));
        expect(masks.touches(window)).toBe(burn(window).includes(1));
        touched.push(masks.touches(window));
      }
    }
    // Blocks inside and blocks wholly outside (the corners, the hole).
    expect(new Set(touched)).toEqual(new Set([true, false]));
    // A strip asked again, out of order, after the others.
    expect(masks.mask({ x0: 3, y0: 9, x1: 7, y1: 15 })).toEqual(burn({ x0: 3, y0: 9, x1: 7, y1: 15 }));
  });
});

describe('pixelAreaHaByColumn', () => {
  it('is 100 m² / k² with the UTM scale factor: 0.9996 on the central meridian, larger away from it', () => {
    const central = pixelAreaHaByColumn({
      epsg: 32735,
      width: 1,
      height: 1,
      transform: [499_995, 10, 0, 9_724_905, 0, -10],
    });
    expect(central[0]! / (0.01 / 0.9996 ** 2)).toBeCloseTo(1, 5);
    // Bukavu, 205.6 km east of the central meridian: k ≈ 0.9996 (1 + x²/2R²) ≈ 1.00012, so a pixel covers ≈ 99.976 m².
    const bukavu = pixelAreaHaByColumn({
      epsg: 32735,
      width: 1,
      height: 1,
      transform: [705_580, 10, 0, 9_724_905, 0, -10],
    });
    expect(bukavu[0]! * 1e4).toBeCloseTo(99.976, 2);
  });
});
