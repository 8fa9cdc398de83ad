import { describe, expect, it } from 'vitest';
import { fromCrs } from '../../../aoi/aoi.project.js';
import type { AreaGeometry } from '../../../aoi/geometry.js';
import type { Grid } from '../../../aoi/rasterize.js';
import { forestLoss, forestRegrowth } from '../../../workers/products/forest.loss.js';
import { REVEGETATION } from '../../../workers/products/product.js';
import {
  foldSites,
  markRevegetating,
  pixelsOf,
  recoveredShare,
  revegetationWindow,
  type SitePatch,
  type SitePeriodInput,
} from '../../../workers/sites.js';

// A 10 m grid in UTM 35S (Bukavu), 60 × 40 pixels.
const GRID: Grid = { epsg: 32735, width: 60, height: 40, transform: [700_000, 10, 0, 9_720_000, 0, -10] };
const toLonLat = fromCrs(GRID.epsg);

/** Pixels columns [x0, x1) × rows [y0, y1) of the grid as a lon/lat polygon along their edges. */
function box(x0: number, y0: number, x1: number, y1: number): AreaGeometry {
  const corner = (x: number, y: number) => toLonLat([700_000 + x * 10, 9_720_000 - y * 10]) as [number, number];
  return {
    type: 'Polygon',
    coordinates: [[corner(x0, y0), corner(x0, y1), corner(x1, y1), corner(x1, y0), corner(x0, y0)]],
  };
}

const patch = (geometry: AreaGeometry, hectares: number, firstSeen: string | null = null): SitePatch => ({
  product: 'forest-loss',
  class: 'forest-loss',
  hectares,
  hectaresHigh: hectares / 2,
  firstSeen,
  geometry,
});

const period = (n: number, patches: SitePatch[]): SitePeriodInput => ({
  item: `aoi-p${n}`,
  digest: `d${n}`,
  monitoring: `2021-0${n}-01/2021-0${n}-28`,
  lastObservation: `2021-0${n}-20`,
  patches,
});

const rules = { matchDistancePx: 1, inactiveAfter: 2, mmuHa: () => 0.05 };

describe('pixelsOf', () => {
  it('burns a pixel-aligned polygon back onto exactly its pixels', () => {
    const pixels = pixelsOf(box(2, 3, 5, 5), GRID);
    expect([...pixels]).toEqual([182, 183, 184, 242, 243, 244]);
  });
});

describe('foldSites', () => {
  const A = box(10, 10, 14, 14);
  const B = box(30, 10, 34, 14);
  const bridge = box(12, 12, 32, 13);

  it('gives a new patch a new id, keeps the id of a patch on the same ground, and numbers per product', () => {
    const sites = foldSites(
      'aoi',
      GRID,
      [period(1, [patch(A, 0.16, '2021-01-05')]), period(2, [patch(A, 0.16)])],
      rules,
    );
    expect(sites.map((site) => [site.id, site.state])).toEqual([['aoi-forest-loss-000001', 'stable']]);
    expect(sites[0]!.history.map((entry) => [entry.item, entry.newHectares])).toEqual([
      ['aoi-p1', 0.16],
      ['aoi-p2', 0],
    ]);
    expect(sites[0]!.firstSeen).toBe('2021-01-05');
    expect(sites[0]!.lastChange).toBe('2021-01-01/2021-01-28');
    expect(sites[0]!.lastClearView).toBe('2021-02-20');
  });

  it('joins a patch within the match distance (a diagonal neighbour) to the site, and grows it', () => {
    const touching = box(14, 14, 20, 20); // shares only the corner pixel diagonal (13,13)–(14,14)
    const sites = foldSites('aoi', GRID, [period(1, [patch(A, 0.16)]), period(2, [patch(touching, 0.36)])], rules);
    expect(sites).toHaveLength(1);
    expect(sites[0]!.state).toBe('expanding');
    expect(sites[0]!.footprint.length).toBe(16 + 36);
  });

  it('merges the sites a patch joins: the oldest keeps its id, the other is kept as merged', () => {
    const sites = foldSites(
      'aoi',
      GRID,
      [period(1, [patch(A, 0.16), patch(B, 0.16)]), period(2, [patch(bridge, 0.2)])],
      rules,
    );
    expect(sites.map((site) => [site.id, site.state, site.mergedInto ?? null])).toEqual([
      ['aoi-forest-loss-000001', 'expanding', null],
      ['aoi-forest-loss-000002', 'merged', 'aoi-forest-loss-000001'],
    ]);
    expect(sites[0]!.mergedFrom).toEqual(['aoi-forest-loss-000002']);
    expect(sites[0]!.footprint.length).toBe(16 + 16 + 20 - 2 - 2);
  });

  it('splits a site two patches fall on: the largest keeps the id, the other starts a site that says so', () => {
    const sites = foldSites(
      'aoi',
      GRID,
      [
        period(1, [patch(A, 0.16), patch(B, 0.16)]),
        period(2, [patch(bridge, 0.2)]),
        period(3, [patch(box(10, 10, 12, 12), 0.04), patch(box(30, 10, 34, 14), 0.16)]),
      ],
      rules,
    );
    const active = sites.filter((site) => site.state !== 'merged');
    expect(active.map((site) => [site.id, site.splitFrom ?? null, site.history.at(-1)!.hectares])).toEqual([
      ['aoi-forest-loss-000001', null, 0.16],
      ['aoi-forest-loss-000003', 'aoi-forest-loss-000001', 0.04],
    ]);
  });

  it('a site with no growth of at least the minimum mapping unit for two periods is inactive', () => {
    const far = box(50, 30, 52, 32);
    const sites = foldSites(
      'aoi',
      GRID,
      [period(1, [patch(A, 0.16)]), period(2, [patch(far, 0.04)]), period(3, [patch(far, 0.04)])],
      rules,
    );
    expect(sites.map((site) => [site.id, site.state])).toEqual([
      ['aoi-forest-loss-000001', 'inactive'],
      ['aoi-forest-loss-000002', 'stable'],
    ]);
  });

  it('patches of one period within the match distance of each other start one site, farther ones another', () => {
    const near = box(14, 14, 16, 16); // diagonal neighbour of A's corner: 1 pixel away
    const gap = box(16, 10, 18, 12); // two columns from A: 3 pixels away
    const sites = foldSites(
      'aoi',
      GRID,
      [period(1, [patch(A, 0.16), patch(near, 0.04), patch(gap, 0.04), patch(B, 0.16)])],
      rules,
    );
    expect(sites.map((site) => [site.id, site.history[0]!.patches, site.footprint.length])).toEqual([
      ['aoi-forest-loss-000001', 2, 20],
      ['aoi-forest-loss-000002', 1, 4],
      ['aoi-forest-loss-000003', 1, 16],
    ]);
  });
});

