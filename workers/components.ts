/**
 * 8-connected component labelling of a binary mask (two passes with union-find). Pure.
 */
/** The root of `x` in a union-find forest, compressing the path on the way. */
export function findRoot(parent: { [i: number]: number }, x: number): number {
  let root = x;
  while (parent[root] !== root) root = parent[root]!;
  while (parent[x] !== root) {
    const next = parent[x]!;
    parent[x] = root;
    x = next;
  }
  return root;
}

/** Joins the sets of `a` and `b` under the smaller root (so roots stay first in scan order); returns it. */
export function unite(parent: { [i: number]: number }, a: number, b: number): number {
  const [ra, rb] = [findRoot(parent, a), findRoot(parent, b)];
  if (ra === rb) return ra;
  const [low, high] = ra < rb ? [ra, rb] : [rb, ra];
  parent[high] = low;
  return low;
}

export interface Components {
  /** Label per pixel, 0 for background, 1..count for components. */
  labels: Int32Array;
  count: number;
}

export function label8(mask: ArrayLike<number>, width: number, height: number): Components {
  if (mask.length !== width * height) throw new RangeError(`label8: ${mask.length} pixels for ${width}×${height}`);
  const labels = new Int32Array(mask.length);
  const parent: number[] = [0];
  const find = (x: number) => findRoot(parent, x);
  const union = (a: number, b: number) => unite(parent, a, b);
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      const i = y * width + x;
      if (!mask[i]) continue;
      let current = 0;
      // Already-visited 8-neighbours: W, NW, N, NE.
      const neighbours = [
        x > 0 ? labels[i - 1]! : 0,
        x > 0 && y > 0 ? labels[i - width - 1]! : 0,
        y > 0 ? labels[i - width]! : 0,
        x < width - 1 && y > 0 ? labels[i - width + 1]! : 0,
      ];
      for (const neighbour of neighbours) {
        if (neighbour === 0) continue;
        current = current === 0 ? find(neighbour) : union(current, neighbour);
      }
      if (current === 0) {
        current = parent.length;
        parent.push(current);
      }
      labels[i] = current;
    }
  }
  const compact = new Int32Array(parent.length);
  let count = 0;
  for (let i = 0; i < labels.length; i++) {
    if (labels[i] === 0) continue;
    const root = find(labels[i]!);
    if (compact[root] === 0) compact[root] = ++count;
    labels[i] = compact[root]!;
  }
  return { labels, count };
}

/**
 * Minimum mapping unit: 8-connected patches of the given class codes smaller than `mmuHa` (true pixel areas) are
 * set to `replacement`, in place. Returns how many patches were kept and dropped.
 */
export function applyMinimumMappingUnit(
  classes: Uint8Array,
  codes: readonly number[],
  replacement: number,
  mmuHa: number,
  width: number,
  height: number,
  pixelAreaHa: ArrayLike<number>,
): { kept: number; belowMmu: number } {
  const mask = new Uint8Array(classes.length);
  for (let i = 0; i < classes.length; i++) mask[i] = codes.includes(classes[i]!) ? 1 : 0;
  const { labels, count } = label8(mask, width, height);
  const area = new Float64Array(count + 1);
  for (let i = 0; i < labels.length; i++) if (labels[i]) area[labels[i]!] += pixelAreaHa[i % width]!;
  let belowMmu = 0;
  for (let patch = 1; patch <= count; patch++) if (area[patch]! < mmuHa) belowMmu++;
  for (let i = 0; i < labels.length; i++) if (labels[i] && area[labels[i]!]! < mmuHa) classes[i] = replacement;
  return { kept: count - belowMmu, belowMmu };
}
