import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { pixelAreaHaByColumn } from '../../aoi/pixel.area.js';
import { FileByteSource } from '../../pipeline/io/byte.source.file.js';
import { RasterReader } from '../../pipeline/io/cog.reader.js';
import { estimateAccuracy, type LabelledUnit } from '../../workers/accuracy/estimate.js';
import { allocate, drawSample, seededRandom, strataOf } from '../../workers/accuracy/sampling.js';
import { dilate } from '../../workers/morphology.js';
import { SHARED_DATA } from '../helpers/paths.js';

/**
 * Does the estimator keep its promise on a real landscape? The 10-class land-cover map of the Bukavu grid
 * (../shared/data/s2-bukavu-rusizi/landcover, 835 × 1121 px at 10 m) is taken as the truth for one class; a "map" of
 * it is made with the errors real maps have — commission along every edge (the truth dilated by one pixel) and
 * omission in blocks (the truth left out in a 1-in-7 checker of 40 × 40 px blocks). Sampling that map 200 times
 * (seeds 1–200) and estimating from the truth at the sampled pixels, the 95 % CI must cover the true area in 91–98 %
 * of the draws and the mean estimate lie within one standard error of it; with a buffer stratum (Stehman 2014) too.
 */
const LANDCOVER = join(SHARED_DATA, 's2-bukavu-rusizi', 'landcover', 'LandCover_35MPT.tif');
const TARGET = 1;
const SEEDS = 200;

interface Scene {
  truth: Uint8Array;
  map: Uint8Array;
  width: number;
  height: number;
  pixelHa: Float64Array;
  trueHa: number;
  mappedHa: number;
}

let scene: Scene;

beforeAll(async () => {
  const reader = await RasterReader.open(new FileByteSource(LANDCOVER));
  const { width, height, epsg, transform } = reader.info;
  const { bands } = await reader.readWindow({ x0: 0, y0: 0, x1: width, y1: height }, { bands: [0] });
  await reader.close();
  const truth = Uint8Array.from(bands[0]!, (code) => (code === TARGET ? 1 : 0));
  const grown = dilate(truth, width, height, 1);
  const map = Uint8Array.from(grown, (value, i) => {
    const [x, y] = [i % width, Math.floor(i / width)];
    const omitted = (Math.floor(x / 40) + 3 * Math.floor(y / 40)) % 7 === 0;
    return value && !(truth[i] && omitted) ? 1 : 0;
  });
  const pixelHa = pixelAreaHaByColumn({ epsg: epsg!, width, height, transform });
  const areaOf = (mask: Uint8Array) => mask.reduce((sum, value, i) => sum + (value ? pixelHa[i % width]! : 0), 0);
  scene = { truth, map, width, height, pixelHa, trueHa: areaOf(truth), mappedHa: areaOf(map) };
}, 60_000);

/** 200 draws of `n` points and their estimates of the target's area. */
function repeat(n: number, bufferRadiusPx: number) {
  const { strata, stratumOf } = strataOf({
    codes: scene.map,
    width: scene.width,
    height: scene.height,
    pixelHaByColumn: scene.pixelHa,
    classes: [
      { value: 0, name: 'other' },
      { value: 1, name: 'target' },
    ],
    changeCodes: [1],
    notSeenCode: 254,
    bufferRadiusPx,
  });
  const allocation = allocate(strata, n, 50);
  const classIndex = (code: number) => (code === 1 ? 1 : 0);
  return Array.from({ length: SEEDS }, (_, s) => {
    const drawn = drawSample(stratumOf, strata, allocation, seededRandom(s + 1));
    const units: LabelledUnit[] = drawn.map(({ pixel, stratum }) => ({
      stratum,
      map: classIndex(scene.map[pixel]!),
      reference: classIndex(scene.truth[pixel]!),
    }));
    return estimateAccuracy({ strata, classes: ['other', 'target'], units }).areaHa[1]!;
  });
}

function check(estimates: ReturnType<typeof repeat>) {
  const covered = estimates.filter((e) => Math.abs(e.value - scene.trueHa) <= e.ci95).length / estimates.length;
  const mean = estimates.reduce((sum, e) => sum + e.value, 0) / estimates.length;
  const meanSe = estimates.reduce((sum, e) => sum + e.se, 0) / estimates.length;
  return { covered, mean, meanSe };
}

describe('error-adjusted area on the real Bukavu land-cover map, 200 draws', () => {
  it('has a biased map to correct: the mapped area is off the truth by more than 10 %', () => {
    expect(Math.abs(scene.mappedHa - scene.trueHa) / scene.trueHa).toBeGreaterThan(0.1);
  });

  it('stratified by map class: the 95 % CI covers the true area in 91–98 % of the draws, the mean within one SE', () => {
    const { covered, mean, meanSe } = check(repeat(300, 0));
    console.info(
      `coverage (strata = map classes, n 300): ${(covered * 100).toFixed(1)} %; true ${scene.trueHa.toFixed(1)} ha, ` +
        `mapped ${scene.mappedHa.toFixed(1)} ha, mean estimate ${mean.toFixed(1)} ha, mean SE ${meanSe.toFixed(1)} ha`,
    );
    expect(covered).toBeGreaterThanOrEqual(0.91);
    expect(covered).toBeLessThanOrEqual(0.98);
    expect(Math.abs(mean - scene.trueHa)).toBeLessThan(meanSe);
  });

  it('with a 30 m buffer stratum (Stehman 2014): the same coverage and no bias', () => {
    const { covered, mean, meanSe } = check(repeat(300, 3));
    console.info(
      `coverage (buffer stratum, n 300): ${(covered * 100).toFixed(1)} %; mean estimate ${mean.toFixed(1)} ha, mean SE ${meanSe.toFixed(1)} ha`,
    );
    expect(covered).toBeGreaterThanOrEqual(0.91);
    expect(covered).toBeLessThanOrEqual(0.98);
    expect(Math.abs(mean - scene.trueHa)).toBeLessThan(meanSe);
  });
});