describe('revegetating', () => {
  const { notSeen, notRecovered, recovered } = REVEGETATION;
  const A = box(10, 10, 14, 14); // 16 pixels, columns 10–13, rows 10–13
  const B = box(30, 10, 34, 14);
  /** Two sites of two periods with no growth in the second: both stable. */
  const stableSites = () =>
    foldSites('aoi', GRID, [period(1, [patch(A, 0.16), patch(B, 0.16)]), period(2, [patch(A, 0.16)])], rules);
  /** Codes over the window of A's 4 × 4 pixels, the first `back` of them recovered, the next `unseen` not seen. */
  const overA = (back: number, unseen = 0) => ({
    product: 'forest-loss',
    window: { x0: 10, y0: 10, x1: 14, y1: 14 },
    codes: Uint8Array.from({ length: 16 }, (_, i) =>
      i < back ? recovered : i < back + unseen ? notSeen : notRecovered,
    ),
  });

  it('forest loss: NDVI at or above the forest threshold is recovered, below it is not, NaN is not seen', () => {
    // 0.6 as float32 is 0.6000000238…: at the threshold, as classifyForestLoss reads a baseline of 0.6 as forest.
    const ndvi = Float32Array.of(0.6, 0.59, NaN, 0.85, -0.1);
    const copy = Float32Array.from(ndvi);
    expect([...forestRegrowth(ndvi, 0.6)]).toEqual([recovered, notRecovered, notSeen, recovered, notRecovered]);
    expect([...forestLoss.revegetating!.classify({ ndvi }, forestLoss.params.parse({ forestNdvi: 0.8 }))]).toEqual([
      notRecovered,
      notRecovered,
      notSeen,
      recovered,
      notRecovered,
    ]);
    expect(ndvi).toEqual(copy); // does not mutate its input
  });

  it('the share counts only the footprint pixels seen clear, and is NaN when none was', () => {
    const [site] = stableSites();
    expect(recoveredShare(site!.footprint, GRID, overA(6, 4))).toBe(6 / 12);
    expect(recoveredShare(site!.footprint, GRID, overA(0, 16))).toBeNaN();
    // Footprint pixels outside the window are not seen either.
    const half = {
      product: 'forest-loss',
      window: { x0: 10, y0: 10, x1: 12, y1: 14 },
      codes: new Uint8Array(8).fill(2),
    };
    expect(recoveredShare(site!.footprint, GRID, half)).toBe(1);
  });

  it('marks a stable site whose footprint seen clear is at least half recovered, and only that site', () => {
    const sites = stableSites();
    expect(sites.map((site) => site.state)).toEqual(['stable', 'stable']);
    expect(markRevegetating(sites, GRID, overA(7)).map((site) => site.id)).toEqual([]);
    expect(markRevegetating(sites, GRID, overA(6, 4)).map((site) => site.id)).toEqual(['aoi-forest-loss-000001']);
    expect(sites.map((site) => site.state)).toEqual(['revegetating', 'stable']);
  });

  it('never marks a site that grew, a merged site, or a site of a product the codes are not of', () => {
    const grown = foldSites('aoi', GRID, [period(1, [patch(A, 0.16)])], rules);
    expect(markRevegetating(grown, GRID, overA(16))).toEqual([]);
    expect(grown[0]!.state).toBe('new');
    const other = stableSites();
    expect(markRevegetating(other, GRID, { ...overA(16), product: 'mining-expansion' })).toEqual([]);
  });

  it('the window holds the footprints of the sites that may be marked', () => {
    expect(revegetationWindow(stableSites(), GRID, 'forest-loss')).toEqual({ x0: 10, y0: 10, x1: 34, y1: 14 });
    expect(revegetationWindow(foldSites('aoi', GRID, [period(1, [patch(A, 0.16)])], rules), GRID, 'forest-loss')).toBe(
      undefined,
    );
  });

  it('refuses codes that do not fill their window', () => {
    expect(() => markRevegetating(stableSites(), GRID, { ...overA(0), codes: new Uint8Array(15) })).toThrow(RangeError);
  });

  it('only products that define a revegetation rule can reach the state', async () => {
    const { PRODUCTS } = await import('../../../workers/products/index.js');
    expect(PRODUCTS.filter((product) => 'revegetating' in product).map((product) => product.type)).toEqual([
      'forest-loss',
    ]);
  });
});
