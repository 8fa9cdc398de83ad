"""changewatch's forest-loss chain written with GDAL + numpy + scipy + pyproj (Debian packages), shared by the peers.

Written independently of the TypeScript kernels from the rules in the README: reads the same files, masks NaN
(the Bukavu/Rusizi exports carry clouds as NaN and no quality layer, so no morphology applies), takes
numpy.nanmedian of the clear observations per period, NDVI from the median composites, forest loss with confidence
and an 8-connected minimum mapping unit (scipy.ndimage.label), the AOI burnt with gdal.RasterizeLayer, and pixel
areas from pyproj's areal scale factor (get_factors), a different method from changewatch's geodesic pixel corners.

Used by forest_loss_peer.py (arrays for the integration test and the chain bench) and forest_loss_run_peer.py (COGs,
the whole-run bench).
"""
import warnings

import numpy as np
from osgeo import gdal, osr
from pyproj import Proj, Transformer
from scipy import ndimage

gdal.UseExceptions()


def read_window(path, grid, scale):
    """The grid's window of the file's two bands (red, NIR) as float32 reflectance; NaN where the file has none."""
    x0, dx, _, y0, _, dy = grid["transform"]
    width, height = grid["width"], grid["height"]
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
    return window[0] * np.float32(scale), window[1] * np.float32(scale)


def read_period(files, grid, scale):
    """Median composites (red, NIR), clear counts, NDVI of the composites, NDVI per date and the clear masks."""
    reds, nirs = [], []
    for path in files:
        red, nir = read_window(path, grid, scale)
        reds.append(red)
        nirs.append(nir)
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


def grid_srs(grid):
    srs = osr.SpatialReference()
    srs.ImportFromEPSG(grid["epsg"])
    return srs


def aoi_mask(grid, aoi_path):
    """The AOI polygon burnt by GDAL (pixel centres) in the grid's CRS, as booleans."""
    mem = gdal.GetDriverByName("MEM").Create("", grid["width"], grid["height"], 1, gdal.GDT_Byte)
    mem.SetGeoTransform(grid["transform"])
    mem.SetProjection(grid_srs(grid).ExportToWkt())
    vector = gdal.OpenEx(aoi_path, gdal.OF_VECTOR)  # kept alive while its layer is used (else GDAL crashes)
    layer = vector.GetLayer(0)
    layer.SetAttributeFilter("role = 'aoi' OR role IS NULL")
    gdal.RasterizeLayer(mem, [1], layer, burn_values=[1])
    return mem.ReadAsArray().astype(bool)


def pixel_area_ha(grid):
    """Pixel area from the areal scale factor of the projection at each column centre, middle row."""
    x0, dx, _, y0, _, dy = grid["transform"]
    width, height = grid["width"], grid["height"]
    proj = Proj(f"EPSG:{grid['epsg']}")
    to_lonlat = Transformer.from_crs(grid["epsg"], 4326, always_xy=True)
    xs = x0 + (np.arange(width) + 0.5) * dx
    ys = np.full(width, y0 + (height // 2 + 0.5) * dy)
    lons, lats = to_lonlat.transform(xs, ys)
    areal = np.array(proj.get_factors(lons, lats).areal_scale)
    return np.broadcast_to((abs(dx * dy) / areal) / 1e4, (height, width))


def forest_loss(base, mon, inside, area, p):
    """Classes (0 not seen, 1 non-forest, 2 stable forest, 3 loss, 255 outside), confidence and the figures."""
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
    figures = {
        "hectares": {int(c): float(area[(classes == c)].sum()) for c in (0, 1, 2, 3)},
        "pixels": {int(c): int((classes == c).sum()) for c in (0, 1, 2, 3)},
        "clearFraction": {
            "baseline": float(area[inside & (base[2] > 0)].sum() / area[inside].sum()),
            "monitoring": float(area[inside & (mon[2] > 0)].sum() / area[inside].sum()),
        },
        "patches": int(n - small[1:].sum()),
    }
    return classes, confidence, figures
