#!/usr/bin/python3
"""Golden values of the `hash` metric (issue #23), computed independently of the TypeScript core with numpy and
scipy (Debian's python3-numpy, python3-scipy) on the exact analysed pixels that export.ts writes, and the SHA-256 of
the reference files by coreutils' sha256sum.

    npx -y -p node@24 -- node --import tsx container/test/golden-v3/hash/export.ts /tmp/golden-v3-hash
    /usr/bin/python3 container/test/golden-v3/hash/make_golden.py /tmp/golden-v3-hash
    npx -y -p node@24 -- npx biome format --write container/test/golden-v3/hash/values.json

Definitions are docs/METRICS.md's (`hash`): luma (2126 R + 7152 G + 722 B) / 10 000, composited onto white where
there is alpha; the area average down to 32 × 32 and 9 × 8 cells; the DCT-II of the 32 × 32 means (scipy.fft.dct,
norm=None, columns then rows, as the imagehash library's phash), its 8 × 8 lowest frequencies, bit = coefficient >
their median; the difference hash's bit = cell < its right-hand neighbour. Bits row-major, the first the most
significant.

The area average here is another computation than the TypeScript one (prefix sums over fractional spans): each pixel
is repeated t times along an axis of n pixels and t cells, so that every cell is exactly n of the repeated samples,
summed with numpy in int64: exact.
"""
import hashlib
import json
import os
import subprocess
import sys

import numpy as np
import scipy.fft

HERE = os.path.dirname(os.path.abspath(__file__))
REFERENCE = os.path.join(HERE, "../../../../../shared/fixtures/reference/")
REFERENCE_FILES = ["sample1-536x354-grayscale.jpg", "sample2-536x354.jpg", "sample3-color-5000x3330.jpg"]
# What the TypeScript calls a zero coefficient (DCT_ZERO_EPSILON), in 8-bit luma × cells.
ZERO = 1e-6
# A coefficient this close to the median (or to ±ZERO) may fall on either side of it in another order of the float
# sums: its bit is not compared. The float error of a coefficient is below 1e-9.
UNSURE = 1e-7


def luma_units(img):
    """The luma ×10 000 (int64), composited onto white (×255 more) where there is alpha, and its unit per level."""
    h, w, c = img.shape
    px = img.astype(np.int64)
    luma = 2126 * px[:, :, 0] + 7152 * px[:, :, 1] + 722 * px[:, :, 2] if c >= 3 else 10000 * px[:, :, 0]
    if c in (2, 4):
        a = px[:, :, c - 1]
        return a * luma + (255 - a) * 255 * 10000, 255 * 10000
    return luma, 10000


def area_sums(values, tw, th):
    """Each cell's sum over its area: every pixel repeated tw times across and th times down; a cell is then
    exactly W × H of the repeated samples (W × H the image's size). Exact, int64."""
    h, w = values.shape
    across = np.repeat(values, tw, axis=1).reshape(h, tw, w).sum(axis=2)  # (h, tw)
    return np.repeat(across, th, axis=0).reshape(th, h, tw).sum(axis=1)  # (th, tw)


def bits_hex(bits):
    bits = np.asarray(bits, dtype=int).ravel()
    return "".join("%x" % int("".join(map(str, bits[i:i + 4])), 2) for i in range(0, 64, 4))


def hashes(img):
    h, w, _ = img.shape
    luma, unit = luma_units(img)
    means32 = area_sums(luma, 32, 32) / (unit * w * h)
    # scipy's norm=None DCT-II is 2 Σ x cos(…) along each axis: 4 × the TypeScript's unnormalised coefficient.
    dct = scipy.fft.dct(scipy.fft.dct(means32, axis=0, norm=None), axis=1, norm=None)[:8, :8] / 4
    dct = np.where(np.abs(dct) < ZERO, 0.0, dct)
    median = np.median(dct)
    perceptual = dct > median
    # A zero coefficient against a median of zero is sure (both exactly 0 after the snapping).
    exact = (dct == 0) & (median == 0)
    unsure = ((np.abs(dct - median) < UNSURE) & ~exact) | (np.abs(np.abs(dct) - ZERO) < UNSURE)
    sums9 = area_sums(luma, 9, 8)
    difference = sums9[:, :-1] < sums9[:, 1:]
    return {
        "perceptual": bits_hex(perceptual),
        "perceptual_unsure_bits": [int(i) for i in np.flatnonzero(unsure.ravel())],
        "dct": [float(v) for v in dct.ravel()],
        "difference": bits_hex(difference),
        "cells_9x8": [float(v) for v in (sums9 / (unit * w * h)).ravel()],
    }


def main():
    folder = sys.argv[1] if len(sys.argv) > 1 else "/tmp/golden-v3-hash"
    with open(os.path.join(folder, "manifest.json")) as f:
        manifest = json.load(f)
    images = {}
    for name, info in manifest.items():
        with open(os.path.join(folder, name + ".raw"), "rb") as f:
            raw = f.read()
        assert hashlib.sha256(raw).hexdigest() == info["sha256"], name
        img = np.frombuffer(raw, dtype=np.uint8).reshape(info["height"], info["width"], info["channels"])
        images[name] = {**info, **hashes(img)}
        print(name, images[name]["perceptual"], images[name]["difference"], images[name]["perceptual_unsure_bits"])
    files = {}
    for name in REFERENCE_FILES:
        out = subprocess.run(["sha256sum", os.path.join(REFERENCE, name)], check=True, capture_output=True, text=True)
        files[name] = out.stdout.split()[0]
    with open(os.path.join(HERE, "values.json"), "w") as f:
        json.dump({"images": images, "sha256sum": files}, f, indent=2)
        f.write("\n")


if __name__ == "__main__":
    main()
