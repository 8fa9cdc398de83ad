"""Burn-scar severity classes from two Landsat scenes, with GDAL and numpy only: the peer of changewatch's
burn-scar product on the Bale Mountains pair.

TOA reflectance = DN * scale + offset (float32, as changewatch stores band values; DN == nodata is not seen);
NBR = (NIR - SWIR2) / (NIR + SWIR2); dNBR = NBR_before - NBR_after; Key & Benson (2006) levels with the
thresholds given. Prints the count of each class code over the given pixel window (no minimum mapping unit).

usage: burn_scar_peer.py SPEC.json   (spec: before/after: {nir, swir22: {path, scale, offset, nodata}},
                                       window: [col0, row0, cols, rows], thresholds: {...})
"""
import json
import sys

import numpy as np
from osgeo import gdal


def reflectance(band, window):
    ds = gdal.Open(band["path"])
    dn = ds.GetRasterBand(1).ReadAsArray(*window).astype(np.float64)
    values = (dn * band["scale"] + band["offset"]).astype(np.float32)
    values[dn == band["nodata"]] = np.nan
    return values


def nbr(scene, window):
    nir = reflectance(scene["nir"], window).astype(np.float64)
    swir = reflectance(scene["swir22"], window).astype(np.float64)
    with np.errstate(invalid="ignore", divide="ignore"):
        return ((nir - swir) / (nir + swir)).astype(np.float32)


def classes(dnbr, t):
    out = np.zeros(dnbr.shape, dtype=np.uint8)  # 0: not seen
    seen = ~np.isnan(dnbr)
    d = np.where(seen, dnbr, 0.0)
    out[seen] = 1  # unburned
    out[seen & (d < t["regrowthLow"])] = 6
    out[seen & (d < t["regrowthHigh"])] = 7
    out[seen & (d >= t["low"])] = 2
    out[seen & (d >= t["moderateLow"])] = 3
    out[seen & (d >= t["moderateHigh"])] = 4
    out[seen & (d >= t["high"])] = 5
    return out


spec = json.load(open(sys.argv[1]))
window = spec["window"]
dnbr = nbr(spec["before"], window).astype(np.float64) - nbr(spec["after"], window).astype(np.float64)
values, counts = np.unique(classes(dnbr, spec["thresholds"]), return_counts=True)
print(json.dumps({str(int(v)): int(c) for v, c in zip(values, counts)}))
