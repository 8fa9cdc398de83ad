import { crsDefinition, fromCrs } from '../../aoi/aoi.project.js';
import { ChangewatchError } from '../errors.js';
import type { RasterInfo } from '../io/cog.reader.js';
import type { Scene, SceneAsset } from './stac.profiles.js';

/**
 * Does a scene's file agree with its STAC item? The item says where the scene is (`proj:code`/`proj:epsg`, `bbox`);
 * the file's GeoKeys and geotransform say where its pixels are. When they disagree one of them is wrong, and a
 * scene read on either's word would add pixels in the wrong place or none at all while the run lists it as used:
 * such a scene is skipped, with the reason, instead. Pure.
 */

/** Below this share of the smaller of the two boxes in common, the file and the item describe different places. */
export const MIN_FOOTPRINT_OVERLAP = 0.5;

/** A scene left out of a run because its item and its file disagree; `reason` says how and what to do. */
export class SceneDisagreementError extends ChangewatchError {
  constructor(
    readonly sceneId: string,
    message: string,
  ) {
    super('E_READ', message);
  }

  /** Why the scene was skipped, for the summary and the run report. */
  get reason(): string {
    return this.message;
  }
}

type Box = readonly [number, number, number, number];

const boxText = (box: Box) => `[${box.map((value) => value.toFixed(4)).join(', ')}]`;
const area = (box: Box) => Math.max(0, box[2] - box[0]) * Math.max(0, box[3] - box[1]);

type Extent = Pick<RasterInfo, 'epsg' | 'transform' | 'width' | 'height'>;

/** Boxes already made, by raster info: an opened file is checked on every window read from it (dossiers: many). */
const boxesMade = new WeakMap<Extent, Box | undefined>();

/**
 * The lon/lat box of a raster's extent: its outline densified (8 points an edge) and projected, as a footprint
 * is; undefined when its CRS is one changewatch cannot project (the read then says so) or it straddles ±180°.
 */
export function rasterLonLatBox(info: Extent): Box | undefined {
  if (!boxesMade.has(info)) boxesMade.set(info, lonLatBox(info));
  return boxesMade.get(info);
}

function lonLatBox(info: Extent): Box | undefined {
  if (info.epsg === undefined || !crsDefinition(info.epsg)) return undefined;
  const inverse = fromCrs(info.epsg);
  const [originX, pixelWidth, , originY, , pixelHeight] = info.transform;
  const lons: number[] = [];
  const lats: number[] = [];
  const STEPS = 8;
  for (let step = 0; step <= STEPS; step++) {
    const t = step / STEPS;
    for (const [u, v] of [
      [t, 0],
      [t, 1],
      [0, t],
      [1, t],
    ] as const) {
      const [lon, lat] = inverse([originX + u * info.width * pixelWidth, originY + v * info.height * pixelHeight]);
      lons.push(lon);
      lats.push(lat);
    }
  }
  const box: Box = [Math.min(...lons), Math.min(...lats), Math.max(...lons), Math.max(...lats)];
  return box.every(Number.isFinite) && box[2] - box[0] < 180 ? box : undefined;
}

/** The share of the smaller box that both boxes cover (0 when apart, 1 when one holds the other). */
export function overlapShare(a: Box, b: Box): number {
  const common: Box = [Math.max(a[0], b[0]), Math.max(a[1], b[1]), Math.min(a[2], b[2]), Math.min(a[3], b[3])];
  const smaller = Math.min(area(a), area(b));
  if (common[2] <= common[0] || common[3] <= common[1]) return 0;
  return smaller > 0 ? area(common) / smaller : 1;
}

/**
 * Throws {@link SceneDisagreementError} when the file of `asset` is in another CRS than its item states (the
 * asset's own `proj:code`, else the item's), or covers a place the item's `bbox` does not.
 */
export function checkSceneAgreement(scene: Scene, asset: SceneAsset, info: Extent): void {
  const stated = asset.epsg ?? scene.epsg;
  if (stated !== undefined && info.epsg !== undefined && stated !== info.epsg) {
    throw new SceneDisagreementError(
      scene.id,
      `${scene.id} ${asset.key}: file CRS EPSG:${info.epsg} differs from the item's proj:code EPSG:${stated}: correct the item's proj:code or the file's georeferencing; the scene is skipped`,
    );
  }
  const bbox = scene.bbox;
  if (!bbox || !bbox.every(Number.isFinite) || bbox[0] > bbox[2]) return;
  const footprint = rasterLonLatBox(info);
  if (footprint && overlapShare(footprint, bbox) < MIN_FOOTPRINT_OVERLAP) {
    throw new SceneDisagreementError(
      scene.id,
      `${scene.id} ${asset.key}: file footprint ${boxText(footprint)} does not match the item's bbox ${boxText(bbox)}: correct the item's bbox or asset href, or the file's georeferencing; the scene is skipped`,
    );
  }
}
