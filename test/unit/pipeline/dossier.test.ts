import { crc32, inflateRawSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { dossierFingerprint, type SiteFeature } from '../../../pipeline/outputs/dossier.js';
import { zipArchive } from '../../../pipeline/outputs/zip.js';
import type { AoiState } from '../../../pipeline/publish/aoi.state.js';
import { dossierRunId } from '../../../pipeline/publish/dossier.publish.js';

/** The dossier's containers: the ZIP writer, the fingerprint that says a dossier is stale, its run. */

interface ZipRead {
  name: string;
  method: number;
  data: Buffer;
  mode: number;
  date: number;
}

/** Reads an archive the way APPNOTE 4.3 lays it out: the end record, the central directory, each local entry. */
function readZip(zip: Uint8Array): ZipRead[] {
  const buffer = Buffer.from(zip);
  const end = buffer.length - 22;
  expect(buffer.readUInt32LE(end)).toBe(0x06054b50);
  const count = buffer.readUInt16LE(end + 10);
  let at = buffer.readUInt32LE(end + 16);
  expect(at + buffer.readUInt32LE(end + 12)).toBe(end);
  const entries: ZipRead[] = [];
  for (let k = 0; k < count; k++) {
    expect(buffer.readUInt32LE(at)).toBe(0x02014b50);
    const [method, date, crc] = [
      buffer.readUInt16LE(at + 10),
      buffer.readUInt16LE(at + 14),
      buffer.readUInt32LE(at + 16),
    ];
    const [compressed, size, nameLength] = [
      buffer.readUInt32LE(at + 20),
      buffer.readUInt32LE(at + 24),
      buffer.readUInt16LE(at + 28),
    ];
    const [mode, offset] = [buffer.readUInt32LE(at + 38) >>> 16, buffer.readUInt32LE(at + 42)];
    const name = buffer.subarray(at + 46, at + 46 + nameLength).toString('utf8');
    expect(buffer.readUInt32LE(offset)).toBe(0x04034b50);
    const start = offset + 30 + buffer.readUInt16LE(offset + 26) + buffer.readUInt16LE(offset + 28);
    const body = buffer.subarray(start, start + compressed);
    const data = method === 8 ? inflateRawSync(body) : Buffer.from(body);
    expect([data.length, crc32(data)]).toEqual([size, crc]);
    entries.push({ name, method, data, mode, date });
    at += 46 + nameLength;
  }
  return entries;
}

describe('zipArchive', () => {
  it('deflates text, stores PNG, and gives the same bytes for the same files', () => {
    const text = new TextEncoder().encode('sha256  index.html\n'.repeat(50));
    const png = Uint8Array.from({ length: 300 }, (_, i) => (i * 7919) % 256);
    const entries = [
      { name: 'site-000001/manifest.sha256', data: text },
      { name: 'site-000001/chip.png', data: png, stored: true },
      { name: 'site-000001/empty.txt', data: new Uint8Array(0) },
    ];
    const zip = zipArchive(entries);
    const read = readZip(zip);
    expect(read.map((entry) => [entry.name, entry.method, entry.mode.toString(8), entry.date])).toEqual([
      ['site-000001/manifest.sha256', 8, '100644', 33],
      ['site-000001/chip.png', 0, '100644', 33],
      ['site-000001/empty.txt', 0, '100644', 33],
    ]);
    expect(read[0]!.data.equals(Buffer.from(text))).toBe(true);
    expect(read[1]!.data.equals(Buffer.from(png))).toBe(true);
    expect(Buffer.from(zipArchive(entries)).equals(Buffer.from(zip))).toBe(true);
  });
});

function site(properties: Partial<SiteFeature['properties']>): SiteFeature {
  return {
    type: 'Feature',
    id: 'a-forest-loss-000001',
    geometry: {
      type: 'Polygon',
      coordinates: [
        [
          [28.8, -2.4],
          [28.81, -2.4],
          [28.81, -2.41],
          [28.8, -2.4],
        ],
      ],
    },
    properties: {
      site: 'a-forest-loss-000001',
      product: 'forest-loss',
      state: 'new',
      first_seen: '2021-08-25',
      last_change: '2021-08-15/2021-09-30',
      last_clear_view: '2021-09-29',
      hectares: 1,
      zones: {},
      merged_from: [],
      merged_into: null,
      split_from: null,
      history: [],
      ...properties,
    },
  };
}

describe('dossier fingerprint and run', () => {
  const item = { id: 'a-2021-08-15-2021-09-30', inputs: '0123456789abcdef' };

  it('changes with the site or the inputs, not with the state a site ages into', () => {
    const fingerprint = dossierFingerprint(site({}), item);
    expect(dossierFingerprint(site({ state: 'inactive' }), item)).toBe(fingerprint);
    expect(dossierFingerprint(site({ hectares: 2 }), item)).not.toBe(fingerprint);
    expect(dossierFingerprint(site({}), { ...item, inputs: 'fedcba9876543210' })).not.toBe(fingerprint);
    expect(fingerprint).toMatch(/^[0-9a-f]{16}$/);
  });

  it('names the run that first published the item at these inputs, else the current run', () => {
    const headline = { monitoring: '', lossHa: 0, lossHighHa: 0, clearMonitoring: 1 };
    const state: AoiState = {
      stateVersion: 1,
      aoi: 'a',
      items: { [item.id]: { digest: item.inputs, scenes: [], runId: 'run-2' } },
      reports: [
        { runId: 'run-0', itemId: item.id, digest: 'ffffffffffffffff', key: 'k0', headline },
        { runId: 'run-1', itemId: item.id, digest: item.inputs, key: 'k1', headline },
        { runId: 'run-2', itemId: item.id, digest: item.inputs, key: 'k2', headline },
      ],
      history: [],
    };
    expect(dossierRunId(state, item, 'run-3')).toBe('run-1');
    expect(dossierRunId({ ...state, reports: [] }, item, 'run-3')).toBe('run-2');
    expect(dossierRunId({ ...state, reports: [], items: {} }, item, 'run-3')).toBe('run-3');
  });
});
