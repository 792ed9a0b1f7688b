#!/usr/bin/python3
"""Golden values for `compression` (issue #23), computed independently of the TypeScript core: JPEGs written by
libjpeg-turbo's cjpeg (Debian's libjpeg-turbo-progs) and Pillow, their quality, sampling factors and interlace as
ImageMagick's identify (Debian's imagemagick 6.9.11) reports them, and their blockiness by numpy on the pixels
Pillow decodes (libjpeg-turbo, accurate integer IDCT, fancy upsampling; the sha256 of those pixels is recorded
for the test to check that sharp decodes the same ones).

    node container/test/golden-v3/compression/make_sharp_fixtures.ts  # two of the fixtures, once
    /usr/bin/python3 container/test/golden-v3/compression/make_golden.py
    npx biome format --write container/test/golden-v3/compression/values.json

Writes the fixtures (jpeg/ and sweep.jpegs, about 85 KB) and values.json beside this script, in a few seconds. The
sources are generated (a seeded smooth scene with edges and noise) and the reference photos of ../shared.
"""
import hashlib
import json
import os
import re
import subprocess
import sys

import numpy as np
from PIL import Image

HERE = os.path.dirname(os.path.abspath(__file__))
REFERENCE = os.path.normpath(os.path.join(HERE, "../../../../../shared/fixtures/reference"))
TMP = "/tmp/golden-v3-compression"


def scene(width, height, seed):
    """A photo-like RGB scene: smooth gradients, a few hard edges and mild noise."""
    rng = np.random.default_rng(seed)
    y, x = np.mgrid[0:height, 0:width].astype(np.float64)
    r = 128 + 90 * np.sin(x / 9.0 + seed) * np.cos(y / 13.0)
    g = 60 + 150 * (x / width) + 30 * ((x + 2 * y) % 23 < 11)
    b = 200 - 120 * (y / height) + 40 * (((x - 20) ** 2 + (y - 30) ** 2) < 300)
    rgb = np.stack([r, g, b], axis=-1) + rng.normal(0, 6, (height, width, 3))
    return np.clip(np.round(rgb), 0, 255).astype(np.uint8)


def identify(path):
    out = subprocess.run(
        ["identify", "-format", "%Q|%[jpeg:sampling-factor]|%[interlace]", path],
        check=True, capture_output=True, text=True,
    ).stdout
    quality, sampling, interlace = out.split("|")
    return int(quality), sampling, interlace


def identify_estimate(path):
    """ImageMagick's estimate as its coder log has it ("Quality: 28 (approximate)"): %Q prints 92 instead when
    the estimate is below 51 and approximate."""
    log = subprocess.run(["identify", "-debug", "coder", "-format", "", path], capture_output=True, text=True).stderr
    found = re.findall(r"Quality: (\d+) \((exact|approximate)\)", log)
    return {"quality": int(found[-1][0]), "kind": found[-1][1]} if found else None


