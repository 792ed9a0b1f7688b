#!/usr/bin/python3
"""Golden values for the v2 metrics (issue #13), computed independently of the TypeScript core: numpy and
OpenCV (Debian's python3-numpy, python3-opencv), on the exact analysed pixels that export.ts writes.

    node --import tsx container/test/golden-v2/export.ts /tmp/golden-v2
    /usr/bin/python3 container/test/golden-v2/make_golden.py /tmp/golden-v2
    npx biome format --write container/test/golden-v2/values.json

Writes values.json beside this script (about 4 min: OpenCV's k-means runs 20 attempts per image and N, on the
golden images and on the 24 photos of the dominant colours' quality claim). Definitions are docs/METRICS.md's; weights are the alpha channel (a
pixel of alpha w counts as w copies), or 1 per pixel for opaque images.
"""
import hashlib
import json
import os
import sys

import cv2
import numpy as np

HERE = os.path.dirname(os.path.abspath(__file__))


def srgb_to_linear(v):
    v = v / 255.0
    return np.where(v <= 0.04045, v / 12.92, ((v + 0.055) / 1.055) ** 2.4)


def linear_to_srgb8(l):
    e = np.where(l <= 0.0031308, 12.92 * l, 1.055 * np.power(l, 1 / 2.4) - 0.055)
    return np.clip(np.round(e * 255), 0, 255).astype(int)


def lstar_of_y(y):
    eps = (6 / 29) ** 3
    return np.where(y > eps, 116 * np.cbrt(y) - 16, y * (29 / 3) ** 3)


def lab(rgb8):
    """CIELAB (D65, 2°) of 8-bit sRGB rows: the IEC 61966-2-1 matrix, white (0.95047, 1, 1.08883)."""
    lin = srgb_to_linear(rgb8.astype(np.float64))
    m = np.array([[0.4124564, 0.3575761, 0.1804375], [0.2126729, 0.7151522, 0.0721750], [0.0193339, 0.1191920, 0.9503041]])
    xyz = lin @ m.T / np.array([0.95047, 1.0, 1.08883])
    eps = (6 / 29) ** 3
    f = np.where(xyz > eps, np.cbrt(xyz), xyz / (3 * (6 / 29) ** 2) + 4 / 29)
    return np.stack([116 * f[:, 1] - 16, 500 * (f[:, 0] - f[:, 1]), 200 * (f[:, 1] - f[:, 2])], axis=1)


def weighted_percentile(values, weights, p):
    """The p-th percentile with each value repeated `weight` times, numpy's linear method."""
    return float(np.percentile(np.repeat(values, weights), p))


def wmean(x, w):
    return float(np.sum(x * w) / np.sum(w))


def wvar(x, w):
    m = wmean(x, w)
    return float(np.sum(w * (x - m) ** 2) / np.sum(w))


def band_size(n):
    return max(1, int(n * 0.1))


def overlay(y, w):
    """Black or white text over a region of relative luminance y (weights w): the worst case over p10–p90."""
    if np.sum(w) == 0:
        return None
    p10 = weighted_percentile(y, w, 10)
    p90 = weighted_percentile(y, w, 90)
    black = (p10 + 0.05) / 0.05
    white = 1.05 / (p90 + 0.05)
    return {"p10": p10, "p90": p90, "text_color": "#000000" if black >= white else "#FFFFFF",
            "contrast_ratio": max(black, white)}


