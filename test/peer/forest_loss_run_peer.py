"""The rasters a whole `changewatch run` publishes for forest loss, made by a plain GDAL + numpy script (the bench's peer).

Reads the same windows of the same scene files, builds the nanmedian composites, clear counts, NDVI, the day of the
last clear observation, forest loss and its confidence (forest_loss_chain.py, shared with forest_loss_peer.py), and
writes each raster the run publishes as a COG with GDAL's COG driver, with the run's types and nodata: NDVI Float32
(NaN), clear counts and last clear UInt16 (65535), classes and confidence Byte (255); outside the AOI is nodata in
every one. DEFLATE with GDAL's predictor choice (2 for integers, 3 for floats), 512-pixel tiles and overviews
(nearest for codes and counts, average for NDVI), as changewatch's COGs. Timed by the bench as a whole process.

Usage: forest_loss_run_peer.py SPEC.json OUT_DIR. SPEC: grid {epsg, width, height, transform}, aoi (GeoJSON path),
scale, baseline and monitoring (lists of {path, date: YYYY-MM-DD}), parameters (forest loss). Writes OUT_DIR/<asset>.tif
and OUT_DIR/summary.json (hectares and pixels per class, clear fractions, patches kept).
"""
import datetime
import json
import sys

import numpy as np
from osgeo import gdal

from forest_loss_chain import aoi_mask, forest_loss, grid_srs, pixel_area_ha, read_period

spec = json.load(open(sys.argv[1]))
out = sys.argv[2]
grid = spec["grid"]
EPOCH = datetime.date(1970, 1, 1)


def last_clear_day(scenes, clear):
    """Days since 1970-01-01 of each pixel's last clear observation; 65535 where none (the run's nodata)."""
    days = np.array([(datetime.date.fromisoformat(scene["date"]) - EPOCH).days for scene in scenes])
    last = np.max(np.where(clear, days[:, None, None], -1), axis=0)
    return np.where(last < 0, 65535, last).astype(np.uint16)


def write_cog(name, array, gdal_type, nodata, resampling):
    mem = gdal.GetDriverByName("MEM").Create("", grid["width"], grid["height"], 1, gdal_type)
    mem.SetGeoTransform(grid["transform"])
    mem.SetProjection(grid_srs(grid).ExportToWkt())
    band = mem.GetRasterBand(1)
    band.SetNoDataValue(nodata)
    band.WriteArray(array)
    options = ["COMPRESS=DEFLATE", "PREDICTOR=YES", "BLOCKSIZE=512", f"RESAMPLING={resampling}"]
    gdal.GetDriverByName("COG").CreateCopy(f"{out}/{name}.tif", mem, options=options)


base = read_period([scene["path"] for scene in spec["baseline"]], grid, spec["scale"])
mon = read_period([scene["path"] for scene in spec["monitoring"]], grid, spec["scale"])
inside = aoi_mask(grid, spec["aoi"])
classes, confidence, figures = forest_loss(base, mon, inside, pixel_area_ha(grid), spec["parameters"])
last_clear = last_clear_day(spec["monitoring"], mon[5])

for period, (_, _, count, ndvi, _, _) in (("baseline", base), ("monitoring", mon)):
    write_cog(f"ndvi-{period}", np.where(inside, ndvi, np.nan), gdal.GDT_Float32, float("nan"), "AVERAGE")
    write_cog(f"clear-count-{period}", np.where(inside, count, 65535), gdal.GDT_UInt16, 65535, "NEAREST")
write_cog("last-clear", np.where(inside, last_clear, 65535), gdal.GDT_UInt16, 65535, "NEAREST")
write_cog("forest-loss", classes, gdal.GDT_Byte, 255, "NEAREST")
write_cog("forest-loss-confidence", confidence, gdal.GDT_Byte, 255, "NEAREST")
json.dump(figures, open(f"{out}/summary.json", "w"))
