"""Peer computation of changewatch's forest-loss chain with GDAL + numpy + scipy + pyproj (Debian packages).

Written independently of the TypeScript kernels from the rules in the README: reads the same files, masks NaN
(the Bukavu exports carry clouds as NaN and no quality layer, so no morphology applies), takes numpy.nanmedian of
the clear observations per period, NDVI from the median composites, forest loss with confidence and an 8-connected
minimum mapping unit (scipy.ndimage.label), the AOI burnt with gdal.Rasterize, and pixel areas from pyproj's
areal scale factor (get_factors), a different method from changewatch's geodesic pixel corners.

Usage: forest_loss_peer.py SPEC.json OUT_DIR. Writes float32/uint8/uint16 .bin arrays and summary.json.
"""
import json
import resource
import sys
import time
import warnings

import numpy as np
from osgeo import gdal, ogr, osr
from pyproj import Proj, Transformer
from scipy import ndimage

gdal.UseExceptions()
started = time.perf_counter()
cpu_started = time.process_time()
spec = json.load(open(sys.argv[1]))
out = sys.argv[2]
grid = spec["grid"]
x0, dx, _, y0, _, dy = grid["transform"]
width, height = grid["width"], grid["height"]


def read_period(files):
    reds, nirs = [], []
    for path in files:
        ds = gdal.Open(path)
        gx0, gdx, _, gy0, _, gdy = ds.GetGeoTransform()
        assert gdx == dx and gdy == dy, "peer expects the AOI grid aligned with the scene grid"
        col = int(round((x0 - gx0) / gdx))
        row = int(round((y0 - gy0) / gdy))
        window = np.full((2, height, width), np.nan, dtype=np.float32)
        c0, r0 = max(col, 0), max(row, 0)
        c1, r1 = min(col + width, ds.RasterXSize), min(row + height, ds.RasterYSize)
        data = ds.ReadAsArray(c0, r0, c1 - c0, r1 - r0).astype(np.float32)
        window[:, r0 - row : r1 - row, c0 - col : c1 - col] = data
        reds.append(window[0] * np.float32(spec["scale"]))
        nirs.append(window[1] * np.float32(spec["scale"]))
    red, nir = np.stack(reds), np.stack(nirs)
    clear = ~np.isnan(red) & ~np.isnan(nir)
    red_c = np.where(clear, red, np.nan)
    nir_c = np.where(clear, nir, np.nan)
    # A pixel never seen clear has an all-NaN stack: its median is NaN ("not seen"), as changewatch's composite
    # gives; numpy says so with a RuntimeWarning per call, which is expected here and not printed.
    with np.errstate(all="ignore"), warnings.catch_warnings():
        warnings.filterwarnings("ignore", message="All-NaN slice encountered", category=RuntimeWarning)
        red_m = np.nanmedian(red_c, axis=0).astype(np.float32)
        nir_m = np.nanmedian(nir_c, axis=0).astype(np.float32)
    count = clear.sum(axis=0).astype(np.uint16)
    with np.errstate(all="ignore"):
        ndvi = ((nir_m.astype(np.float64) - red_m) / (nir_m.astype(np.float64) + red_m)).astype(np.float32)
        per_date = ((nir_c.astype(np.float64) - red_c) / (nir_c.astype(np.float64) + red_c)).astype(np.float32)
    return red_m, nir_m, count, ndvi, per_date, clear


base = read_period(spec["baseline"])
mon = read_period(spec["monitoring"])

# AOI mask: GDAL rasterises the AOI polygon (pixel centres), in the grid's CRS.
srs = osr.SpatialReference()
srs.ImportFromEPSG(grid["epsg"])
mem = gdal.GetDriverByName("MEM").Create("", width, height, 1, gdal.GDT_Byte)
mem.SetGeoTransform(grid["transform"])
mem.SetProjection(srs.ExportToWkt())
vector = gdal.OpenEx(spec["aoi"], gdal.OF_VECTOR)
layer = vector.GetLayer(0)
layer.SetAttributeFilter("role = 'aoi' OR role IS NULL")
gdal.RasterizeLayer(mem, [1], layer, burn_values=[1])
inside = mem.ReadAsArray().astype(bool)

# Pixel area from the areal scale factor of the projection at each column centre, middle row.
proj = Proj(f"EPSG:{grid['epsg']}")
to_lonlat = Transformer.from_crs(grid["epsg"], 4326, always_xy=True)
xs = x0 + (np.arange(width) + 0.5) * dx
ys = np.full(width, y0 + (height // 2 + 0.5) * dy)
lons, lats = to_lonlat.transform(xs, ys)
areal = np.array(proj.get_factors(lons, lats).areal_scale)
pixel_ha = (abs(dx * dy) / areal) / 1e4
area = np.broadcast_to(pixel_ha, (height, width))

p = spec["parameters"]
b_ndvi, m_ndvi = base[3], mon[3]
seen = ~np.isnan(b_ndvi) & ~np.isnan(m_ndvi)
forest = seen & (b_ndvi >= np.float32(p["forestNdvi"]))
limit = b_ndvi.astype(np.float64) - p["ndviDrop"]
loss = forest & (m_ndvi <= limit)
showing = ((mon[4] <= limit[None]) & mon[5]).sum(axis=0)
classes = np.where(~seen, 0, np.where(~forest, 1, np.where(loss, 3, 2))).astype(np.uint8)
labels, n = ndimage.label(loss & inside, structure=np.ones((3, 3)))
patch_area = ndimage.sum(area, labels, index=np.arange(1, n + 1))
small = np.zeros(n + 1, dtype=bool)
small[1:] = patch_area < p["minimumMappingUnitHa"]
classes[small[labels] & (labels > 0)] = 2
confidence = np.where(classes == 3, np.where(showing >= 2, 2, 1), 0).astype(np.uint8)
classes[~inside] = 255
confidence[~inside] = 255

hectares = {int(c): float(area[(classes == c)].sum()) for c in (0, 1, 2, 3)}
pixels = {int(c): int((classes == c).sum()) for c in (0, 1, 2, 3)}
clear_fraction = {
    "baseline": float(area[inside & (base[2] > 0)].sum() / area[inside].sum()),
    "monitoring": float(area[inside & (mon[2] > 0)].sum() / area[inside].sum()),
}
for name, array in {
    "baseline_red": base[0], "baseline_nir": base[1], "baseline_count": base[2], "baseline_ndvi": base[3],
    "monitoring_red": mon[0], "monitoring_nir": mon[1], "monitoring_count": mon[2], "monitoring_ndvi": mon[3],
    "inside": inside.astype(np.uint8), "classes": classes, "confidence": confidence,
}.items():
    np.ascontiguousarray(array).tofile(f"{out}/{name}.bin")
json.dump(
    {
        "hectares": hectares,
        "pixels": pixels,
        "clearFraction": clear_fraction,
        "patches": int(n - small[1:].sum()),
        "seconds": time.perf_counter() - started,
        "cpuSeconds": time.process_time() - cpu_started,
        "maxRssKiB": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss,
    },
    open(f"{out}/summary.json", "w"),
)
