import type { PixelWindow } from '../../aoi/rasterize.js';
import { productOf } from '../../workers/products/index.js';
import type { Corroboration } from '../../workers/products/product.js';
import type { ClassTally } from '../../workers/zonal.js';
import type { BlockClasses } from './analysis.js';

/**
 * Where two products that map the same change agree, pixel by pixel over the final classes (after both products'
 * patch rules): radar and optical forest loss (RADD + GLAD's "both sensors saw it"). Counted in pass 2, block by
 * block, over the AOI.
 */

/** The AOI's change pixels of a product and the product it corroborates, by who saw it. */
export interface AgreementTally {
  /** The other product's type. */
  with: string;
  /** Change in both. */
  both: ClassTally;
  /** Change in this product only, where the other saw the ground and found none. */
  onlyThis: ClassTally;
  /** Change in this product only, where the other did not see the ground (its not-seen code): cloud, for optical. */
  onlyThisUnseenByOther: ClassTally;
  /** Change in the other product only. */
  onlyOther: ClassTally;
  /**
   * False when this product fused the other's observations into its own (radar forest loss with `fuseOptical`): then
   * "both" is one dataset counted twice, not two sensors confirming each other.
   */
  independent: boolean;
}

const emptyTally = (): ClassTally => ({ pixels: 0, hectares: 0 });

export class ProductAgreement {
  readonly tally: AgreementTally;
  private readonly own = new Uint8Array(256);
  private readonly theirs = new Uint8Array(256);

  constructor(
    readonly type: string,
    private readonly rule: Corroboration,
    independent: boolean,
  ) {
    for (const code of rule.ownCodes) this.own[code] = 1;
    for (const code of rule.codes) this.theirs[code] = 1;
    const tally = { both: emptyTally(), onlyThis: emptyTally(), onlyThisUnseenByOther: emptyTally() };
    this.tally = { with: rule.product, ...tally, onlyOther: emptyTally(), independent };
  }

  /** The agreements of the computed products: those whose corroborated product is computed too. */
  static of(products: ReadonlyArray<{ type: string; params: unknown }>): ProductAgreement[] {
    const types = products.map(({ type }) => type);
    return products.flatMap(({ type, params }) => {
      const product = productOf(type);
      const rule = product.corroborates;
      if (!rule || !types.includes(rule.product)) return [];
      const fused = product.series?.fusesOptical?.(params as never) ?? false;
      return [new ProductAgreement(type, rule, !fused)];
    });
  }

  /** One block's final classes inside the AOI. */
  add(window: PixelWindow, inside: Uint8Array, classes: BlockClasses, blockArea: Float64Array): void {
    const mine = classes[this.type]!.classes;
    const other = classes[this.rule.product]!.classes;
    const width = window.x1 - window.x0;
    const count = (tally: ClassTally, i: number) => {
      tally.pixels++;
      tally.hectares += blockArea[i % width]!;
    };
    for (let i = 0; i < inside.length; i++) {
      if (!inside[i]) continue;
      const [a, b] = [this.own[mine[i]!] === 1, this.theirs[other[i]!] === 1];
      if (a && b) count(this.tally.both, i);
      else if (a) count(other[i] === this.rule.notSeen ? this.tally.onlyThisUnseenByOther : this.tally.onlyThis, i);
      else if (b) count(this.tally.onlyOther, i);
    }
  }
}
