import { describe, expect, it } from 'vitest';
import { fromCrs } from '../../../aoi/aoi.project.js';
import {
  CAPTION,
  CHIP_RAMPS,
  classLayer,
  composeChip,
  composeChipsTask,
  layerPicture,
  ndviLayer,
  OUTLINE,
  type NamedLegend,
} from '../../../workers/chip.js';
import { chipGeo, degreeLabel, siteWindow } from '../../../workers/chip.geo.js';
import { blankPicture, blitScaled, scanPolygon, strokeSegment } from '../../../workers/draw.js';
import { drawable, drawText, GLYPH_WIDTH, textWidth, wrapText } from '../../../workers/font.js';
import { encodePng } from '../../../workers/png.js';
import { NOT_SEEN_COLOUR, type Picture } from '../../../workers/render.js';

/** Dossier chips: the bitmap font, drawing, where a chip sits on the Earth, and the chip itself. */

const at = (picture: Picture, x: number, y: number) => {
  const o = (y * picture.width + x) * 4;
  return [...picture.rgba.subarray(o, o + 3)];
};
const BLACK = [0, 0, 0] as const;
const WHITE = [255, 255, 255] as const;
/** The Bukavu demo grid: WGS 84 / UTM 35S, 10 m. */
const GRID = { epsg: 32735, transform: [701600, 10, 0, 9730310, 0, -10] as const };

describe('font (X11 misc-fixed 6×13)', () => {
  it("draws 'A' as the BDF's rows 00 00 20 50 88 88 88 f8 88 88 88 00 00", () => {
    const picture = blankPicture(6, 13, WHITE);
    drawText(picture, 0, 0, 'A', BLACK);
    const rows = [0x00, 0x00, 0x20, 0x50, 0x88, 0x88, 0x88, 0xf8, 0x88, 0x88, 0x88, 0x00, 0x00];
    for (let y = 0; y < 13; y++) {
      for (let x = 0; x < 6; x++) expect(at(picture, x, y)[0], `${x},${y}`).toBe(rows[y]! & (0x80 >> x) ? 0 : 255);
    }
  });

  it('substitutes characters outside ISO 8859-1, wraps at spaces and cuts long words', () => {
    expect(drawable('≥ 0.2 – ok ° 中')).toBe('>= 0.2 - ok ° ?');
    expect(textWidth('abc')).toBe(3 * GLYPH_WIDTH);
    expect(wrapText('one two three four', 9 * GLYPH_WIDTH)).toEqual(['one two', 'three', 'four']);
    expect(wrapText('abcdefghij', 4 * GLYPH_WIDTH)).toEqual(['abcd', 'efgh', 'ij']);
  });
});

describe('drawing', () => {
  it('a radius-1 stroke along a pixel edge paints the pixel on each side, and skips what it is told to', () => {
    const picture = blankPicture(8, 8, WHITE);
    strokeSegment(picture, [4, 1], [4, 6], 1, BLACK, (x) => x === 4);
    const painted = [];
    for (let y = 0; y < 8; y++) for (let x = 0; x < 8; x++) if (at(picture, x, y)[0] === 0) painted.push(`${x},${y}`);
    // Round caps: the pixels beside the ends are within 1 of the end points too.
    expect(painted).toEqual(['3,0', '3,1', '3,2', '3,3', '3,4', '3,5', '3,6']);
  });

  it('scans a polygon with a hole by pixel centre (even-odd)', () => {
    const covered: string[] = [];
    const outer = [
      [1, 1],
      [5, 1],
      [5, 5],
      [1, 5],
    ] as const;
    const hole = [
      [2, 2],
      [3, 2],
      [3, 3],
      [2, 3],
    ] as const;
    scanPolygon([outer, hole], 8, 8, (x, y) => covered.push(`${x},${y}`));
    expect(covered).toHaveLength(16 - 1);
    expect(covered).not.toContain('2,2');
  });

  it('enlarges by a whole factor, nearest neighbour, and hatches what has no data', () => {
    const source: Picture = { width: 2, height: 1, rgba: Uint8Array.from([10, 20, 30, 255, 0, 0, 0, 0]) };
    const target = blankPicture(6, 3, WHITE);
    blitScaled(target, source, 0, 0, 3, { background: [250, 250, 250], line: [200, 200, 200] });
    for (let y = 0; y < 3; y++) for (let x = 0; x < 3; x++) expect(at(target, x, y)).toEqual([10, 20, 30]);
    expect(at(target, 3, 0)).toEqual([250, 250, 250]);
    expect(at(target, 5, 1)).toEqual([200, 200, 200]); // (5 + 1) % 6 === 0: a hatch line
  });
});

