#!/usr/bin/python3
"""Golden values for `algorithm=` (issue #13): the brightness family (score, average, median, histogram, edge
bands) on each scale, computed independently of the TypeScript core with numpy (Debian's python3-numpy) in
floating point from the definitions in docs/METRICS.md, on the exact analysed pixels that golden-v2/export.ts
writes (their sha256 is kept, and golden-scales.test.ts checks it computes on the very same pixels).

    node --import tsx container/test/golden-v2/export.ts /tmp/golden-v2
    /usr/bin/python3 container/test/golden-scales/make_golden.py /tmp/golden-v2
    npx biome format --write container/test/golden-scales/values.json

Weights are the alpha channel (a pixel of alpha w counts as w copies) or 1 per pixel for opaque images.
"""
import json
import os
import sys

import numpy as np

HERE = os.path.dirname(os.path.abspath(__file__))
EDGE_MODES = ("left_right", "top_bottom", "all")


def srgb_to_linear(v):
    """IEC 61966-2-1 decoding with WCAG 2's threshold 0.04045, on 8-bit values."""
    v = v / 255.0
    return np.where(v <= 0.04045, v / 12.92, ((v + 0.055) / 1.055) ** 2.4)


def scale_values(rgb, algorithm):
    """Every pixel's value on the scale: rec709 luma 0-255, 100 x relative luminance, or CIE L* (D65)."""
    if algorithm == "rec709":
        return (0.2126 * rgb[..., 0] + 0.7152 * rgb[..., 1] + 0.0722 * rgb[..., 2]).astype(np.float64)
    lin = srgb_to_linear(rgb.astype(np.float64))
    y = 0.2126 * lin[..., 0] + 0.7152 * lin[..., 1] + 0.0722 * lin[..., 2]
    if algorithm == "luminance":
        return 100 * y
    eps = (6 / 29) ** 3
    return np.where(y > eps, 116 * np.cbrt(y) - 16, y * (29 / 3) ** 3)


def round_half_away(x):
    return int(np.floor(abs(x) + 0.5)) * (1 if x >= 0 else -1)


def band_size(n):
    return max(1, int(n * 0.1))


def edge_mask(width, height, mode):
    bx, by = band_size(width), band_size(height)
    x = np.arange(width)[None, :]
    y = np.arange(height)[:, None]
    columns = np.broadcast_to((x < bx) | (x >= width - bx), (height, width))
    rows = np.broadcast_to((y < by) | (y >= height - by), (height, width))
    return columns if mode == "left_right" else rows if mode == "top_bottom" else columns | rows


def family(values, w, algorithm, width, height):
    full = 255 if algorithm == "rec709" else 100
    bucket_width = 25.6 if algorithm == "rec709" else 10.0
    v = values.ravel()
    wf = w.ravel()
    total = float(np.sum(wf))
    average = float(np.sum(v * wf) / total)
    median = float(np.median(np.repeat(v, wf)))
    if algorithm == "rec709":
        # Luma on a bucket's bound (51.2 = 2 x 25.6) is exact in integers x 10 000, not in binary floats.
        luma_int = np.round(v * 10000).astype(np.int64)
        buckets = np.minimum(9, luma_int // 256000)
    else:
        buckets = np.minimum(9, np.floor(v / bucket_width)).astype(int)
    histogram = [100 * float(np.sum(wf[buckets == b])) / total for b in range(10)]
    edges = {}
    for mode in EDGE_MODES:
        m = edge_mask(width, height, mode).ravel()
        ew = float(np.sum(wf[m]))
        edges[mode] = None if ew == 0 else float(np.sum(v[m] * wf[m]) / ew)
    return {
        "brightness_score": round_half_away(100 * average / full),
        "average": average,
        "median": median,
        "histogram": histogram,
        "edge_average": edges,
    }


def main():
    folder = sys.argv[1] if len(sys.argv) > 1 else "/tmp/golden-v2"
    manifest = json.load(open(os.path.join(folder, "manifest.json")))
    out = {"generator": "container/test/golden-scales/make_golden.py (numpy %s)" % np.__version__, "images": {}}
    for name, info in manifest.items():
        width, height, channels = info["width"], info["height"], info["channels"]
        px = np.fromfile(os.path.join(folder, name + ".raw"), dtype=np.uint8).reshape(height, width, channels)
        rgb = px[:, :, :3] if channels >= 3 else np.repeat(px[:, :, :1], 3, axis=2)
        alpha = channels in (2, 4)
        w = px[:, :, channels - 1].astype(np.int64) if alpha else np.ones((height, width), dtype=np.int64)
        out["images"][name] = {"sha256": info["sha256"], "width": width, "height": height, "channels": channels}
        for algorithm in ("rec709", "luminance", "lstar"):
            out["images"][name][algorithm] = family(scale_values(rgb, algorithm), w, algorithm, width, height)
    with open(os.path.join(HERE, "values.json"), "w") as f:
        json.dump(out, f, indent=2)
        f.write("\n")


if __name__ == "__main__":
    main()
