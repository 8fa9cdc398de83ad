import type { ClassInfo } from '../../workers/products/product.js';

/**
 * A product's classes (workers/products/) as the outputs write them: the STAC `classification:classes`, the
 * GeoTIFF `CLASSES` metadata, and colours as RGB for the previews.
 */

export type { ClassInfo };

/** STAC classification extension v2: value, name, description, color_hint, nodata. */
export function classificationOf(classes: readonly ClassInfo[]) {
  return classes.map((entry) => ({
    value: entry.value,
    name: entry.name,
    description: entry.description,
    color_hint: entry.colour.toUpperCase(),
    ...(entry.nodata ? { nodata: true } : {}),
  }));
}

/** `0=not-seen,1=non-forest,…`: the class table in the GeoTIFF's own metadata, for readers without the item. */
export function classesMetadata(classes: readonly ClassInfo[]): string {
  return classes.map((entry) => `${entry.value}=${entry.name}`).join(',');
}

/** The nodata code of a class table (outside the AOI). */
export function nodataOf(classes: readonly ClassInfo[]): number {
  return classes.find((entry) => entry.nodata)!.value;
}

export function rgbOf(colour: string): [number, number, number] {
  return [
    Number.parseInt(colour.slice(0, 2), 16),
    Number.parseInt(colour.slice(2, 4), 16),
    Number.parseInt(colour.slice(4, 6), 16),
  ];
}