def placeholder_copy(lin, w, width, height, side=16):
    """The placeholder's small copy (docs/METRICS.md): at most `side` px on the longer side, aspect kept; cell
    (cx, cy) holds columns ceil(cx·W/tw) up to the next and the rows y with floor(y·th/H) = cy; when every cell is
    at least 4 px each way, only every other pixel of every other row of it counts, from its first; each cell is
    the alpha-weighted mean in linear light (a wholly transparent one: the mean of all counted pixels), in 8-bit
    sRGB."""
    scale = min(1.0, side / max(width, height))
    tw = max(1, int(np.floor(width * scale + 0.5)))
    th = max(1, int(np.floor(height * scale + 0.5)))
    xs = [-(-cx * width // tw) for cx in range(tw + 1)]
    cell_row = np.minimum(th - 1, (np.arange(height) * th) // height)
    step = 2 if width // tw >= 4 and height // th >= 4 else 1
    lin2 = lin.reshape(height, width, 3)
    w2 = w.reshape(height, width).astype(np.float64)
    sums = np.zeros((th, tw, 4))
    for y in range(height):
        cy = cell_row[y]
        first = int(np.argmax(cell_row == cy))
        if (y - first) % step:
            continue
        for cx in range(tw):
            cols = np.arange(xs[cx], xs[cx + 1], step)
            ww = w2[y, cols]
            sums[cy, cx, :3] += (lin2[y, cols] * ww[:, None]).sum(axis=0)
            sums[cy, cx, 3] += ww.sum()
    total = sums[:, :, 3].sum()
    mean = sums[:, :, :3].sum(axis=(0, 1)) / total
    out = np.zeros((th, tw, 3), dtype=int)
    for cy in range(th):
        for cx in range(tw):
            cw = sums[cy, cx, 3]
            out[cy, cx] = linear_to_srgb8(sums[cy, cx, :3] / cw if cw > 0 else mean)
    return {"width": tw, "height": th, "rgb": out.reshape(-1).tolist()}


def kmeans_errors(rgb):
    """The reference error: OpenCV's k-means, k-means++ seeds, the best of 20 attempts, in CIELAB, per pixel."""
    data = lab(rgb.reshape(-1, 3)).astype(np.float32)
    best = {}
    for n in (1, 3, 5, 8, 10):
        cv2.setRNGSeed(13)
        criteria = (cv2.TERM_CRITERIA_EPS + cv2.TERM_CRITERIA_MAX_ITER, 300, 1e-4)
        compactness, _, _ = cv2.kmeans(data, n, None, criteria, 20, cv2.KMEANS_PP_CENTERS)
        best[str(n)] = compactness / len(data)
    return best


def metrics(px, width, height, channels):
    img = px.reshape(height, width, channels)
    if channels >= 3:
        rgb = img[:, :, :3].astype(np.int64)
    else:
        rgb = np.repeat(img[:, :, :1].astype(np.int64), 3, axis=2)
    alpha = channels in (2, 4)
    w = img[:, :, channels - 1].astype(np.int64) if alpha else np.ones((height, width), dtype=np.int64)
    luma_int = 2126 * rgb[:, :, 0] + 7152 * rgb[:, :, 1] + 722 * rgb[:, :, 2]
    luma = luma_int / 10000.0
    wf = w.ravel()
    lf = luma.ravel()
    out = {"width": width, "height": height, "channels": channels}

    rms = np.sqrt(wvar(lf, wf))
    p5 = weighted_percentile(lf, wf, 5)
    p95 = weighted_percentile(lf, wf, 95)
    out["contrast"] = {
        "rms": rms, "score": min(100, int(np.floor(100 * rms / 127.5 + 0.5))), "p5": p5, "p95": p95, "range": p95 - p5,
        "clipped_shadows_percent": 100 * float(np.sum(wf[luma_int.ravel() <= 20000])) / float(np.sum(wf)),
        "clipped_highlights_percent": 100 * float(np.sum(wf[luma_int.ravel() >= 2530000])) / float(np.sum(wf)),
    }

    lap = cv2.Laplacian(luma, cv2.CV_64F, ksize=1, borderType=cv2.BORDER_REPLICATE)
    gx = cv2.Sobel(luma, cv2.CV_64F, 1, 0, ksize=3, borderType=cv2.BORDER_REPLICATE)
    gy = cv2.Sobel(luma, cv2.CV_64F, 0, 1, ksize=3, borderType=cv2.BORDER_REPLICATE)
    # The threshold on the exact integers (×10 000): float luma would put ties on either side.
    gxi = np.rint(gx * 10000).astype(np.int64)
    gyi = np.rint(gy * 10000).astype(np.int64)
    edge = (gxi ** 2 + gyi ** 2) >= (64 * 10000) ** 2
    out["sharpness"] = {"laplacian_variance": wvar(lap.ravel(), wf), "opencv_var_unweighted": float(lap.var())}
    out["edge_density"] = {"percent": 100 * float(np.sum(wf[edge.ravel()])) / float(np.sum(wf))}

    r, g, b = (rgb[:, :, k].ravel().astype(np.float64) for k in range(3))
    rg = r - g
    yb = (r + g) / 2 - b
    m = np.sqrt(wvar(rg, wf) + wvar(yb, wf)) + 0.3 * np.sqrt(wmean(rg, wf) ** 2 + wmean(yb, wf) ** 2)
    out["colorfulness"] = {"value": float(m)}

    lin = srgb_to_linear(rgb.reshape(-1, 3).astype(np.float64))
    y = lin @ np.array([0.2126, 0.7152, 0.0722])
    ls = lstar_of_y(y)
    avg_lin = (lin * wf[:, None]).sum(axis=0) / wf.sum()
    avg = linear_to_srgb8(avg_lin)
    out["colors"] = {"average": {"rgb": [int(v) for v in avg], "hex": "#%02X%02X%02X" % tuple(int(v) for v in avg)}}
    out["scales"] = {
        "luminance": {"average": 100 * wmean(y, wf), "median": 100 * weighted_percentile(y, wf, 50)},
        "lstar": {"average": wmean(ls, wf), "median": weighted_percentile(ls, wf, 50)},
        "rec709": {"average": wmean(lf, wf), "median": weighted_percentile(lf, wf, 50)},
    }

    y2 = y.reshape(height, width)
    bx, by = band_size(width), band_size(height)
    regions = {"whole": (slice(None), slice(None)), "left": (slice(None), slice(0, bx)),
               "right": (slice(None), slice(width - bx, None)), "top": (slice(0, by), slice(None)),
               "bottom": (slice(height - by, None), slice(None))}
    out["overlay"] = {k: overlay(y2[s].ravel(), w[s].ravel()) for k, s in regions.items()}

    out["placeholder_copy"] = placeholder_copy(lin, wf, width, height)

    if not alpha:
        out["kmeans_mean_squared_error"] = kmeans_errors(rgb)
    return out


def main():
    src = sys.argv[1] if len(sys.argv) > 1 else "/tmp/golden-v2"
    manifest = json.load(open(os.path.join(src, "manifest.json")))
    values = {
        "generator": "container/test/golden-v2/make_golden.py, numpy %s, OpenCV %s" % (np.__version__, cv2.__version__),
        "lab": {
            "#%02X%02X%02X" % c: [float(v) for v in lab(np.array([c]))[0]]
            for c in [(255, 0, 0), (0, 255, 0), (0, 0, 255), (128, 128, 128), (255, 165, 0), (139, 69, 19), (255, 192, 203)]
        },
        "images": {},
    }
    for name, info in manifest.items():
        raw = open(os.path.join(src, name + ".raw"), "rb").read()
        assert hashlib.sha256(raw).hexdigest() == info["sha256"], name
        px = np.frombuffer(raw, dtype=np.uint8)
        if info.get("quality_only"):
            rgb = px.reshape(info["height"], info["width"], info["channels"])[:, :, :3].astype(np.int64)
            result = {"quality_only": True, "kmeans_mean_squared_error": kmeans_errors(rgb)}
        else:
            result = metrics(px, info["width"], info["height"], info["channels"])
        result["sha256"] = info["sha256"]
        values["images"][name] = result
        print(name, json.dumps(result)[:300])
    with open(os.path.join(HERE, "values.json"), "w") as f:
        json.dump(values, f, indent=1, sort_keys=True)
        f.write("\n")


if __name__ == "__main__":
    main()
