#!/usr/bin/python3
"""Golden values for `crop` (issue #23), computed independently of the TypeScript core: scipy's Sobel filter on
numpy arrays and a brute-force search over every offset, on the exact analysed pixels that export.ts writes.

    npx -y -p node@24 -- node --import tsx container/test/golden-v3/crop/export.ts /tmp/golden-v3-crop
    /usr/bin/python3 container/test/golden-v3/crop/make_golden.py /tmp/golden-v3-crop
    npx -y -p node@24 -- npx biome format --write container/test/golden-v3/crop/values.json

Writes values.json beside this script (a few seconds). The definition is docs/METRICS.md's:

- luma ×10 000 = 2126 R + 7152 G + 722 B (10 000 × grey for grey images), exact integers;
- the binned luma: sums over 2×2 bins (numpy's reshape and sum), an odd last column or row replicated first;
- Gx, Gy: scipy.ndimage.sobel of the binned luma along each axis, mode="nearest" (edges replicated, OpenCV's
  BORDER_REPLICATE); a bin's detail: |Gx| + |Gy| (an exact integer);
- each analysed pixel takes its bin's detail (numpy's repeat, cropped back to the analysed size) × its alpha (1
  for every pixel of an opaque image);
- the box of ratio rw:rh in the oriented W×H image: the full height and round(H·rw/rh) wide (halves up) when
  W·rh > H·rw, else the full width and round(W·rh/rw) high; at least 1 px;
- on the analysed w×h grid, its extent along the free axis is round(box·w/W) (or ·h/H), at least 1 and at most
  the side; every integer offset is tried, summing the detail inside directly (no prefix sums); the largest sum
  wins, ties to the least |2·offset + window − side|, then the lower offset;
- the oriented offset: round(((2·offset + window)·W − box·w) / (2·w)), halves up, clamped into [0, W − box];
- detail_percent: the window's sum / the image's sum × 100, 1 decimal, halves up; with no detail at all, the
  centred box (offset round((W − box) / 2), halves up) and its share of the area.
"""
import hashlib
import json
import math
import os
import sys
from fractions import Fraction

import numpy as np
from scipy import ndimage

HERE = os.path.dirname(os.path.abspath(__file__))


def round_half_up(q):
    """An exact rational rounded to an integer, halves up."""
    return math.floor(Fraction(q) + Fraction(1, 2))


def detail_map(pixels):
    """The per-pixel detail (an int64 array, height × width)."""
    h, w, channels = pixels.shape
    p = pixels.astype(np.int64)
    if channels >= 3:
        luma = 2126 * p[:, :, 0] + 7152 * p[:, :, 1] + 722 * p[:, :, 2]
    else:
        luma = 10000 * p[:, :, 0]
    if w % 2:
        luma = np.concatenate([luma, luma[:, -1:]], axis=1)
    if h % 2:
        luma = np.concatenate([luma, luma[-1:, :]], axis=0)
    bins = luma.reshape(luma.shape[0] // 2, 2, luma.shape[1] // 2, 2).sum(axis=(1, 3))
    b = bins.astype(np.float64)  # every value and every kernel sum below 2^53: exact
    gx = ndimage.sobel(b, axis=1, mode="nearest")
    gy = ndimage.sobel(b, axis=0, mode="nearest")
    assert np.all(gx == np.round(gx)) and np.all(gy == np.round(gy))
    d = np.abs(gx.astype(np.int64)) + np.abs(gy.astype(np.int64))
    m = np.repeat(np.repeat(d, 2, axis=0), 2, axis=1)[:h, :w]
    if channels in (2, 4):
        m = m * p[:, :, channels - 1]
    return m


def ratio_sides(text):
    w, h = text.split(":")
    return Fraction(w), Fraction(h)


def box_size(W, H, rw, rh):
    if W * rh > H * rw:
        return min(W, max(1, round_half_up(H * rw / rh))), H
    return W, min(H, max(1, round_half_up(W * rh / rw)))


def best_box(detail, W, H, ratio):
    h, w = detail.shape
    rw, rh = ratio_sides(ratio)
    bw, bh = box_size(W, H, rw, rh)
    total = int(detail.sum())
    if total == 0:
        left = round_half_up(Fraction(W - bw, 2))
        top = round_half_up(Fraction(H - bh, 2))
        share = Fraction(bw * bh * 100, W * H)
        return {"left": left, "top": top, "width": bw, "height": bh, "share": share, "offset": None, "window": None}
    horizontal = bw < W
    side = w if horizontal else h
    size = W if horizontal else H
    box = bw if horizontal else bh
    window = min(side, max(1, round_half_up(Fraction(box * side, size))))
    best = None
    for offset in range(side - window + 1):
        part = detail[:, offset : offset + window] if horizontal else detail[offset : offset + window, :]
        s = int(part.sum())
        key = (-s, abs(2 * offset + window - side), offset)
        if best is None or key < best[0]:
            best = (key, offset, s)
    _, offset, s = best
    if bw == W and bh == H:
        start = 0
    else:
        start = round_half_up(Fraction((2 * offset + window) * size - box * side, 2 * side))
        start = min(size - box, max(0, start))
    return {
        "left": start if horizontal else 0,
        "top": 0 if horizontal else start,
        "width": bw,
        "height": bh,
        "share": Fraction(s * 100, total),
        "offset": offset,
        "window": window,
    }


def main():
    src = sys.argv[1] if len(sys.argv) > 1 else "/tmp/golden-v3-crop"
    manifest = json.load(open(os.path.join(src, "manifest.json")))
    ratios = manifest["ratios"]
    out = {"ratios": ratios, "images": {}}
    for name, info in manifest["images"].items():
        raw = open(os.path.join(src, name + ".raw"), "rb").read()
        assert hashlib.sha256(raw).hexdigest() == info["sha256"], name
        pixels = np.frombuffer(raw, dtype=np.uint8).reshape(info["height"], info["width"], info["channels"])
        detail = detail_map(pixels)
        W, H = info["oriented_width"], info["oriented_height"]
        boxes = {}
        for ratio in ratios:
            b = best_box(detail, W, H, ratio)
            share = b.pop("share")
            b["detail_percent"] = round_half_up(share * 10) / 10
            b["share_exact"] = float(share)
            boxes[ratio] = b
        out["images"][name] = {
            "width": info["width"],
            "height": info["height"],
            "channels": info["channels"],
            "oriented": [W, H],
            "sha256": info["sha256"],
            "total_detail": int(detail.sum()),
            "column_sums": [int(v) for v in detail.sum(axis=0)][:8],
            "boxes": boxes,
        }
        print(name, {r: (b["left"], b["top"], b["width"], b["height"], b["detail_percent"]) for r, b in boxes.items()})
    with open(os.path.join(HERE, "values.json"), "w") as f:
        json.dump(out, f, indent=2)
        f.write("\n")


if __name__ == "__main__":
    main()
