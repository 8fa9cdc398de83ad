import { inflateSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { pdfOfPicture } from '../../../pipeline/outputs/figure.pdf.js';
import { missionOf, sceneAttribution } from '../../../reports/attribution.js';
import type { SceneRow } from '../../../reports/summary.js';
import { chipWidth, composeChip, mapWidthFor } from '../../../workers/chip.js';
import { blankPicture } from '../../../workers/draw.js';
import {
  dayLabel,
  figureGrid,
  FIGURE_UNIT,
  paintLayer,
  pixelsOfMm,
  pointsOfPixels,
  projectedEnvelope,
  sequentialColour,
} from '../../../workers/figure.js';
import { drawText, GLYPH_HEIGHT, GLYPH_WIDTH, textWidth, wrapText } from '../../../workers/font.js';
import { NOT_SEEN_COLOUR, type Picture } from '../../../workers/render.js';

/** Publication figures: print sizes, the map's grid, layer colours, the frame at 300 dpi, the credit, the PDF. */

const BLACK = [0, 0, 0] as const;
const WHITE = [255, 255, 255] as const;
const at = (picture: Picture, x: number, y: number) => [
  ...picture.rgba.subarray((y * picture.width + x) * 4, (y * picture.width + x) * 4 + 4),
];

describe('the bitmap font drawn larger', () => {
  it('at scale 3 every pixel of a glyph is a 3×3 block of the glyph at scale 1', () => {
    const small = blankPicture(GLYPH_WIDTH * 2, GLYPH_HEIGHT, WHITE);
    const large = blankPicture(GLYPH_WIDTH * 6, GLYPH_HEIGHT * 3, WHITE);
    drawText(small, 0, 0, 'N°', BLACK);
    drawText(large, 0, 0, 'N°', BLACK, 3);
    for (let y = 0; y < large.height; y++)
      for (let x = 0; x < large.width; x++)
        expect(at(large, x, y), `${x},${y}`).toEqual(at(small, Math.floor(x / 3), Math.floor(y / 3)));
    expect(textWidth('abc', 3)).toBe(18 * 3);
    expect(wrapText('one two three', 9 * GLYPH_WIDTH * 3, 3)).toEqual(['one two', 'three']);
  });
});

describe('print sizes and the map grid', () => {
  it('180 mm at 300 dpi is 2126 pixels, 510.24 pt', () => {
    expect(pixelsOfMm(180)).toBe(2126);
    expect(pointsOfPixels(2126)).toBeCloseTo(510.24, 2);
  });

  it('the frame at unit 3 makes the picture exactly as wide as asked', () => {
    const width = pixelsOfMm(120);
    const mapWidth = mapWidthFor(width, FIGURE_UNIT);
    expect(chipWidth(mapWidth, FIGURE_UNIT)).toBe(width);
    const map = blankPicture(mapWidth, 200, [120, 198, 121]);
    const chip = composeChip({
      map,
      scale: 1,
      epsg: 32735,
      transform: [701600, 5, 0, 9730310, 0, -5],
      outline: [],
      caption: ['Title', 'Second paragraph'],
      legend: { swatches: [{ colour: null, label: 'outside the AOI' }] },
      unit: FIGURE_UNIT,
    });
    expect(chip.picture.width).toBe(width);
    // The scale bar's frame is one unit (3 pixels) thick, black; its length the ground metres at 5 m a pixel.
    const { x, y, width: length } = chip.scaleBar;
    expect(length).toBe(Math.round(chip.geo.scaleBar.metres / chip.geo.metresPerPixel));
    for (const row of [y, y + 1, y + 2]) expect(at(chip.picture, x + length - 1, row).slice(0, 3)).toEqual([...BLACK]);
    expect(at(chip.picture, x + length - 4, y + 3).slice(0, 3)).toEqual([...WHITE]);
  });

  it('the grid covers the projected box with square pixels, centred vertically', () => {
    const envelope = projectedEnvelope([28.812, -2.47, 28.84, -2.44], 32735);
    const grid = figureGrid(envelope, 1000);
    const [minX, pixel, , top, , negative] = grid.transform;
    expect(negative).toBe(-pixel);
    expect(minX).toBe(envelope[0]);
    expect(minX + 1000 * pixel).toBeCloseTo(envelope[2], 6);
    expect(Math.abs(top - grid.height * pixel - envelope[1] - (envelope[3] - top))).toBeLessThan(1e-6);
    expect(Math.abs(grid.height * pixel - (envelope[3] - envelope[1]))).toBeLessThanOrEqual(pixel / 2);
  });
});

describe('layer colours', () => {
  it('a ramp: outside transparent, nodata not seen, values on the ramp; an overlay paints only its codes', () => {
    const blank = () => ({ width: 4, height: 1, rgba: new Uint8Array(16) });
    const ramp = paintLayer(blank(), [NaN, 0, 1, 0.5], [1, 0, 0, 0], {
      kind: 'ramp',
      nodata: NaN,
      colour: sequentialColour,
    });
    expect(at(ramp, 0, 0)[3]).toBe(0);
    expect(at(ramp, 1, 0)).toEqual([...sequentialColour(0), 255]);
    expect(at(ramp, 2, 0)).toEqual([2, 56, 88, 255]);
    const nodata = paintLayer(blank(), [5, 65535, 5, 5], [0, 0, 0, 0], {
      kind: 'ramp',
      nodata: 65535,
      colour: sequentialColour,
    });
    expect(at(nodata, 1, 0)).toEqual([...NOT_SEEN_COLOUR, 255]);
    const colours = new Map([
      [2, [0, 100, 0] as const],
      [3, [255, 0, 0] as const],
    ]);
    const style = { kind: 'classes', nodata: 255, colours, drawn: new Set([3]) } as const;
    const alone = paintLayer(blank(), [2, 3, 255, 3], [0, 0, 1, 0], style);
    expect([0, 1, 2, 3].map((x) => at(alone, x, 0)[3])).toEqual([0, 255, 0, 255]);
    // Over the ramp: code 3 replaces it, code 2 (not drawn) and nodata leave it.
    const under = [0, 1, 2, 3].map((x) => at(ramp, x, 0));
    paintLayer(ramp, [2, 3, 255, 3], [0, 0, 0, 0], style);
    expect([0, 1, 2, 3].map((x) => at(ramp, x, 0))).toEqual([under[0], [255, 0, 0, 255], under[2], [255, 0, 0, 255]]);
  });

  it('writes day numbers as dates', () => {
    expect(dayLabel(18_899)).toBe('2021-09-29');
  });
});

describe('attribution', () => {
  const scene = (id: string, datetime: string, platform: string | null, collection: string): SceneRow => ({
    id,
    datetime,
    platform,
    collection,
    cloudCover: 0,
    href: null,
  });

  it('knows the mission from the platform, the collection or the id', () => {
    expect(missionOf(scene('x', '2021-01-01T00:00:00Z', 'sentinel-2a', 'c'))).toBe('sentinel');
    expect(missionOf(scene('x', '2021-01-01T00:00:00Z', null, 'sentinel-2-l2a'))).toBe('sentinel');
    expect(missionOf(scene('20210606T080611_20210606T081237_T35MPT', '', null, 't35mpt-bukavu-drc'))).toBe('sentinel');
    expect(missionOf(scene('x', '', 'landsat-5', 'landsat-bale-toa'))).toBe('landsat');
    expect(missionOf(scene('LT05_L1TP_167055_20000309_20161214_01_T1', '', null, 'c'))).toBe('landsat');
    expect(missionOf(scene('LT51670552010352MLK00', '', null, 'c'))).toBe('landsat');
    expect(missionOf(scene('tile-1', '', null, 'c'))).toBeUndefined();
  });

  it('credits each mission with the years of its scenes', () => {
    expect(
      sceneAttribution([
        scene('a', '2021-06-06T08:06:11Z', 'sentinel-2b', 'c'),
        scene('b', '2020-12-30T08:06:11Z', 'sentinel-2a', 'c'),
      ]),
    ).toBe('Contains modified Copernicus Sentinel data 2020, 2021.');
    expect(
      sceneAttribution([
        scene('a', '2010-12-18T07:00:00Z', 'landsat-5', 'c'),
        scene('b', '2000-03-09T07:00:00Z', 'landsat-5', 'c'),
        scene('c', '2019-01-01T00:00:00Z', null, 'my-tiles'),
      ]),
    ).toBe(
      'Landsat imagery (2000, 2010) courtesy of the U.S. Geological Survey. ' +
        'Imagery: my-tiles (2019); give the credit its licence asks for.',
    );
  });
});

describe('the PDF', () => {
  it('one page of the picture size in points, the picture as Flate RGB, offsets right, strings escaped', () => {
    const picture = blankPicture(600, 300, [10, 20, 30]);
    picture.rgba.set([200, 100, 50, 255], 0);
    const pdf = Buffer.from(pdfOfPicture(picture, 300, { title: 'A (b) \\ c', subject: 's', producer: 'p' }));
    const text = pdf.toString('latin1');
    expect(text).toMatch(/\/MediaBox \[0 0 144 72\]/);
    expect(text).toContain('/Title (A \\(b\\) \\\\ c)');
    const startxref = Number(/startxref\n(\d+)\n%%EOF\n$/.exec(text)![1]);
    const offsets = [...text.slice(startxref).matchAll(/^(\d{10}) 00000 n $/gm)].map((match) => Number(match[1]));
    offsets.forEach((offset, k) => expect(text.slice(offset, offset + 8)).toBe(`${k + 1} 0 obj\n`));
    const image = /\/Filter \/FlateDecode \/Length (\d+) >>\nstream\n/.exec(text)!;
    const start = image.index + image[0].length;
    const rgb = inflateSync(pdf.subarray(start, start + Number(image[1])));
    expect(rgb.length).toBe(600 * 300 * 3);
    expect([...rgb.subarray(0, 6)]).toEqual([200, 100, 50, 10, 20, 30]);
  });
});
