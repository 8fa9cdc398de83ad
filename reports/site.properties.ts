import type { ZoneStatus } from '../aoi/zone.versions.js';
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
  /** Hectares inside each zone it reaches: for a versioned zone, inside the version of its first sighting. */
  zones: Record<string, number>;
  /**
   * For each versioned zone in `zones`, the version used (the one valid on `first_seen`) and what the zone was that
   * day: `expired` is a change first seen after the permit (its last version) ended. Absent when no zone is versioned.
   */
  zone_versions?: Record<string, { valid_from: string | null; valid_to: string | null; status: ZoneStatus }>;
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
