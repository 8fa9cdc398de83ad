import { projectedBounds } from '../aoi/aoi.project.js';
import type { AreaGeometry } from '../aoi/geometry.js';
import { rasterizer, type Grid, type PixelWindow } from '../aoi/rasterize.js';
import { REVEGETATION } from './products/product.js';

const sum = (values: number[]) => values.reduce((total, value) => total + value, 0);

/**
 * Sites: change patches followed across periods under a stable id. The periods are folded in chronological order on
 * one grid; each period's patches (the published polygons, burnt back onto the grid by pixel centre, which gives
 * their pixels exactly) are matched to the sites of their product seen so far:
 *
 * - the period's patches lying within `matchDistancePx` pixels of each other (Chebyshev distance, so 1 joins diagonal
 *   neighbours) form one cluster: change that close together is one site;
 * - a cluster touches a site when one of its pixels lies on the site's footprint (every pixel any of its patches
 *   ever covered) or within `matchDistancePx` pixels of it;
 * - a cluster touching no site starts a new one (`<aoi>-<product>-000001`, numbered per AOI and product);
 * - a cluster touching several sites merges them: the oldest (lowest number) keeps its id, the others are kept as
 *   `merged` with `merged_into`, and the survivor lists them in `merged_from`;
 * - several clusters touching one site split it: the largest keeps the id, the others start new sites that record
 *   `split_from`.
 *
 * A site's state in the last period: `new` (started in it), `expanding` (grew by at least the product's minimum
 * mapping unit outside its earlier footprint), `inactive` (no such growth for `inactiveAfter` periods), else
 * `stable`; `merged` for absorbed sites. A `stable` or `inactive` site is `revegetating` when its product has a
 * revegetation rule and at least {@link REVEGETATING_SHARE} of its footprint seen clear in the last period passes it
 * ({@link markRevegetating}). Pure.
 */

export interface SitePatch {
  product: string;
  class: string;
  hectares: number;
  hectaresHigh: number;
  /** First date a clear observation showed the change (YYYY-MM-DD), when the product dates it. */
  firstSeen: string | null;
  geometry: AreaGeometry;
}

export interface SitePeriodInput {
  item: string;
  digest: string;
  /** The monitoring window as written (`2021-08-15/2021-09-30`). */
  monitoring: string;
  /** Last observation date of the monitoring period with data over the AOI (YYYY-MM-DD), if any. */
  lastObservation: string | null;
  patches: SitePatch[];
}

export interface SiteRules {
  matchDistancePx: number;
  inactiveAfter: number;
  /** The product's minimum mapping unit, hectares: growth below it is not expansion. */
  mmuHa(product: string): number;
}

/** Every site state, in lifecycle order. */
export const SITE_STATES = ['new', 'expanding', 'stable', 'inactive', 'revegetating', 'merged'] as const;
export type SiteState = (typeof SITE_STATES)[number];

/**
 * The share of a site's footprint seen clear that must pass its product's revegetation rule: a majority, so a few
 * regrown edge pixels (or mixed pixels along the outline) do not turn a bare clearing into a revegetating site.
 */
export const REVEGETATING_SHARE = 0.5;

export interface SitePeriod {
  item: string;
  monitoring: string;
  hectares: number;
  hectaresHigh: number;
  patches: number;
  /** Hectares of the period's patches outside the site's earlier footprint. */
  newHectares: number;
  classes: string[];
}

export interface Site {
  id: string;
  product: string;
  state: SiteState;
  firstSeen: string | null;
  /** The monitoring window of the last period the site started or grew. */
  lastChange: string;
  /** The last observation date of the last period a patch of the site was seen. */
  lastClearView: string | null;
  mergedFrom: string[];
  mergedInto?: string;
  splitFrom?: string;
  history: SitePeriod[];
  /** Grid pixel indices (row × width + column) of every patch pixel of the site, ascending. */
  footprint: Int32Array;
  /** Periods since the last start or growth. */
  quietPeriods: number;
}

