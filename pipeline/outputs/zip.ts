import { crc32, deflateRawSync } from 'node:zlib';

/**
 * A ZIP archive of a few files held in memory, written with node:zlib (raw DEFLATE and CRC-32) after APPNOTE.TXT
 * 6.3.10 (PKWARE): local headers and data, then the central directory and its end record. No library: a dossier is
 * a handful of files of a few hundred kilobytes, and this is the whole of what it needs (no ZIP64, no encryption,
 * no streaming). Deterministic: every entry carries the same DOS time (1980-01-01 00:00, the format's epoch) and
 * mode 0644, so the same files give the same archive. Each entry is deflated when that makes it smaller, else
 * stored; entries marked `stored` (PNG, compressed already) are stored without trying. Names are UTF-8 (flag bit
 * 11).
 */

export interface ZipEntry {
  /** Path inside the archive, `/`-separated. */
  name: string;
  data: Uint8Array;
  /** Store it as it is (data compressed already, such as PNG): no DEFLATE attempted. */
  stored?: boolean;
}

const DOS_DATE_1980_01_01 = (0 << 9) | (1 << 5) | 1;
const UTF8_NAMES = 1 << 11;
/** Made by: 3 = UNIX (so the external attributes hold a mode), version 2.0. */
const MADE_BY = (3 << 8) | 20;
const VERSION_NEEDED = 20;
/** Regular file, rw-r--r--, in the high 16 bits of the external attributes. */
const FILE_MODE = (0o100644 << 16) >>> 0;
const LIMIT = 0xffffffff;

function header(size: number, fields: ReadonlyArray<readonly [number, 2 | 4]>): Buffer {
  const buffer = Buffer.alloc(size);
  let offset = 0;
  for (const [value, bytes] of fields) {
    if (bytes === 2) buffer.writeUInt16LE(value, offset);
    else buffer.writeUInt32LE(value >>> 0, offset);
    offset += bytes;
  }
  return buffer;
}

export function zipArchive(entries: readonly ZipEntry[]): Uint8Array {
  const parts: Buffer[] = [];
  const central: Buffer[] = [];
  let offset = 0;
  for (const entry of entries) {
    const name = Buffer.from(entry.name, 'utf8');
    const deflated = entry.stored ? undefined : deflateRawSync(entry.data, { level: 6 });
    const [method, body] =
      deflated && deflated.length < entry.data.length ? [8, deflated] : [0, Buffer.from(entry.data)];
    const crc = crc32(entry.data);
    if (entry.data.length >= LIMIT || offset >= LIMIT) throw new RangeError(`zipArchive: ${entry.name} needs ZIP64`);
    const common: Array<readonly [number, 2 | 4]> = [
      [UTF8_NAMES, 2],
      [method, 2],
      [0, 2],
      [DOS_DATE_1980_01_01, 2],
      [crc, 4],
      [body.length, 4],
      [entry.data.length, 4],
      [name.length, 2],
      [0, 2],
    ];
    const local = header(30, [[0x04034b50, 4], [VERSION_NEEDED, 2], ...common]);
    parts.push(local, name, body);
    const record = header(46, [
      [0x02014b50, 4],
      [MADE_BY, 2],
      [VERSION_NEEDED, 2],
      ...common,
      [0, 2],
      [0, 2],
      [0, 2],
      [FILE_MODE, 4],
      [offset, 4],
    ]);
    central.push(record, name);
    offset += local.length + name.length + body.length;
  }
  const directory = Buffer.concat(central);
  const end = header(22, [
    [0x06054b50, 4],
    [0, 2],
    [0, 2],
    [entries.length, 2],
    [entries.length, 2],
    [directory.length, 4],
    [offset, 4],
    [0, 2],
  ]);
  return new Uint8Array(Buffer.concat([...parts, directory, end]));
}
