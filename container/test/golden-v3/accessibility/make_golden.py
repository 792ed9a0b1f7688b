#!/usr/bin/python3
"""Golden values for `accessibility` (issue #23), computed independently of the TypeScript core: colorspacious
(its Machado, Oliveira & Fernandes 2009 simulation, "sRGB1+CVD" at severity 100), scikit-image (CIEDE2000) and
numpy (luminance percentiles), on the exact analysed pixels that export.ts writes (Debian's python3-colorspacious,
python3-skimage, python3-numpy).

    node --import tsx container/test/golden-v3/accessibility/export.ts /tmp/golden-v3-accessibility
    /usr/bin/python3 container/test/golden-v3/accessibility/make_golden.py /tmp/golden-v3-accessibility
    npx biome format --write container/test/golden-v3/accessibility/values.json

Writes values.json beside this script (a few seconds). For each image and deficiency: the dominant colours
simulated (colorspacious, clipped to [0, 1], rounded to 8-bit), the pair of simulated colours with the smallest
CIEDE2000 (skimage.color.deltaE_ciede2000 on CIELAB of the IEC 61966-2-1 matrix and D65 white, as lab.ts), and the
10th and 90th percentiles of the simulated image's relative luminance over the contrast's sample (the pixels at
even x and even y, a quarter; all of them when none of those is visible; each simulated by colorspacious, clipped,
decoded, 0.2126 R + 0.7152 G + 0.0722 B; a pixel of alpha w counts as w copies; numpy's linear method) with the WCAG
2 contrast of black text against p10 and of white text against p90, exact and rounded down to 2 decimals; and the
same contrast over every pixel (`contrast_every_pixel`), to show what the quarter changes.
"""
import hashlib
import json
import math
import os
import sys

import numpy as np
from colorspacious import cspace_convert
from skimage.color import deltaE_ciede2000

HERE = os.path.dirname(os.path.abspath(__file__))
DEFICIENCIES = {"protanopia": "protanomaly", "deuteranopia": "deuteranomaly", "tritanopia": "tritanomaly"}


def simulate(rgb01, cvd_type):
    """colorspacious's simulation of sRGB 0–1 rows, clipped to the gamut (it leaves out-of-gamut values as they are)."""
    space = {"name": "sRGB1+CVD", "cvd_type": cvd_type, "severity": 100}
    return np.clip(cspace_convert(rgb01, space, "sRGB1"), 0, 1)


def srgb_to_linear(v):
    return np.where(v <= 0.04045, v / 12.92, ((v + 0.055) / 1.055) ** 2.4)


def lab(rgb8):
    """CIELAB (D65) of 8-bit sRGB rows: the IEC 61966-2-1 matrix, white (0.95047, 1, 1.08883)."""
    lin = srgb_to_linear(np.asarray(rgb8, dtype=np.float64) / 255)
    m = np.array([[0.4124564, 0.3575761, 0.1804375], [0.2126729, 0.7151522, 0.0721750], [0.0193339, 0.1191920, 0.9503041]])
    xyz = lin @ m.T / np.array([0.95047, 1.0, 1.08883])
    eps = (6 / 29) ** 3
    f = np.where(xyz > eps, np.cbrt(xyz), xyz / (3 * (6 / 29) ** 2) + 4 / 29)
    return np.stack([116 * f[:, 1] - 16, 500 * (f[:, 0] - f[:, 1]), 200 * (f[:, 1] - f[:, 2])], axis=1)


def weighted_percentile(values, weights, p):
    """numpy's linear percentile of `values` with each repeated `weights` times (np.repeat), without the copies."""
    order = np.argsort(values, kind="stable")
    v = values[order]
    cum = np.cumsum(weights[order].astype(np.int64))
    position = p * (cum[-1] - 1) / 100
    low, high = math.floor(position), math.ceil(position)
    at = lambda k: float(v[np.searchsorted(cum, k, side="right")])
    return at(low) + (position - low) * (at(high) - at(low))


def floor2(x):
    return math.floor(x * 100 + 1e-9) / 100


def sample_of(px):
    """The RGB rows and alpha weights of pixel rows `px` (grey as R = G = B; an opaque image's weights 1), visible only."""
    channels = px.shape[1]
    rgb = px[:, [0, 0, 0]] if channels < 3 else px[:, :3]
    weights = px[:, channels - 1] if channels in (2, 4) else np.ones(len(px), dtype=np.uint8)
    if channels in (2, 4) and np.all(weights == 255):
        weights = np.ones(len(px), dtype=np.uint8)
    visible = weights > 0
    return rgb[visible], weights[visible]


def percentiles_and_contrast(rgb, weights, cvd_type):
    """p10, p90 of the simulated relative luminance and the WCAG contrast of black and white text, exact and shown."""
    linear = srgb_to_linear(simulate(rgb / 255.0, cvd_type))
    y = linear @ np.array([0.2126, 0.7152, 0.0722])
    p10 = weighted_percentile(y, weights, 10)
    p90 = weighted_percentile(y, weights, 90)
    black = (p10 + 0.05) / 0.05
    white = 1.05 / (p90 + 0.05)
    return p10, p90, {
        "#000000": {"exact": round(black, 6), "shown": floor2(black)},
        "#FFFFFF": {"exact": round(white, 6), "shown": floor2(white)},
    }


def main(directory):
    manifest = json.load(open(os.path.join(directory, "manifest.json")))
    out = {}
    for name, info in manifest.items():
        raw = open(os.path.join(directory, f"{name}.raw"), "rb").read()
        assert hashlib.sha256(raw).hexdigest() == info["sha256"], name
        channels = info["channels"]
        image = np.frombuffer(raw, dtype=np.uint8).reshape(info["height"], info["width"], channels)
        every = sample_of(image.reshape(-1, channels))
        quarter = sample_of(image[::2, ::2].reshape(-1, channels))
        if quarter[1].sum() == 0:
            quarter = every
        dominant = info["dominant"]
        entry = {
            "width": info["width"],
            "height": info["height"],
            "channels": channels,
            "sha256": info["sha256"],
            "input": {"dominant": dominant},
        }
        for deficiency, cvd_type in DEFICIENCIES.items():
            colours = np.array([d["rgb"] for d in dominant], dtype=np.float64) / 255
            simulated = np.round(simulate(colours, cvd_type) * 255).astype(int)
            labs = lab(simulated)
            best = None
            for i in range(len(labs)):
                for j in range(i + 1, len(labs)):
                    de = float(deltaE_ciede2000(labs[i], labs[j]))
                    if best is None or de < best[2]:
                        best = (i, j, de)
            hexes = ["#%02X%02X%02X" % tuple(c) for c in simulated]
            p10, p90, contrast = percentiles_and_contrast(*quarter, cvd_type)
            entry[deficiency] = {
                "dominant": [{"hex": h, "rgb": c.tolist()} for h, c in zip(hexes, simulated)],
                "least_distinguishable": None
                if best is None
                else {"colors": [hexes[best[0]], hexes[best[1]]], "delta_e": round(best[2], 6)},
                "p10": round(p10, 8),
                "p90": round(p90, 8),
                "contrast": contrast,
                "contrast_every_pixel": percentiles_and_contrast(*every, cvd_type)[2],
            }
        out[name] = entry
    with open(os.path.join(HERE, "values.json"), "w") as f:
        json.dump({"generator": "make_golden.py (colorspacious, scikit-image, numpy)", "images": out}, f, indent=2)
        f.write("\n")


if __name__ == "__main__":
    main(sys.argv[1] if len(sys.argv) > 1 else "/tmp/golden-v3-accessibility")