/** The grid window a lon/lat geometry covers, one pixel wider on each side, clipped to the grid. */
export function windowOf(geometry: AreaGeometry, grid: Grid): PixelWindow | undefined {
  const [minX, minY, maxX, maxY] = projectedBounds(geometry, grid.epsg);
  const [originX, pixelWidth, , originY, , pixelHeight] = grid.transform;
  const columns = [(minX - originX) / pixelWidth, (maxX - originX) / pixelWidth];
  const rows = [(maxY - originY) / pixelHeight, (minY - originY) / pixelHeight];
  const x0 = Math.max(0, Math.floor(Math.min(...columns)) - 1);
  const x1 = Math.min(grid.width, Math.ceil(Math.max(...columns)) + 1);
  const y0 = Math.max(0, Math.floor(Math.min(...rows)) - 1);
  const y1 = Math.min(grid.height, Math.ceil(Math.max(...rows)) + 1);
  return x1 > x0 && y1 > y0 ? { x0, y0, x1, y1 } : undefined;
}

/** The grid pixels whose centres a geometry covers, ascending. */
export function pixelsOf(geometry: AreaGeometry, grid: Grid): Int32Array {
  const window = windowOf(geometry, grid);
  if (!window) return new Int32Array(0);
  const mask = rasterizer(geometry, grid)(window);
  const width = window.x1 - window.x0;
  const out: number[] = [];
  for (let i = 0; i < mask.length; i++) {
    if (mask[i]) out.push((window.y0 + Math.floor(i / width)) * grid.width + window.x0 + (i % width));
  }
  return Int32Array.from(out);
}

function union(a: Int32Array, b: Int32Array): Int32Array {
  const merged = new Int32Array(a.length + b.length);
  merged.set(a);
  merged.set(b, a.length);
  merged.sort();
  let n = 0;
  for (let i = 0; i < merged.length; i++) if (i === 0 || merged[i] !== merged[i - 1]) merged[n++] = merged[i]!;
  return merged.slice(0, n);
}

/** Calls `visit` with every grid pixel within Chebyshev distance `r` of `pixel` (itself included), row by row. */
function forEachNeighbour(pixel: number, grid: Grid, r: number, visit: (at: number) => void): void {
  const [row, column] = [Math.floor(pixel / grid.width), pixel % grid.width];
  for (let y = Math.max(0, row - r); y <= Math.min(grid.height - 1, row + r); y++) {
    for (let x = Math.max(0, column - r); x <= Math.min(grid.width - 1, column + r); x++) visit(y * grid.width + x);
  }
}

/** Each footprint pixel and its neighbours within `r`, claimed by the oldest site reaching it. */
function reach(sites: readonly Site[], grid: Grid, r: number): Map<number, number> {
  const owner = new Map<number, number>();
  sites.forEach((site, index) => {
    if (site.state === 'merged') return;
    for (const pixel of site.footprint) {
      forEachNeighbour(pixel, grid, r, (at) => {
        if (!owner.has(at)) owner.set(at, index);
      });
    }
  });
  return owner;
}

/** A cluster of one period's patches and the site it went to (-1: a new site). */
interface Placed {
  patches: Array<{ patch: SitePatch; pixels: Int32Array }>;
  hectares: number;
  site: number;
}

type Located = { patch: SitePatch; pixels: Int32Array };

/** The period's patches grouped by distance: patches within `r` pixels of each other share a cluster. */
function clusters(patches: readonly Located[], grid: Grid, r: number): Located[][] {
  const parent = patches.map((_, i) => i);
  const root = (i: number): number => (parent[i] === i ? i : (parent[i] = root(parent[i]!)));
  const owner = new Map<number, number>();
  patches.forEach(({ pixels }, index) => pixels.forEach((pixel) => owner.set(pixel, index)));
  patches.forEach(({ pixels }, index) => {
    for (const pixel of pixels) {
      forEachNeighbour(pixel, grid, r, (at) => {
        const other = owner.get(at);
        if (other !== undefined && root(other) !== root(index)) parent[root(index)] = root(other);
      });
    }
  });
  const groups = new Map<number, Located[]>();
  patches.forEach((located, index) => groups.set(root(index), [...(groups.get(root(index)) ?? []), located]));
  return [...groups.values()];
}

