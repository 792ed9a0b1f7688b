#!/usr/bin/python3
"""Golden values for `noise` (issue #23), computed independently of the TypeScript core with numpy and
scipy.signal.convolve2d (Debian's python3-numpy, python3-scipy) on the exact full-resolution pixels that
export.ts writes; scikit-image's wavelet estimator (python3-skimage) beside it, for docs/METRICS.md only.

    node --import tsx container/test/golden-v3/noise/export.ts /tmp/golden-v3-noise
    /usr/bin/python3 container/test/golden-v3/noise/make_golden.py /tmp/golden-v3-noise
    npx biome format --write container/test/golden-v3/noise/values.json

Writes values.json beside this script (a few seconds). The estimator is Immerkær's (CVIU 64(2):300-302, 1996):
sigma = sqrt(pi/2) / (6 (W-2)(H-2)) * sum |I * N| over the interior ('valid' convolution), N = [[1,-2,1],
[-2,4,-2],[1,-2,1]], I the Rec. 709 luma (2126 R + 7152 G + 722 B) / 10000, or the grey level.
"""
import hashlib
import json
import math
import os
import sys

import numpy as np
from scipy.signal import convolve2d
from skimage import __version__ as skimage_version
from skimage.restoration import estimate_sigma

HERE = os.path.dirname(os.path.abspath(__file__))
MASK = np.array([[1, -2, 1], [-2, 4, -2], [1, -2, 1]], dtype=np.float64)


def luma10000(pixels):
    """The luma x 10000 as exact integers (held in float64: every value and partial sum is an integer < 2^53)."""
    if pixels.shape[2] >= 3:
        return 2126.0 * pixels[:, :, 0] + 7152.0 * pixels[:, :, 1] + 722.0 * pixels[:, :, 2]
    return 10000.0 * pixels[:, :, 0]


def immerkaer(luma):
    h, w = luma.shape
    response = convolve2d(luma, MASK, mode="valid")
    total = float(np.sum(np.abs(response)))
    assert total < 2**53 and total == int(total)
    sigma = math.sqrt(math.pi / 2) * total / (6 * (w - 2) * (h - 2) * 10000)
    return int(total), (w - 2) * (h - 2), sigma


def main(directory):
    manifest = json.load(open(os.path.join(directory, "manifest.json")))
    images = {}
    for name, info in manifest.items():
        raw = open(os.path.join(directory, name + ".raw"), "rb").read()
        assert hashlib.sha256(raw).hexdigest() == info["sha256"], name
        images[name] = np.frombuffer(raw, dtype=np.uint8).reshape(info["height"], info["width"], info["channels"])
    out = {}
    for name, info in manifest.items():
        pixels = images[name].astype(np.float64)
        luma = luma10000(pixels)
        total, count, sigma = immerkaer(luma)
        entry = {
            "width": info["width"],
            "height": info["height"],
            "channels": info["channels"],
            "sha256": info["sha256"],
            "immerkaer_sum": total,
            "interior_pixels": count,
            "sigma": sigma,
            "skimage_estimate_sigma": float(estimate_sigma(luma / 10000, channel_axis=None)),
        }
        added = info.get("added")
        if added:
            clean = added["clean"]
            if isinstance(clean, str):
                clean_luma = luma10000(images[clean].astype(np.float64))
            else:
                clean_luma = luma10000(np.broadcast_to(np.array(clean, dtype=np.float64), pixels.shape))
            # The truth: the luma's added noise as it is in the 8-bit pixels (rounded and clipped), population σ.
            entry["added_sigma"] = added["sigma"]
            entry["true_sigma"] = float(np.std((luma - clean_luma) / 10000))
            entry["clean"] = clean
        out[name] = entry
    values = {
        "generator": "make_golden.py: numpy %s, scipy.signal.convolve2d, scikit-image %s estimate_sigma"
        % (np.__version__, skimage_version),
        "images": out,
    }
    with open(os.path.join(HERE, "values.json"), "w") as f:
        json.dump(values, f, indent=2)
        f.write("\n")
    for name, e in out.items():
        print(f"{name:16} {e['width']}x{e['height']} immerkaer {e['sigma']:.3f} skimage {e['skimage_estimate_sigma']:.3f} "
              f"true {e.get('true_sigma', float('nan')):.3f}")


if __name__ == "__main__":
    main(sys.argv[1] if len(sys.argv) > 1 else "/tmp/golden-v3-noise")
