/** The part of stac-js (no typings of its own) that changewatch uses. */
declare module 'stac-js' {
  export interface StacJsBand {
    getMetadata(field: string): unknown;
  }
  export interface StacJsAsset {
    getKey(): string;
    getBands(): StacJsBand[];
    getMetadata(field: string): unknown;
  }
  export interface StacJsObject {
    getAssets(): StacJsAsset[];
  }
  /** Creates a Catalog, Collection, Item or ItemCollection, migrating older STAC versions to the latest. */
  export default function create(data: unknown, migrate?: boolean, updateVersionNumber?: boolean): StacJsObject;
}