/** Matches a period's clusters of one product to its sites, merging the sites a cluster joins. */
function match(sites: Site[], patches: Located[], grid: Grid, rules: SiteRules): Placed[] {
  const owner = reach(sites, grid, rules.matchDistancePx);
  const placed: Placed[] = [];
  for (const cluster of clusters(patches, grid, rules.matchDistancePx)) {
    const hit = new Set<number>();
    for (const { pixels } of cluster) {
      for (const pixel of pixels) {
        const site = owner.get(pixel);
        if (site !== undefined) hit.add(site);
      }
    }
    const touched = [...hit].sort((a, b) => a - b);
    const survivor = touched[0] ?? -1;
    for (const absorbed of touched.slice(1)) mergeInto(sites, survivor, absorbed);
    placed.push({ patches: cluster, hectares: sum(cluster.map((entry) => entry.patch.hectares)), site: survivor });
  }
  // A merge later in the period may have absorbed a site an earlier cluster was placed on.
  for (const entry of placed) {
    while (entry.site >= 0 && sites[entry.site]!.mergedInto) {
      entry.site = sites.findIndex((site) => site.id === sites[entry.site]!.mergedInto);
    }
  }
  return placed;
}

function mergeInto(sites: Site[], survivor: number, absorbed: number): void {
  const [into, from] = [sites[survivor]!, sites[absorbed]!];
  if (from.state === 'merged') return;
  from.state = 'merged';
  from.mergedInto = into.id;
  into.mergedFrom.push(from.id, ...from.mergedFrom);
  into.footprint = union(into.footprint, from.footprint);
  if (from.firstSeen && (!into.firstSeen || from.firstSeen < into.firstSeen)) into.firstSeen = from.firstSeen;
}

/** Adds one period's cluster of patches to a site (or starts it), and sets its state. */
function grow(site: Site, period: SitePeriodInput, cluster: Placed, rules: SiteRules, started: boolean): void {
  const placed = cluster.patches;
  const before = site.footprint;
  const isBefore = (pixel: number) => {
    let [lo, hi] = [0, before.length - 1];
    while (lo <= hi) {
      const mid = (lo + hi) >> 1;
      if (before[mid] === pixel) return true;
      if (before[mid]! < pixel) lo = mid + 1;
      else hi = mid - 1;
    }
    return false;
  };
  const hectares = sum(placed.map((entry) => entry.patch.hectares));
  const pixels = sum(placed.map((entry) => entry.pixels.length));
  const fresh = sum(placed.map((entry) => entry.pixels.filter((pixel) => !isBefore(pixel)).length));
  const newHectares = pixels === 0 ? 0 : (hectares * fresh) / pixels;
  for (const entry of placed) site.footprint = union(site.footprint, entry.pixels);
  site.history.push({
    item: period.item,
    monitoring: period.monitoring,
    hectares,
    hectaresHigh: sum(placed.map((entry) => entry.patch.hectaresHigh)),
    patches: placed.length,
    newHectares,
    classes: [...new Set(placed.map((entry) => entry.patch.class))].sort(),
  });
  for (const { patch } of placed) {
    if (patch.firstSeen && (!site.firstSeen || patch.firstSeen < site.firstSeen)) site.firstSeen = patch.firstSeen;
  }
  site.lastClearView = period.lastObservation ?? site.lastClearView;
  const grew = started || newHectares >= rules.mmuHa(site.product);
  site.quietPeriods = grew ? 0 : site.quietPeriods + 1;
  if (grew) site.lastChange = period.monitoring;
  site.state = started ? 'new' : grew ? 'expanding' : site.quietPeriods >= rules.inactiveAfter ? 'inactive' : 'stable';
}

function newSite(aoiId: string, product: string, sites: Site[], period: SitePeriodInput, splitFrom?: string): Site {
  const number = sites.filter((site) => site.product === product).length + 1;
  const site: Site = {
    id: `${aoiId}-${product}-${String(number).padStart(6, '0')}`,
    product,
    state: 'new',
    firstSeen: null,
    lastChange: period.monitoring,
    lastClearView: null,
    mergedFrom: [],
    history: [],
    footprint: new Int32Array(0),
    quietPeriods: 0,
    ...(splitFrom ? { splitFrom } : {}),
  };
  sites.push(site);
  return site;
}