describe('where a chip sits', () => {
  it('labels degrees with their hemisphere and the decimals of the step', () => {
    expect(degreeLabel(28.818, 0.001, 'lon')).toBe('28.818°E');
    expect(degreeLabel(-2.44, 0.01, 'lat')).toBe('2.44°S');
    expect(degreeLabel(-2.4405, 0.0005, 'lat')).toBe('2.4405°S');
    expect(degreeLabel(0, 0.5, 'lon')).toBe('0°');
  });

  it('scale bar in ground metres and north from UTM 35S at Bukavu, against the textbook formulas', () => {
    // 256 chip pixels of 2.5 m from (701600, 9730310): about 28.82°E 2.44°S, 1.82° east of zone 35's meridian (27°E).
    const geo = chipGeo(32735, [701600, 2.5, 0, 9730310, 0, -2.5], 256, 256);
    // Point scale factor k = k0 (1 + (Δλ cos φ)² / 2) (Snyder 1987, eq. 8-11, first terms); a grid metre is 1/k m.
    const [dl, phi] = [(1.82 * Math.PI) / 180, (-2.44 * Math.PI) / 180];
    const k = 0.9996 * (1 + (dl * Math.cos(phi)) ** 2 / 2);
    expect(Math.abs(geo.metresPerPixel - 2.5 / k) / (2.5 / k)).toBeLessThan(2e-4);
    expect(geo.scaleBar).toEqual({ metres: 200, pixels: Math.round(200 / geo.metresPerPixel), label: '200 m' });
    // Convergence γ ≈ Δλ sin φ: true north lies 0.077° clockwise of grid north there.
    const degrees = (geo.northRadians * 180) / Math.PI;
    expect(Math.abs(degrees)).toBeCloseTo(Math.abs(1.82 * Math.sin(phi)), 2);
    expect(degrees).toBeGreaterThan(0);
    for (const tick of [...geo.lonTicks, ...geo.latTicks]) expect(tick.at).toBeGreaterThanOrEqual(0);
    const gaps = geo.lonTicks.slice(1).map((tick, i) => tick.at - geo.lonTicks[i]!.at);
    expect(Math.min(...gaps)).toBeGreaterThanOrEqual(textWidth(geo.lonTicks[0]!.label));
    expect(geo.lonTicks.map((tick) => tick.label)).toContain('28.816°E');
  });

  it('windows: at least 64 pixels, the site centred with a margin; a large one read from an overview', () => {
    // One grid pixel (the lon/lat of its corners), at column 100, row 200.
    const corner = (column: number, row: number) => {
      const [x, y] = [701600 + column * 10, 9730310 - row * 10];
      return [x, y] as const;
    };
    const small = siteWindow([ringOf(corner(100, 200), corner(101, 201))], GRID, [1, 2, 4]);
    expect(small.window.x1 - small.window.x0).toBe(64);
    expect([small.level, small.scale]).toEqual([0, 4]);
    // 64 = 1 + 31 + 32: the site at column 100 has 31 pixels on its left.
    expect([small.window.x0, small.window.y0]).toEqual([100 - 31, 200 - 31]);
    expect(small.rings[0]![0]![0]).toBeCloseTo(31, 4);
    const large = siteWindow([ringOf(corner(0, 0), corner(400, 300))], GRID, [1, 2, 4]);
    // 400 px + a margin of 200 each side = 800 > 512: the first overview (2×) holds it in 400.
    expect([large.level, large.factor, large.window.x1 - large.window.x0, large.scale]).toEqual([1, 2, 400, 1]);
    expect(large.transform[1]).toBe(20);
  });
});

/** A lon/lat rectangle whose corners are the UTM 35S points given. */
function ringOf(a: readonly [number, number], b: readonly [number, number]): Array<[number, number]> {
  const toLonLat = fromCrs(32735);
  const inverse = (x: number, y: number) => toLonLat([x, y]) as [number, number];
  return [inverse(a[0], a[1]), inverse(b[0], a[1]), inverse(b[0], b[1]), inverse(a[0], b[1]), inverse(a[0], a[1])];
}