def subsampling_name(sampling):
    """identify's sampling factors (e.g. 2x2,1x1,1x1) named as J:a:b, from the ratios of Y's to Cb's."""
    factors = [tuple(int(v) for v in f.split("x")) for f in sampling.split(",")]
    if len(factors) == 1:
        return "4:0:0"
    (yh, yv), (bh, bv), (rh, rv) = factors[:3]
    if (bh, bv) != (rh, rv) or yh % bh or yv % bv:
        return "other"
    return {(1, 1): "4:4:4", (2, 1): "4:2:2", (2, 2): "4:2:0", (1, 2): "4:4:0", (4, 1): "4:1:1"}.get(
        (yh // bh, yv // bv), "other")


def blockiness(path):
    """Mean |luma step| across 8×8 block boundaries over that inside blocks, both directions pooled."""
    im = Image.open(path)
    im.draft(None, None)  # full size
    px = np.asarray(im.convert("L") if im.mode == "L" else im.convert("RGB")).astype(np.int64)
    luma = px * 10000 if px.ndim == 2 else px[..., 0] * 2126 + px[..., 1] * 7152 + px[..., 2] * 722
    h, w = luma.shape
    digest = hashlib.sha256(np.ascontiguousarray(px.astype(np.uint8)).tobytes()).hexdigest()
    if w < 16 or h < 16:
        return None, digest
    dx = np.abs(np.diff(luma, axis=1))  # dx[:, x - 1] is the step between columns x - 1 and x
    dy = np.abs(np.diff(luma, axis=0))
    across = (np.arange(1, w) % 8) == 0
    down = (np.arange(1, h) % 8) == 0
    boundary = np.concatenate([dx[:, across].ravel(), dy[down, :].ravel()])
    interior = np.concatenate([dx[:, ~across].ravel(), dy[~down, :].ravel()])
    if interior.sum() == 0:
        return None, digest
    return float(boundary.mean() / interior.mean()), digest


def tables(path):
    """The quantisation tables as Pillow (libjpeg) reads them: slot → 64 values."""
    with Image.open(path) as im:
        return {slot: list(values) for slot, values in im.quantization.items()}


def libjpeg_tables(colour, grey):
    """The tables cjpeg writes at each quality 1–100, with and without -baseline, colour and grey."""
    found = []
    for q in range(1, 101):
        for baseline in (["-baseline"], []):
            for source, extra in ((colour, []), (grey, ["-grayscale"])):
                out = os.path.join(TMP, "table.jpg")
                cjpeg(source, out, "-quality", str(q), *baseline, *extra)
                found.append((q, tables(out)))
    return found


def standard_quality(path, standard):
    """The quality at which the file's tables are exactly cjpeg's, or None."""
    mine = tables(path)
    return next((q for q, t in standard if t == mine), None)


def cjpeg(source, out, *args):
    with open(out, "wb") as f:
        subprocess.run(["cjpeg", *args, source], check=True, stdout=f)
    return "cjpeg " + " ".join(args)


def main():
    os.makedirs(TMP, exist_ok=True)
    os.makedirs(os.path.join(HERE, "jpeg"), exist_ok=True)
    colour = os.path.join(TMP, "scene.ppm")
    grey = os.path.join(TMP, "scene.pgm")
    Image.fromarray(scene(64, 64, 7)).save(colour)
    Image.fromarray(scene(64, 64, 7)).convert("L").save(grey)
    small = os.path.join(TMP, "small.ppm")
    small_grey = os.path.join(TMP, "small.pgm")
    Image.fromarray(scene(16, 16, 3)).save(small)
    Image.fromarray(scene(8, 8, 3)).convert("L").save(small_grey)

    # A custom table pair for cjpeg -qtables (natural order, one table per 8 lines): a ramp and a flat table.
    qtables = os.path.join(TMP, "custom.txt")
    with open(qtables, "w") as f:
        for r in range(8):
            f.write(" ".join(str(4 + 3 * (r + c)) for c in range(8)) + "\n")
        for r in range(8):
            f.write(" ".join("24" for c in range(8)) + "\n")

    cases = []  # (name, made_with, libjpeg_quality or None)
    for q in (10, 25, 50, 75, 90, 95):
        cases.append((f"q{q}-420.jpg", cjpeg(colour, os.path.join(HERE, "jpeg", f"q{q}-420.jpg"), "-quality", str(q), "-baseline"), q))
    for sample, name in (("1x1", "444"), ("2x1", "422"), ("1x2", "440"), ("4x1", "411")):
        file = f"q75-{name}.jpg"
        cases.append((file, cjpeg(colour, os.path.join(HERE, "jpeg", file), "-quality", "75", "-sample", sample), 75))
    cases.append(("q75-progressive.jpg", cjpeg(colour, os.path.join(HERE, "jpeg", "q75-progressive.jpg"), "-quality", "75", "-progressive"), 75))
    cases.append(("q75-arithmetic.jpg", cjpeg(colour, os.path.join(HERE, "jpeg", "q75-arithmetic.jpg"), "-quality", "75", "-arithmetic"), 75))
    cases.append(("q75-grey.jpg", cjpeg(grey, os.path.join(HERE, "jpeg", "q75-grey.jpg"), "-quality", "75", "-grayscale"), 75))
    cases.append(("q40-grey.jpg", cjpeg(grey, os.path.join(HERE, "jpeg", "q40-grey.jpg"), "-quality", "40", "-grayscale"), 40))
    # libjpeg's 16-bit tables (no -baseline): the same Annex K scaling, values above 255.
    cases.append(("q5-16bit.jpg", cjpeg(colour, os.path.join(HERE, "jpeg", "q5-16bit.jpg"), "-quality", "5"), 5))
    # Not one standard quality: a quality per table, custom tables, Pillow's Photoshop-like presets.
    cases.append(("q90-q40.jpg", cjpeg(colour, os.path.join(HERE, "jpeg", "q90-q40.jpg"), "-quality", "90,40"), None))
    cases.append(("custom-tables.jpg", cjpeg(colour, os.path.join(HERE, "jpeg", "custom-tables.jpg"), "-qtables", qtables, "-quality", "50"), None))
    for preset in ("web_low", "web_high", "maximum"):
        file = f"pillow-{preset}.jpg"
        Image.open(colour).save(os.path.join(HERE, "jpeg", file), quality=preset)
        cases.append((file, f"Pillow save(quality='{preset}')", None))

    # mozjpeg's tables (N. Robidoux's, not libjpeg's), written by sharp: make_sharp_fixtures.ts made them.
    for q in (50, 80):
        cases.append((f"sharp-mozjpeg-q{q}.jpg", f"sharp .jpeg({{quality: {q}, mozjpeg: true}})", None))

    values = {"images": [], "sweep": []}
    standard = libjpeg_tables(colour, grey)
    for name, made_with, q in cases:
        path = os.path.join(HERE, "jpeg", name)
        quality, sampling, interlace = identify(path)
        b, digest = blockiness(path)
        values["images"].append({
            "file": f"jpeg/{name}", "made_with": made_with, "libjpeg_quality": q,
            "identify_quality": quality, "identify_estimate": identify_estimate(path), "identify_sampling_factor": sampling,
            "subsampling": subsampling_name(sampling), "progressive": interlace != "None",
            "standard_quality": standard_quality(path, standard), "blockiness": b, "decoded_sha256": digest,
        })
    for name in ("sample1-536x354-grayscale.jpg", "sample2-536x354.jpg"):
        path = os.path.join(REFERENCE, name)
        quality, sampling, interlace = identify(path)
        b, digest = blockiness(path)
        values["images"].append({
            "file": f"reference:{name}", "made_with": "the reference photo", "libjpeg_quality": None,
            "identify_quality": quality, "identify_estimate": identify_estimate(path), "identify_sampling_factor": sampling,
            "subsampling": subsampling_name(sampling), "progressive": interlace != "None",
            "standard_quality": standard_quality(path, standard), "blockiness": b, "decoded_sha256": digest,
        })
    # Every standard quality, colour (tables 0 and 1) and grey (table 0 alone), baseline tables as libjpeg's
    # jpeg_set_quality(…, TRUE) writes them (libvips and sharp do; cjpeg with -baseline): 200 small JPEGs, one
    # after the other in sweep.jpegs (one file rather than 200), each at its offset.
    sweep = bytearray()
    for q in range(1, 101):
        for kind, source, extra in (("colour", small, []), ("grey", small_grey, ["-grayscale"])):
            path = os.path.join(TMP, f"{kind}{q}.jpg")
            cjpeg(source, path, "-quality", str(q), "-baseline", "-optimize", *extra)
            quality, sampling, _ = identify(path)
            data = open(path, "rb").read()
            values["sweep"].append({"kind": kind, "offset": len(sweep), "length": len(data), "libjpeg_quality": q,
                                    "identify_quality": quality, "identify_sampling_factor": sampling})
            sweep += data
            assert standard_quality(path, standard) == q
    with open(os.path.join(HERE, "sweep.jpegs"), "wb") as f:
        f.write(sweep)
    with open(os.path.join(HERE, "values.json"), "w") as f:
        json.dump(values, f, indent=2)
        f.write("\n")


if __name__ == "__main__":
    sys.exit(main())