/** One period of one product: match, split, grow; sites no patch reached grow quieter. */
function foldPeriod(
  aoiId: string,
  product: string,
  sites: Site[],
  period: SitePeriodInput,
  grid: Grid,
  rules: SiteRules,
) {
  const patches = period.patches
    .filter((patch) => patch.product === product)
    .map((patch) => ({ patch, pixels: pixelsOf(patch.geometry, grid) }))
    .filter((entry) => entry.pixels.length > 0);
  const mine = sites.filter((site) => site.product === product);
  const placed = match(mine, patches, grid, rules);
  const bySite = new Map<number, Placed[]>();
  for (const entry of placed) {
    if (entry.site < 0) grow(newSite(aoiId, product, sites, period), period, entry, rules, true);
    else bySite.set(entry.site, [...(bySite.get(entry.site) ?? []), entry]);
  }
  for (const [index, entries] of bySite) {
    const site = mine[index]!;
    // The largest cluster keeps the site; the others split off as new sites.
    const [largest, ...others] = [...entries].sort((a, b) => b.hectares - a.hectares);
    grow(site, period, largest!, rules, false);
    for (const other of others) grow(newSite(aoiId, product, sites, period, site.id), period, other, rules, true);
  }
  for (const site of mine) {
    if (site.state === 'merged' || bySite.has(mine.indexOf(site))) continue;
    site.quietPeriods += 1;
    site.state = site.quietPeriods >= rules.inactiveAfter ? 'inactive' : 'stable';
  }
}

/** The sites of an AOI after every period, in chronological order of the periods given. */
export function foldSites(aoiId: string, grid: Grid, periods: readonly SitePeriodInput[], rules: SiteRules): Site[] {
  const sites: Site[] = [];
  const products = [...new Set(periods.flatMap((period) => period.patches.map((patch) => patch.product)))].sort();
  for (const period of periods) {
    for (const product of products) foldPeriod(aoiId, product, sites, period, grid, rules);
  }
  return sites;
}

/** The last period's revegetation codes of one product's rule (workers/products/product.ts) over a grid window. */
export interface Revegetation {
  product: string;
  window: PixelWindow;
  /** {@link REVEGETATION} codes, row by row over the window. */
  codes: Uint8Array;
}

/** Of a footprint's pixels the window saw clear, the share that passes the rule (NaN when none was seen). */
export function recoveredShare(footprint: Int32Array, grid: Grid, { window, codes }: Revegetation): number {
  const width = window.x1 - window.x0;
  let [seen, recovered] = [0, 0];
  for (const pixel of footprint) {
    const [row, column] = [Math.floor(pixel / grid.width), pixel % grid.width];
    if (row < window.y0 || row >= window.y1 || column < window.x0 || column >= window.x1) continue;
    const code = codes[(row - window.y0) * width + column - window.x0];
    if (code === REVEGETATION.notSeen) continue;
    seen++;
    if (code === REVEGETATION.recovered) recovered++;
  }
  return seen === 0 ? NaN : recovered / seen;
}

/**
 * Marks as `revegetating` the sites of the rule's product that did not start or grow in the last period (`stable` or
 * `inactive`) and whose footprint seen clear passes the rule for at least {@link REVEGETATING_SHARE}. Returns them.
 */
export function markRevegetating(sites: Site[], grid: Grid, revegetation: Revegetation): Site[] {
  const window = revegetation.window;
  if (revegetation.codes.length !== (window.x1 - window.x0) * (window.y1 - window.y0)) {
    throw new RangeError(`markRevegetating: ${revegetation.codes.length} codes for window ${JSON.stringify(window)}`);
  }
  const marked = sites.filter(
    (site) =>
      site.product === revegetation.product &&
      (site.state === 'stable' || site.state === 'inactive') &&
      recoveredShare(site.footprint, grid, revegetation) >= REVEGETATING_SHARE,
  );
  for (const site of marked) site.state = 'revegetating';
  return marked;
}

/** The grid window holding the footprints of the sites a revegetation rule may mark (undefined: none). */
export function revegetationWindow(sites: readonly Site[], grid: Grid, product: string): PixelWindow | undefined {
  let [x0, y0, x1, y1] = [Infinity, Infinity, -Infinity, -Infinity];
  for (const site of sites) {
    if (site.product !== product || (site.state !== 'stable' && site.state !== 'inactive')) continue;
    for (const pixel of site.footprint) {
      const [row, column] = [Math.floor(pixel / grid.width), pixel % grid.width];
      [x0, y0, x1, y1] = [Math.min(x0, column), Math.min(y0, row), Math.max(x1, column + 1), Math.max(y1, row + 1)];
    }
  }
  return x1 > x0 ? { x0, y0, x1, y1 } : undefined;
}
