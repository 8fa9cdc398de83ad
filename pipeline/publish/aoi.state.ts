import type { ObjectStore } from '../ports.js';
import type { Summary } from '../../reports/summary.js';
import { leadProduct } from '../../workers/products/index.js';
import { assetKeyOf, itemKey } from '../outputs/layout.js';
import { publishedItems } from './publish.js';

/**
 * Per-AOI state in the store, next to the outputs: what each published item was computed from and the AOI's run
 * history. The published items remain the truth (an item exists only once its assets do); the state is their
 * index plus history, and when it is lost or unreadable it is rebuilt from them rather than started over.
 */

export type AoiOutcome = 'ok' | 'nothing-new' | 'repaired' | 'no-scenes' | 'failed' | 'busy';

export interface RunRecord {
  runId: string;
  startedAt: string;
  endedAt: string;
  outcome: AoiOutcome;
  itemId?: string;
  scenes?: number;
  reason?: string;
}

/** The figures an index and a history chart show for one published period. */
export interface Headline {
  monitoring: string;
  lossHa: number;
  lossHighHa: number;
  clearMonitoring: number;
}

export interface AoiState {
  stateVersion: 1;
  aoi: string;
  items: Record<string, { digest: string; scenes: string[]; runId: string | null; headline?: Headline }>;
  /** Report pages published, oldest first. */
  reports?: Array<{ runId: string; itemId: string; digest: string; key: string; headline: Headline }>;
  /** Newest last, at most {@link HISTORY_LENGTH} entries. */
  history: RunRecord[];
}

export const HISTORY_LENGTH = 200;
export const stateKey = (aoiId: string) => `${aoiId}/state.json`;

function isState(value: unknown, aoiId: string): value is AoiState {
  const state = value as Partial<AoiState> | null;
  return (
    !!state &&
    state.stateVersion === 1 &&
    state.aoi === aoiId &&
    typeof state.items === 'object' &&
    state.items !== null &&
    Object.values(state.items).every((entry) => typeof entry?.digest === 'string' && Array.isArray(entry.scenes)) &&
    Array.isArray(state.history)
  );
}

/** The lead product's change (forest loss) in one period: what the index and the history chart show. */
export function headlineOf(summary: Summary): Headline | undefined {
  const lead = leadProduct(Object.keys(summary.products ?? {}));
  const product = lead && summary.products[lead.type];
  const change = lead?.classes.find((entry) => entry.value === lead.confidence?.changeClass)?.name;
  if (!product || !change) return undefined;
  return {
    monitoring: summary.periods.monitoring.window,
    lossHa: product.classes[change]?.hectares ?? 0,
    lossHighHa: product.confidence['high']?.hectares ?? 0,
    clearMonitoring: summary.periods.monitoring.clearFraction,
  };
}

/** The state as the published items imply it: their digests and the scenes their summaries list. */
export async function rebuildState(store: ObjectStore, aoiId: string): Promise<AoiState> {
  const state: AoiState = { stateVersion: 1, aoi: aoiId, items: {}, history: [] };
  for (const item of await publishedItems(store, aoiId)) {
    const digest = item.properties['changewatch:inputs'];
    const summaryHref = item.assets['summary']?.href;
    if (typeof digest !== 'string' || !summaryHref) continue;
    const bytes = await store.get(assetKeyOf(itemKey(aoiId, item.id), summaryHref));
    let scenes: string[] = [];
    let headline: Headline | undefined;
    if (bytes) {
      const summary = JSON.parse(new TextDecoder().decode(bytes)) as Summary;
      scenes = Object.values(summary.periods ?? {}).flatMap((period) => (period.scenes ?? []).map((s) => s.id));
      headline = headlineOf(summary);
    }
    state.items[item.id] = { digest, scenes: [...new Set(scenes)], runId: null, ...(headline ? { headline } : {}) };
  }
  return state;
}

/**
 * The AOI's state; `rebuilt` says why it had to be rebuilt from the published items (lost or corrupt), so the
 * run can report it.
 */
export async function loadState(
  store: ObjectStore,
  aoiId: string,
): Promise<{ state: AoiState; rebuilt?: 'lost' | 'corrupt' }> {
  const bytes = await store.get(stateKey(aoiId));
  if (bytes) {
    try {
      const parsed: unknown = JSON.parse(new TextDecoder().decode(bytes));
      if (isState(parsed, aoiId)) return { state: parsed };
    } catch {
      // unreadable: rebuilt below
    }
    return { state: await rebuildState(store, aoiId), rebuilt: 'corrupt' };
  }
  const state = await rebuildState(store, aoiId);
  return Object.keys(state.items).length > 0 ? { state, rebuilt: 'lost' } : { state };
}

export async function saveState(store: ObjectStore, state: AoiState): Promise<void> {
  const trimmed = { ...state, history: state.history.slice(-HISTORY_LENGTH) };
  await store.put(stateKey(state.aoi), `${JSON.stringify(trimmed, null, 2)}\n`, {
    contentType: 'application/json',
    cacheControl: 'no-cache',
  });
}
