/**
 * Union-find over integer ids, for joining change runs into 8-connected patches (workers/patches.ts). Pure.
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
