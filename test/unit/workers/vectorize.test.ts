import { describe, expect, it } from 'vitest';
import { label8 } from '../../helpers/oracles.js';
import { ringArea, tracePatches, type PatchOutline, type PixelRing } from '../../../workers/vectorize.js';

function outlines(rows: string[]): PatchOutline[] {
  const width = rows[0]!.length;
  const mask = Uint8Array.from(rows.join('').split(''), (c) => (c === '#' ? 1 : 0));
  const { labels, count } = label8(mask, width, rows.length);
  return tracePatches(labels, count, width, rows.length);
}

function insideEvenOdd(rings: PixelRing[], x: number, y: number): boolean {
  let inside = false;
  for (const ring of rings) {
    for (let i = 0, j = ring.length - 2; i < ring.length - 1; j = i++) {
      const [xi, yi] = ring[i]!;
      const [xj, yj] = ring[j]!;
      if (yi > y !== yj > y && x < ((xj - xi) * (y - yi)) / (yj - yi) + xi) inside = !inside;
    }
  }
  return inside;
}

describe('tracePatches', () => {
  it('outlines one pixel clockwise on screen, with only its four corners', () => {
    expect(outlines(['...', '.#.', '...'])).toEqual([
      {
        label: 1,
        polygons: [
          [
            [
              [1, 1],
              [2, 1],
              [2, 2],
              [1, 2],
              [1, 1],
            ],
          ],
        ],
      },
    ]);
  });

  it('keeps a hole in its patch, with the opposite orientation', () => {
    const [patch] = outlines(['###', '#.#', '###']);
    expect(patch!.polygons).toHaveLength(1);
    const [outer, hole] = patch!.polygons[0]!;
    expect(ringArea(outer!)).toBe(9);
    expect(ringArea(hole!)).toBe(-1);
  });

  it('draws two pixels touching at a corner as two parts, not one self-touching ring', () => {
    const [patch] = outlines(['#.', '.#']);
    expect(patch!.polygons.map((polygon) => polygon.map(ringArea))).toEqual([[1], [1]]);
  });

  it('draws a loop of one piece closed at a corner as a shell with a hole touching it', () => {
    // The 4-connected ring of pixels closes diagonally at corner (3, 4): the three enclosed pixels are a hole.
    const [patch] = outlines(['......', '.####.', '.#..#.', '.#.##.', '.##...', '......']);
    expect(patch!.polygons).toHaveLength(1);
    expect(patch!.polygons[0]!.map(ringArea)).toEqual([11 + 3, -3]);
  });

  it('draws two pieces enclosing ground through corners as parts, not a polygon with a hole', () => {
    // Two L-shaped pieces touch at two corners around the centre pixel: one polygon with that hole would have
    // a disconnected interior.
    const [patch] = outlines(['##.', '#.#', '.##']);
    expect(patch!.polygons.map((polygon) => polygon.map(ringArea))).toEqual([[3], [3]]);
  });

  it('returns one outline per patch, in label order', () => {
    expect(outlines(['#..#', '#..#']).map((outline) => outline.label)).toEqual([1, 2]);
  });

  it('covers exactly the patch pixels, with simple rings, on random masks', () => {
    let seed = 7;
    const random = () => (seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31;
    for (let trial = 0; trial < 40; trial++) {
      const width = 5 + Math.floor(random() * 20);
      const height = 5 + Math.floor(random() * 20);
      const density = 0.3 + random() * 0.4;
      const mask = Uint8Array.from({ length: width * height }, () => (random() < density ? 1 : 0));
      const { labels, count } = label8(mask, width, height);
      const traced = tracePatches(labels, count, width, height);
      expect(traced).toHaveLength(count);
      for (const { label, polygons } of traced) {
        for (const polygon of polygons) {
          expect(ringArea(polygon[0]!)).toBeGreaterThan(0);
          for (const hole of polygon.slice(1)) expect(ringArea(hole)).toBeLessThan(0);
          for (const ring of polygon) {
            const corners = ring.slice(0, -1).map(([x, y]) => `${x},${y}`);
            expect(new Set(corners).size).toBe(corners.length);
          }
        }
        // Each polygon's interior is connected (OGC): the pixels it covers form one 4-connected piece.
        for (const polygon of polygons) {
          const covered = new Set<number>();
          for (let y = 0; y < height; y++)
            for (let x = 0; x < width; x++) if (insideEvenOdd(polygon, x + 0.5, y + 0.5)) covered.add(y * width + x);
          const first = covered.values().next().value!;
          const reached = new Set([first]);
          const queue = [first];
          while (queue.length > 0) {
            const i = queue.pop()!;
            const x = i % width;
            for (const n of [x > 0 ? i - 1 : -1, x < width - 1 ? i + 1 : -1, i - width, i + width]) {
              if (covered.has(n) && !reached.has(n)) {
                reached.add(n);
                queue.push(n);
              }
            }
          }
          expect(reached.size).toBe(covered.size);
        }
        const rings = polygons.flat();
        for (let y = 0; y < height; y++) {
          for (let x = 0; x < width; x++) {
            expect(insideEvenOdd(rings, x + 0.5, y + 0.5)).toBe(labels[y * width + x] === label);
          }
        }
      }
    }
  });

  it('does not modify its input', () => {
    const labels = Int32Array.from([1, 0, 0, 1]);
    tracePatches(labels, 1, 2, 2);
    expect([...labels]).toEqual([1, 0, 0, 1]);
  });
});