describe('a chip', () => {
  it('lays out the caption, the enlarged map with the outline outside the site, and georeferences the picture', () => {
    const [width, height] = [64, 64];
    const values = new Float32Array(width * height).fill(0.8);
    values[0] = NaN;
    const map = ndviLayer(values, new Uint8Array(width * height), width, height);
    expect(at(map, 0, 0)).toEqual([...NOT_SEEN_COLOUR]);
    // A 2×2 site at pixels (30..31, 30..31) of the window.
    const outline = [
      [
        [30, 30],
        [32, 30],
        [32, 32],
        [30, 32],
        [30, 30],
      ] as Array<readonly [number, number]>,
    ];
    const chip = composeChip({
      map,
      scale: 4,
      epsg: 32735,
      transform: [702000, 10, 0, 9729000, 0, -10],
      outline,
      caption: ['Title of the chip', 'a second paragraph'],
      legend: {
        swatches: [
          { colour: [1, 2, 3], label: 'a class' },
          { colour: null, label: 'outside' },
        ],
      },
    });
    const { picture } = chip;
    expect(picture.width).toBe(64 + 256 + 10);
    expect(chip.map).toEqual({ x: 64, y: CAPTION.top + 2 * CAPTION.line + 6, width: 256, height: 256 });
    expect(chip.lines).toEqual(['Title of the chip', 'a second paragraph']);
    const inside = at(picture, chip.map.x + 30 * 4 + 1, chip.map.y + 30 * 4 + 1);
    expect(inside).toEqual(at(picture, chip.map.x + 10, chip.map.y + 10)); // the site's pixels are not painted over
    expect(at(picture, chip.map.x + 30 * 4 - 1, chip.map.y + 31 * 4)).toEqual([...OUTLINE]);
    expect(at(picture, chip.map.x + 30 * 4 - 2, chip.map.y + 31 * 4)).toEqual([0, 0, 0]);
    // The picture's georeference puts the map's corner at the window's origin.
    const [x0, dx, , y0, , dy] = chip.transform;
    expect([x0 + chip.map.x * dx, y0 + chip.map.y * dy, dx, dy]).toEqual([702000, 9729000, 2.5, -2.5]);
  });

  it("a window's chips composed together (one outline and frame) are each the chip composed alone", () => {
    const [width, height] = [64, 48];
    const outline = [
      [
        [20, 10],
        [41, 10],
        [41, 30],
        [30, 37],
        [20, 10],
      ] as Array<readonly [number, number]>,
    ];
    const frame = { map: { width, height }, scale: 4, epsg: 32735, transform: GRID.transform, outline };
    const values = Float32Array.from({ length: width * height }, (_, i) => ((i * 37) % 100) / 100);
    const codes = Uint8Array.from({ length: width * height }, (_, i) => (i % 7 === 0 ? 255 : i % 3));
    const colours = [[0, [10, 20, 30]] as const, [1, [200, 0, 0]] as const, [2, [0, 200, 0]] as const];
    const chips = [
      {
        layer: { kind: 'ndvi' as const, width, height, values, outside: codes.map((code) => (code === 255 ? 1 : 0)) },
        caption: ['NDVI chip', 'its second paragraph, long enough to wrap onto a line of its own in the chip'],
        legend: { ramp: 'ndvi' as const, swatches: [{ colour: null, label: 'outside' }] },
        text: [['Title', 'NDVI chip']] as const,
      },
      {
        layer: { kind: 'classes' as const, width, height, codes, colours, nodata: 255 },
        caption: ['Classes chip'],
        legend: { swatches: [{ colour: [200, 0, 0] as const, label: 'loss' }] },
      },
    ];
    const together = composeChipsTask({ type: 'compose-chips', frame, chips });
    expect(together).toHaveLength(2);
    chips.forEach((chip, k) => {
      const { ramp, ...legend } = chip.legend as NamedLegend;
      const alone = composeChip({
        ...frame,
        map: layerPicture(chip.layer),
        caption: chip.caption,
        legend: { ...legend, ...(ramp ? { ramp: CHIP_RAMPS[ramp] } : {}) },
      });
      const png = encodePng(alone.picture, chip.text ? { text: chip.text } : {});
      expect(Buffer.compare(Buffer.from(together[k]!.png), Buffer.from(png)), `chip ${k}`).toBe(0);
      expect(together[k]!.map).toEqual(alone.map);
      expect(together[k]!.transform).toEqual(alone.transform);
    });
    // The two captions differ in length, so the maps (and outlines) sit at different heights.
    expect(together[0]!.map.y).not.toBe(together[1]!.map.y);
  });

  it('classes in their colours; nodata transparent', () => {
    const picture = classLayer(
      Uint8Array.from([1, 3, 255]),
      new Map([
        [1, [9, 9, 9] as const],
        [3, [200, 0, 0] as const],
      ]),
      255,
      3,
      1,
    );
    expect([...picture.rgba]).toEqual([9, 9, 9, 255, 200, 0, 0, 255, 0, 0, 0, 0]);
  });
});
