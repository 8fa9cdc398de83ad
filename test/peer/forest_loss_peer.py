"""Peer computation of changewatch's forest-loss chain with GDAL + numpy + scipy + pyproj (Debian packages).

The chain itself (and how it was written independently of the TypeScript) is in forest_loss_chain.py, shared with
forest_loss_run_peer.py. This script writes its arrays for the integration test and the chain bench.

Usage: forest_loss_peer.py SPEC.json OUT_DIR. Writes float32/uint8/uint16 .bin arrays and summary.json.
"""
import json
import resource
import sys
import time

import numpy as np

from forest_loss_chain import aoi_mask, forest_loss, pixel_area_ha, read_period

# Timed after the imports: the chain bench times changewatch with its worker threads' modules loaded.
started = time.perf_counter()
cpu_started = time.process_time()
spec = json.load(open(sys.argv[1]))
out = sys.argv[2]
grid = spec["grid"]

base = read_period(spec["baseline"], grid, spec["scale"])
mon = read_period(spec["monitoring"], grid, spec["scale"])
inside = aoi_mask(grid, spec["aoi"])
area = pixel_area_ha(grid)
classes, confidence, figures = forest_loss(base, mon, inside, area, spec["parameters"])

for name, array in {
    "baseline_red": base[0], "baseline_nir": base[1], "baseline_count": base[2], "baseline_ndvi": base[3],
    "monitoring_red": mon[0], "monitoring_nir": mon[1], "monitoring_count": mon[2], "monitoring_ndvi": mon[3],
    "inside": inside.astype(np.uint8), "classes": classes, "confidence": confidence,
}.items():
    np.ascontiguousarray(array).tofile(f"{out}/{name}.bin")
json.dump(
    {
        **figures,
        "seconds": time.perf_counter() - started,
        "cpuSeconds": time.process_time() - cpu_started,
        "maxRssKiB": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss,
    },
    open(f"{out}/summary.json", "w"),
)
