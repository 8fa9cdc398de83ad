"""Peer check of changewatch's "what was not seen" figures with GDAL + numpy (Debian packages).

Written from the README's definitions, independently of the TypeScript: (1) the day of the last clear observation
of each pixel recomputed from the monitoring scenes (the Bukavu exports carry clouds as NaN and no quality layer: a
pixel is clear on a date when both bands are numbers), compared with the published `last-clear` raster read by GDAL;
(2) from that raster, for the AOI and each zone (its version as of the window's last day, burnt with
gdal.RasterizeLayer, pixel centres, cut to the AOI), the date by which most of it was seen (numpy.percentile 50 with method="higher", never seen counting as oldest) and the
share of its pixels seen in the last 30/60/90 days before the window's end.

Usage: last_clear_peer.py SPEC.json OUT.json
"""
import datetime
import json
import sys

import numpy as np
from osgeo import gdal, osr

gdal.UseExceptions()
spec = json.load(open(sys.argv[1]))
EPOCH = datetime.date(1970, 1, 1)


def day_of(text):
    return (datetime.date.fromisoformat(text) - EPOCH).days


raster = gdal.Open(spec["raster"])
band = raster.GetRasterBand(1)
nodata = band.GetNoDataValue()
published = band.ReadAsArray().astype(np.int64)
width, height = raster.RasterXSize, raster.RasterYSize
x0, dx, _, y0, _, dy = raster.GetGeoTransform()

# (1) the last clear day of each pixel, from the scenes.
last = np.full((height, width), -1, dtype=np.int64)
for scene in spec["monitoring"]:
    ds = gdal.Open(scene["path"])
    gx0, gdx, _, gy0, _, gdy = ds.GetGeoTransform()
    assert gdx == dx and gdy == dy, "peer expects the AOI grid aligned with the scene grid"
    col, row = int(round((x0 - gx0) / gdx)), int(round((y0 - gy0) / gdy))
    window = np.full((2, height, width), np.nan, dtype=np.float32)
    c0, r0 = max(col, 0), max(row, 0)
    c1, r1 = min(col + width, ds.RasterXSize), min(row + height, ds.RasterYSize)
    window[:, r0 - row : r1 - row, c0 - col : c1 - col] = ds.ReadAsArray(c0, r0, c1 - c0, r1 - r0)
    clear = ~np.isnan(window[0]) & ~np.isnan(window[1])
    last = np.where(clear, np.maximum(last, day_of(scene["date"])), last)


def mask_of(where):
    mem = gdal.GetDriverByName("MEM").Create("", width, height, 1, gdal.GDT_Byte)
    mem.SetGeoTransform(raster.GetGeoTransform())
    mem.SetProjection(raster.GetProjection())
    vector = gdal.OpenEx(spec["aoi"], gdal.OF_VECTOR)  # kept alive while its layer is used (else GDAL crashes)
    layer = vector.GetLayer(0)
    layer.SetAttributeFilter(where)
    gdal.RasterizeLayer(mem, [1], layer, burn_values=[1])
    return mem.ReadAsArray().astype(bool)


inside = mask_of("role = 'aoi'")
ours = np.where(published == nodata, -1, published)
end = day_of(spec["windowEnd"])


def figures(mask):
    values = ours[mask]
    n = int(values.size)
    most = int(np.percentile(values, 50, method="higher")) if n else -1
    return {
        "pixels": n,
        "mostSeenOn": (EPOCH + datetime.timedelta(days=most)).isoformat() if most >= 0 else None,
        "seenWithin": {f"days{span}": float((values >= end - span).sum() / n) if n else 0.0 for span in (30, 60, 90)},
    }


def version_filter(zone):
    """The OGR filter of the zone's version as of spec["asOf"] (README "Areas of interest"): the version valid that
    day (valid_from/valid_to inclusive, open when absent), else the one that ended last before it. OGR numbers the
    features of a GeoJSON file from 0 in file order (FID)."""
    features = json.load(open(spec["aoi"]))["features"]
    versions = [(fid, f["properties"]) for fid, f in enumerate(features) if f["properties"].get("id") == zone]
    day = spec["asOf"]
    valid = [(fid, v) for fid, v in versions if v.get("valid_from", "0000") <= day <= v.get("valid_to", "9999")]
    ended = [(fid, v) for fid, v in versions if v.get("valid_to", "9999") < day]
    fid = valid[0][0] if valid else max(ended, key=lambda entry: entry[1]["valid_to"])[0]
    return f"FID = {fid}"


json.dump(
    {
        "nodata": nodata,
        "dataType": gdal.GetDataTypeName(band.DataType),
        "metadata": raster.GetMetadata(),
        "insidePixels": int(inside.sum()),
        "pixelsDiffering": int((inside & (ours != last)).sum()),
        "outsideNotNodata": int((~inside & (published != nodata)).sum()),
        "aoi": figures(inside),
        "zones": {zone: figures(inside & mask_of(version_filter(zone))) for zone in spec["zones"]},
    },
    open(sys.argv[2], "w"),
)
