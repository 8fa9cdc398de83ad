import { deflateSync } from 'node:zlib';
import { pointsOfPixels } from '../../workers/figure.js';
import { drawable } from '../../workers/font.js';
import type { Picture } from '../../workers/render.js';

/**
 * A one-page PDF holding a picture at a print resolution, written by hand (no PDF library): the page is the picture's
 * size in points at `dpi` (1 pt = 1/72 inch), and the picture fills it as an 8-bit RGB image XObject compressed with
 * FlateDecode (ISO 32000-1 §7.4.4, §8.9.5), drawn by a content stream that scales the unit square to the page
 * (§8.3.4). An Info dictionary carries the title, subject and producer; no dates, so the same figure gives the same
 * bytes. The cross-reference table gives every object's byte offset (§7.5.4).
 */

export interface PdfInfo {
  title: string;
  subject: string;
  producer: string;
}

/** A PDF string literal: Latin-1, with `\`, `(` and `)` escaped (§7.3.4.2). */
const literal = (text: string) => `(${drawable(text).replace(/[\\()]/g, (c) => `\\${c}`)})`;

/** A number as PDF writes reals: at most 4 decimals, no exponent. */
const real = (value: number) => String(Number(value.toFixed(4)));

function rgbOf(picture: Picture): Buffer {
  const rgb = Buffer.alloc(picture.width * picture.height * 3);
  for (let i = 0, o = 0; i < rgb.length; i += 3, o += 4) {
    rgb[i] = picture.rgba[o]!;
    rgb[i + 1] = picture.rgba[o + 1]!;
    rgb[i + 2] = picture.rgba[o + 2]!;
  }
  return rgb;
}

/** The page's size in points. */
export const pageSize = (picture: Picture, dpi: number): [number, number] => [
  Number(real(pointsOfPixels(picture.width, dpi))),
  Number(real(pointsOfPixels(picture.height, dpi))),
];

export function pdfOfPicture(picture: Picture, dpi: number, info: PdfInfo): Uint8Array {
  const [width, height] = pageSize(picture, dpi);
  const image = deflateSync(rgbOf(picture), { level: 6 });
  const content = Buffer.from(`q ${real(width)} 0 0 ${real(height)} 0 0 cm /Im0 Do Q\n`, 'latin1');
  const stream = (dictionary: string, data: Buffer) =>
    Buffer.concat([
      Buffer.from(`<< ${dictionary} /Length ${data.length} >>\nstream\n`, 'latin1'),
      data,
      Buffer.from('\nendstream', 'latin1'),
    ]);
  const objects: Buffer[] = [
    Buffer.from('<< /Type /Catalog /Pages 2 0 R >>', 'latin1'),
    Buffer.from('<< /Type /Pages /Kids [3 0 R] /Count 1 >>', 'latin1'),
    Buffer.from(
      `<< /Type /Page /Parent 2 0 R /MediaBox [0 0 ${real(width)} ${real(height)}] ` +
        '/Resources << /XObject << /Im0 4 0 R >> >> /Contents 5 0 R >>',
      'latin1',
    ),
    stream(
      `/Type /XObject /Subtype /Image /Width ${picture.width} /Height ${picture.height} ` +
        '/ColorSpace /DeviceRGB /BitsPerComponent 8 /Filter /FlateDecode',
      image,
    ),
    stream('', content),
    Buffer.from(
      `<< /Title ${literal(info.title)} /Subject ${literal(info.subject)} /Producer ${literal(info.producer)} >>`,
      'latin1',
    ),
  ];
  // The header's second line: four bytes above 127, so tools treat the file as binary (§7.5.2).
  const parts: Buffer[] = [Buffer.from('%PDF-1.4\n%\xe2\xe3\xcf\xd3\n', 'latin1')];
  let offset = parts[0]!.length;
  const offsets: number[] = [];
  objects.forEach((body, k) => {
    offsets.push(offset);
    const object = Buffer.concat([Buffer.from(`${k + 1} 0 obj\n`, 'latin1'), body, Buffer.from('\nendobj\n')]);
    parts.push(object);
    offset += object.length;
  });
  // Each cross-reference entry is exactly 20 bytes: 10-digit offset, 5-digit generation, type, space and newline.
  const xref =
    `xref\n0 ${objects.length + 1}\n0000000000 65535 f \n` +
    offsets.map((at) => `${String(at).padStart(10, '0')} 00000 n \n`).join('') +
    `trailer\n<< /Size ${objects.length + 1} /Root 1 0 R /Info ${objects.length} 0 R >>\n` +
    `startxref\n${offset}\n%%EOF\n`;
  parts.push(Buffer.from(xref, 'latin1'));
  return new Uint8Array(Buffer.concat(parts));
}
