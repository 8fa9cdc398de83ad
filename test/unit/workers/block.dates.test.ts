import { describe, expect, it } from 'vitest';
import type { Grid } from '../../../aoi/rasterize.js';
import { datesOnGrid, type BandPixels, type ObservationOnBlock } from '../../../workers/block.dates.js';
import { assembleWindow, type TiledWindow } from '../../../workers/tile.window.js';

/**
 * A band read straight from its tiles onto the grid (no window assembled) gives the numbers the assembled window
 * gives: windows reaching outside the image (fill), interleaved and planar tiles, with and without nodata, a grid
 * offset into the window.
 */
const IMAGE = { width: 21, height: 17 };
const TILE = 8;

function tiledWindow(
  planar: boolean,
  fill: number,
  window: TiledWindow['window'],
  dataType: 'uint16' | 'float32' = 'uint16',
): TiledWindow {
  const samples = 2;
  const tiles: TiledWindow['tiles'] = [];
  for (let ty = 0; ty * TILE < IMAGE.height; ty++) {
    for (let tx = 0; tx * TILE < IMAGE.width; tx++) {
      for (const sample of planar ? [0, 1] : [0]) {
        const Typed = dataType === 'uint16' ? Uint16Array : Float32Array;
        const values = new Typed(TILE * TILE * (planar ? 1 : samples));
        // Every sample its own value: row, column, band; a few equal the nodata 7.
        values.forEach((_, k) => {
          const pixel = planar ? k : k >> 1;
          const band = planar ? sample : k & 1;
          const [x, y] = [tx * TILE + (pixel % TILE), ty * TILE + Math.floor(pixel / TILE)];
          values[k] = (x * 7 + y * 13 + band * 101) % 97;
        });
        tiles.push({ tx, ty, sample, rows: TILE, data: new Uint8Array(values.buffer) });
      }
    }
  }
  return {
    window,
    dataType,
    fill,
    bands: [0, 1],
    planar,
    samples,
    tileWidth: TILE,
    tileHeight: TILE,
    imageWidth: IMAGE.width,
    imageHeight: IMAGE.height,
    tiles: tiles.filter(
      ({ tx, ty }) =>
        (tx + 1) * TILE > window.x0 && tx * TILE < window.x1 && (ty + 1) * TILE > window.y0 && ty * TILE < window.y1,
    ),
  };
}

function onGrid(tiled: TiledWindow, assembled: boolean, nodata: number | undefined, grid: Grid): Float32Array[] {
  const { window } = tiled;
  const arrays = assembleWindow(tiled);
  const band = (index: number): BandPixels => ({
    data: assembled ? arrays[index]! : { tiles: tiled, band: index },
    width: window.x1 - window.x0,
    height: window.y1 - window.y0,
    epsg: 32735,
    transform: [1000 + window.x0 * 10, 10, 0, 5000 - window.y0 * 10, 0, -10],
    scale: 1e-4,
    offset: -0.1,
    nodata,
  });
  const observations: ObservationOnBlock[] = [{ day: 18_800, scenes: [{ bands: { red: band(0), nir: band(1) } }] }];
  const [date] = datesOnGrid(observations, grid, ['red', 'nir'], true);
  return [date!.bands.red, date!.bands.nir];
}

describe('datesOnGrid from tiles', () => {
  const windows = [
    { x0: -5, y0: -3, x1: 12, y1: 9 },
    { x0: 6, y0: 5, x1: 26, y1: 20 },
    { x0: 2, y0: 1, x1: 19, y1: 16 },
  ];
  it.each(windows.flatMap((window) => [true, false].map((planar) => ({ window, planar }))))(
    'window $window.x0,$window.y0 to $window.x1,$window.y1, planar $planar: the assembled numbers',
    ({ window, planar }) => {
      // The grid starts 2 pixels right and 1 down of the window's origin and reaches past its far edges.
      const grid: Grid = {
        epsg: 32735,
        width: window.x1 - window.x0 + 1,
        height: window.y1 - window.y0 + 3,
        transform: [1000 + (window.x0 + 2) * 10, 10, 0, 5000 - (window.y0 + 1) * 10, 0, -10],
      };
      for (const [fill, nodata] of [
        [0, undefined],
        [7, 7],
        [0, 7],
      ] as const) {
        const tiled = tiledWindow(planar, fill, window);
        const direct = onGrid(tiled, false, nodata, grid);
        const assembled = onGrid(tiled, true, nodata, grid);
        const bits = (array: Float32Array) => [...new Uint32Array(array.buffer)];
        expect(direct.map(bits)).toEqual(assembled.map(bits));
        // Not all NaN: the comparison compares numbers.
        expect(direct[1]!.filter((value) => !Number.isNaN(value)).length).toBeGreaterThan(50);
      }
    },
  );

  it('a Float32 window past the image edge filled with a nodata float32 cannot hold exactly (-3.4e38): NaN there', () => {
    const window = { x0: -5, y0: -3, x1: 12, y1: 9 };
    const grid: Grid = {
      epsg: 32735,
      width: window.x1 - window.x0,
      height: window.y1 - window.y0,
      transform: [1000 + window.x0 * 10, 10, 0, 5000 - window.y0 * 10, 0, -10],
    };
    const tiled = tiledWindow(false, -3.4e38, window, 'float32');
    const direct = onGrid(tiled, false, -3.4e38, grid);
    const assembled = onGrid(tiled, true, -3.4e38, grid);
    const bits = (array: Float32Array) => [...new Uint32Array(array.buffer)];
    expect(direct.map(bits)).toEqual(assembled.map(bits));
    // The grid's first row lies above the image: not observed, never a reflectance of -3.4e34.
    expect([...direct[0]!.subarray(0, grid.width)].every(Number.isNaN)).toBe(true);
  });
});
