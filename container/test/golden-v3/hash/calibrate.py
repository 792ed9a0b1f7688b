#!/usr/bin/python3
"""The near-duplicate distance of the perceptual hash, calibrated on the corpus of make_corpus.py, whose hashes
hash-corpus.ts wrote to hashes.csv (by the service's own decode and hash). Reads hashes.csv, writes calibration.json
(the tables, the same-picture distances one by one and the histogram of the different-picture distances) and prints
the tables as markdown for docs/METRICS.md.

    /usr/bin/python3 container/test/golden-v3/hash/calibrate.py

Same picture: each original against each of its variants. Different pictures: the originals pairwise, and every
image (original or variant) against every image of every other picture. The distance chosen is the largest at which
no pair of different pictures is within it (inclusive); the true-positive rate per kind of variant follows.
"""
import csv
import json
import os

import numpy as np
from scipy.stats import norm

HERE = os.path.dirname(os.path.abspath(__file__))


def bits(hex_digits):
    return np.array([(int(d, 16) >> s) & 1 for d in hex_digits for s in (3, 2, 1, 0)], dtype=np.uint8)


def main():
    with open(os.path.join(HERE, "hashes.csv")) as f:
        rows = list(csv.DictReader(f))
    pictures = sorted({r["picture"] for r in rows})
    variants = sorted({r["variant"] for r in rows} - {"original"})
    out = {"pictures": len(pictures), "variants": variants, "images": len(rows)}
    for kind in ("perceptual", "difference"):
        b = np.stack([bits(r[kind]) for r in rows]).astype(np.int32)
        # Hamming distance of every pair: ones(a)·zeros(b) + zeros(a)·ones(b).
        dist = b @ (1 - b).T + (1 - b) @ b.T
        picture = np.array([r["picture"] for r in rows])
        variant = np.array([r["variant"] for r in rows])
        is_original = variant == "original"
        different = picture[:, None] != picture[None, :]
        upper = np.triu(np.ones_like(different), 1).astype(bool)
        across = dist[different & upper]
        originals = dist[different & upper & is_original[:, None] & is_original[None, :]]
        threshold = int(across.min()) - 1
        same = {}
        for v in variants:
            d = []
            for p in pictures:
                i = np.flatnonzero((picture == p) & is_original)[0]
                j = np.flatnonzero((picture == p) & (variant == v))[0]
                d.append(int(dist[i, j]))
            same[v] = d
        all_same = np.concatenate([np.array(d) for d in same.values()])
        histogram = np.bincount(across, minlength=65).tolist()
        out[kind] = {
            "near_duplicate_max_distance": threshold,
            "same": {
                v: {
                    "distances": d,
                    "min": int(np.min(d)),
                    "median": float(np.median(d)),
                    "max": int(np.max(d)),
                    "within": round(float(np.mean(np.array(d) <= threshold)), 4),
                }
                for v, d in same.items()
            },
            "same_all": {"pairs": int(all_same.size), "within": round(float(np.mean(all_same <= threshold)), 4)},
            "different_originals": {
                "pairs": int(originals.size),
                "min": int(originals.min()),
                "p5": float(np.percentile(originals, 5)),
                "median": float(np.median(originals)),
            },
            "different_all": {
                "pairs": int(across.size),
                "min": int(across.min()),
                "p5": float(np.percentile(across, 5)),
                "median": float(np.median(across)),
                "histogram": histogram,
            },
            # The different pictures' distances are close to normal: its tail estimates the rate at which two
            # different photographs fall within a distance, beyond what 36 pictures can show.
            "normal_fit": {
                "mean": round(float(across.mean()), 3),
                "sd": round(float(across.std()), 3),
                "rate_within": float("%.2g" % norm.cdf((threshold + 0.5 - across.mean()) / across.std())),
                "pairs_of_1000_images": 1000 * 999 // 2,
            },
            # What a stricter or more lenient distance gives: the different pairs within it, and the copies found.
            "trade_off": [
                {
                    "distance": t,
                    "different_within": int(np.sum(across <= t)),
                    "same_within": round(float(np.mean(all_same <= t)), 4),
                }
                for t in range(threshold - 5, threshold + 7)
            ],
        }
    with open(os.path.join(HERE, "calibration.json"), "w") as f:
        json.dump(out, f, indent=1)
        f.write("\n")
    for kind in ("perceptual", "difference"):
        k = out[kind]
        t = k["near_duplicate_max_distance"]
        print(f"\n### {kind}: within {t} bits\n")
        print(f"| variant (of {out['pictures']} pictures) | min | median | max | within {t} |")
        print("| --- | ---: | ---: | ---: | ---: |")
        for v in variants:
            s = k["same"][v]
            print(f"| {v} | {s['min']} | {s['median']:g} | {s['max']} | {100 * s['within']:.0f} % |")
        print(f"| all {k['same_all']['pairs']} copies | | | | {100 * k['same_all']['within']:.1f} % |")
        print("\n| different pictures | pairs | min | 5th percentile | median |")
        print("| --- | ---: | ---: | ---: | ---: |")
        for name, key in (("originals pairwise", "different_originals"), ("all images across pictures", "different_all")):
            d = k[key]
            print(f"| {name} | {d['pairs']} | {d['min']} | {d['p5']:g} | {d['median']:g} |")
        fit = k["normal_fit"]
        print(f"\nNormal fit of the different pairs: mean {fit['mean']}, sd {fit['sd']}; rate within {t}: {fit['rate_within']:g}"
              f" per pair, {fit['rate_within'] * fit['pairs_of_1000_images']:.1f} of the {fit['pairs_of_1000_images']} pairs of 1000 images")
        print("\n| distance | different pairs within | copies within |")
        print("| ---: | ---: | ---: |")
        for row in k["trade_off"]:
            print(f"| {row['distance']} | {row['different_within']} | {100 * row['same_within']:.1f} % |")


if __name__ == "__main__":
    main()
