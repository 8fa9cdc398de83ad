import type { SiteState } from '../workers/sites.js';

/**
 * The properties of one site as `<aoi>/sites.geojson` publishes them (pipeline/outputs/sites.ts): the one shape the
 * sites document, the report's sites table and the dossier page read.
 */
export interface SiteProperties {
  site: string;
  product: string;
  state: SiteState;
  first_seen: string | null;
  last_change: string;
  last_clear_view: string | null;
  /** Area of every pixel the site's patches covered, geodesic, hectares. */
  hectares: number;
  zones: Record<string, number>;
  merged_from: string[];
  merged_into: string | null;
  split_from: string | null;
  history: Array<{
    item: string;
    monitoring: string;
    hectares: number;
    hectares_high_confidence: number;
    new_hectares: number;
    patches: number;
    classes: string[];
  }>;
}
