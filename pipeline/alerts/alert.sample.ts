import type { Config } from '../../config/config.schema.js';
import { PRODUCT_TYPES } from '../../workers/products/index.js';
import { SITE_STATES } from '../../workers/sites.js';
import type { SitesCollection } from '../outputs/sites.js';
import type { ObjectStore } from '../ports.js';
import { stateKey, type AoiState } from '../publish/aoi.state.js';
import { readJson } from '../publish/publish.js';
import { sitesKey } from '../publish/sites.publish.js';
import type { AlertDigest } from './alert.digest.js';
import { reportLastClear } from './alert.deliver.js';
import { alertKey, siteAlerts, type SiteAlert } from './alert.select.js';

/**
 * The sample digest of `changewatch alerts test`: the AOI's largest published sites that the rules pick (else its
 * largest sites of any state, else one made-up site), marked as a test. It is sent as is and recorded nowhere, so it
 * never stands in for a real alert.
 */

const SAMPLE_SITES = 3;

function madeUpSite(aoiId: string, now: Date): SiteAlert {
  const day = now.toISOString().slice(0, 10);
  const site = `${aoiId}-${PRODUCT_TYPES[0]}-000000`;
  return {
    key: alertKey(site, 'new', 'sample'),
    site,
    product: PRODUCT_TYPES[0]!,
    state: 'new',
    hectares: 1.5,
    zones: {},
    first_seen: day,
    last_change: `${day}/${day}`,
    item: 'sample',
    monitoring: `${day}/${day}`,
    report: null,
  };
}

export async function sampleDigest(
  store: ObjectStore,
  input: { aoi: { id: string; name: string }; alerts: Config['alerts']; runId: string; now: Date },
): Promise<AlertDigest> {
  const { aoi } = input;
  const sites = await readJson<SitesCollection>(store, sitesKey(aoi.id));
  const reports = (await readJson<AoiState>(store, stateKey(aoi.id)).catch(() => null))?.reports ?? [];
  const reportOf = (item: string) => reports.filter((report) => report.itemId === item).at(-1)?.key;
  const picked = sites ? siteAlerts(sites, input.alerts.rules, reportOf) : [];
  const anyState = sites ? siteAlerts(sites, [{ states: [...SITE_STATES] }], reportOf) : [];
  const alerts = (picked.length > 0 ? picked : anyState).slice(0, SAMPLE_SITES);
  const lastClear = await reportLastClear(store, aoi.id, reports.at(-1));
  return {
    version: 1,
    id: `${aoi.id}.test-${input.runId}`,
    aoi,
    runId: input.runId,
    createdAt: input.now.toISOString(),
    test: true,
    report: reports.at(-1)?.key ?? null,
    claimed: false,
    alerts: alerts.length > 0 ? alerts : [madeUpSite(aoi.id, input.now)],
    ...(lastClear ? { lastClear } : {}),
    deliveries: {},
  };
}
