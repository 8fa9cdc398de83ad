import { accuracySentence, type AccuracyAsset } from '../../reports/accuracy.js';
import { createHash } from 'node:crypto';
import type { Config } from '../../config/config.schema.js';
import type { SiteProperties, SitesCollection } from '../outputs/sites.js';

/**
 * Which sites alert: those matching any rule of `alerts.rules` (product, states, minimum hectares, zone), each as an
 * alert keyed by the site, its state and its last period (the item it was last folded from). The key is what "never
 * twice" is about: a rerun or another scheduler finds the same site in the same state at the same item, so the same
 * key; a site that grows again in a later period has a new one.
 */

export type AlertRule = Config['alerts']['rules'][number];

/** One site in one state at one period: what a digest lists and the store records once. */
export interface SiteAlert {
  /** sha256 of site id, state and item (hex): the alert's identity and its record's name. */
  key: string;
  site: string;
  product: string;
  state: SiteProperties['state'];
  hectares: number;
  zones: Record<string, number>;
  /** The version of each versioned zone on the day the site was first seen (sites.geojson), when any is versioned. */
  zone_versions?: SiteProperties['zone_versions'];
  first_seen: string | null;
  last_change: string;
  /** The item the site was last folded from, and its monitoring window. */
  item: string;
  monitoring: string;
  /** The report page of that item (the latest published), when there is one. */
  report: string | null;
  /** What an accuracy assessment of that item says of the site's product (`assess publish`), when there is one. */
  accuracy?: SiteAccuracy;
}

export interface SiteAccuracy {
  /** The product's change class assessed, and its user's accuracy with the 95 % CI half-width. */
  class: string;
  usersAccuracy: { value: number; ci95: number } | null;
  /** "426 ha mapped; 380 ± 95 ha estimated (95 % CI, …)": the AOI's figures for that class. */
  aoi: string;
  by: string;
  on: string;
  /** The inputs the assessment was made on, and whether the item still has them. */
  inputs: string;
  current: boolean;
}

/** The assessment's figures for a product's first change class, as an alert cites them. */
export function siteAccuracy(asset: AccuracyAsset, itemInputs: string): SiteAccuracy | undefined {
  const change = asset.design.strata.find((stratum) => stratum.change)?.name;
  const entry = asset.perClass.find((candidate) => candidate.class === change);
  const sentence = change ? accuracySentence(asset, change) : undefined;
  if (!change || !entry || !sentence) return undefined;
  return {
    class: change,
    usersAccuracy: entry.usersAccuracy && { value: entry.usersAccuracy.value, ci95: entry.usersAccuracy.ci95 },
    aoi: sentence,
    by: asset.labels.by,
    on: asset.labels.on,
    inputs: asset.inputs,
    current: asset.inputs === itemInputs,
  };
}

/** The alert key of a site state at an item: sha256 of the three, newline-separated (ids hold no newline). */
export function alertKey(site: string, state: string, item: string): string {
  return createHash('sha256').update(`${site}\n${state}\n${item}`).digest('hex');
}

export function matchesRule(site: SiteProperties, rule: AlertRule): boolean {
  return (
    rule.states.includes(site.state) &&
    (rule.product === undefined || site.product === rule.product) &&
    (rule.minHectares === undefined || site.hectares >= rule.minHectares) &&
    (rule.zone === undefined || (site.zones[rule.zone] ?? 0) > 0)
  );
}

/**
 * The alerts the sites call for under the rules, largest site first. `reportOf` gives the report page of an item
 * (undefined: none published).
 */
export function siteAlerts(
  sites: SitesCollection,
  rules: readonly AlertRule[],
  reportOf: (item: string) => string | undefined,
): SiteAlert[] {
  const alerts: SiteAlert[] = [];
  for (const { properties: site } of sites.features) {
    const last = site.history.at(-1);
    if (!last || !rules.some((rule) => matchesRule(site, rule))) continue;
    alerts.push({
      key: alertKey(site.site, site.state, last.item),
      site: site.site,
      product: site.product,
      state: site.state,
      hectares: site.hectares,
      zones: site.zones,
      ...(site.zone_versions ? { zone_versions: site.zone_versions } : {}),
      first_seen: site.first_seen,
      last_change: site.last_change,
      item: last.item,
      monitoring: last.monitoring,
      report: reportOf(last.item) ?? null,
    });
  }
  return alerts.sort((a, b) => b.hectares - a.hectares || a.site.localeCompare(b.site));
}
