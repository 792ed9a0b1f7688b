#!/usr/bin/python3
"""The calibration corpus of the perceptual hash's near-duplicate distance (docs/METRICS.md, `hash`): 36 different
photographs that Debian ships, each normalised to at most 1024 px on its longer side (PNG), and 19 copies of each
made with ImageMagick (Debian's imagemagick 6): re-encoded, resized, cropped, recoloured, rotated, bordered and
watermarked. Nothing of it is committed: this script makes it again, the same each time.

    apt-get install -y python3-skimage imagemagick ukui-wallpapers
    /usr/bin/python3 container/test/golden-v3/hash/make_corpus.py /tmp/hash-corpus
    npx -y -p node@24 -- node --import tsx container/test/golden-v3/hash/hash-corpus.ts /tmp/hash-corpus
    /usr/bin/python3 container/test/golden-v3/hash/calibrate.py

Writes /tmp/hash-corpus/<picture>/<variant>.(png|jpg); about 3 minutes on 2 cores.
"""
import os
import subprocess
import sys
from concurrent.futures import ThreadPoolExecutor

SKIMAGE = "/usr/lib/python3/dist-packages/skimage/data/"
WALLPAPERS = "/usr/share/backgrounds/"
REFERENCE = os.path.join(os.path.dirname(os.path.abspath(__file__)), "../../../../../shared/fixtures/reference/")

# Photographs only (no drawings, no synthetic gradients); one of each stereo pair; sample1 is sample2 in grey.
PICTURES = {
    "astronaut": SKIMAGE + "astronaut.png",
    "brick": SKIMAGE + "brick.png",
    "camera": SKIMAGE + "camera.png",
    "cell": SKIMAGE + "cell.png",
    "chelsea": SKIMAGE + "chelsea.png",
    "clock_motion": SKIMAGE + "clock_motion.png",
    "coffee": SKIMAGE + "coffee.png",
    "coins": SKIMAGE + "coins.png",
    "grass": SKIMAGE + "grass.png",
    "gravel": SKIMAGE + "gravel.png",
    "hubble": SKIMAGE + "hubble_deep_field.jpg",
    "ihc": SKIMAGE + "ihc.png",
    "microaneurysms": SKIMAGE + "microaneurysms.png",
    "moon": SKIMAGE + "moon.png",
    "motorcycle": SKIMAGE + "motorcycle_left.png",
    "page": SKIMAGE + "page.png",
    "retina": SKIMAGE + "retina.jpg",
    "rocket": SKIMAGE + "rocket.jpg",
    "text": SKIMAGE + "text.png",
    "bridge": WALLPAPERS + "Bridge_by_Sander_Klootwijk.jpg",
    "dragonfly": WALLPAPERS + "Dragonfly_by_Bolly.jpg",
    "kleiber": WALLPAPERS + "Kleiber_by_Lukas_Baubkus.jpg",
    "fig": WALLPAPERS + "Picture_0B_by_freespace.jpg",
    "brushes": WALLPAPERS + "Picture_1A_by_freespace.jpg",
    "wine": WALLPAPERS + "Wine_by_Jakkub_Mede.jpg",
    "aitzgorri": WALLPAPERS + "aitzgorri_by_Aitzol_Berasategi.jpg",
    "analogpattern": WALLPAPERS + "analogpattern_by_Peter_Nerlich.jpg",
    "free": WALLPAPERS + "free_by_Peter_Nerlich.jpg",
    "friends": WALLPAPERS + "friends_by_Aitzol_Berasategi.jpg",
    "greentock": WALLPAPERS + "greentock_by_Peter_Nerlich.jpg",
    "life": WALLPAPERS + "life_by_Aitzol_Berasategi.jpg",
    "picosdeeuropa": WALLPAPERS + "picosdeeuropa_by_Aitzol_Berasategi.jpg",
    "seeding": WALLPAPERS + "seeding_by_Clements_Engelhardt.jpg",
    "sunset": WALLPAPERS + "sunset_by_Aitzol_Berasategi.jpg",
    "sample2": REFERENCE + "sample2-536x354.jpg",
    "sample3": REFERENCE + "sample3-color-5000x3330.jpg",
}

# Each variant: its file extension and ImageMagick's operators between the original and the output.
VARIANTS = {
    "jpeg_q30": ("jpg", ["-quality", "30"]),
    "jpeg_q50": ("jpg", ["-quality", "50"]),
    "jpeg_q75": ("jpg", ["-quality", "75"]),
    "resize_50": ("png", ["-resize", "50%"]),
    "resize_25": ("png", ["-resize", "25%"]),
    "resize_50_jpeg_q75": ("jpg", ["-resize", "50%", "-quality", "75"]),
    # p % of the width and of the height cut off, half from each side.
    "crop_2": ("png", ["-gravity", "center", "-crop", "98%x98%+0+0", "+repage"]),
    "crop_5": ("png", ["-gravity", "center", "-crop", "95%x95%+0+0", "+repage"]),
    "crop_10": ("png", ["-gravity", "center", "-crop", "90%x90%+0+0", "+repage"]),
    # 5 % cut off the left and 5 % off the top: the picture shifts as well.
    "crop_5_corner": ("png", ["-gravity", "southeast", "-crop", "95%x95%+0+0", "+repage"]),
    "brightness_+15": ("png", ["-modulate", "115,100,100"]),
    "brightness_-15": ("png", ["-modulate", "85,100,100"]),
    "saturation_+30": ("png", ["-modulate", "100,130,100"]),
    "saturation_-30": ("png", ["-modulate", "100,70,100"]),
    "hue_+36deg": ("png", ["-modulate", "100,100,120"]),
    "greyscale": ("png", ["-colorspace", "Gray"]),
    "rotate_2deg": ("png", ["-background", "white", "-rotate", "2"]),
    "border_5px": ("png", ["-bordercolor", "white", "-border", "5"]),
    "watermark": ("png", ["-gravity", "southeast", "-fill", "white", "-stroke", "black", "-pointsize", "48",
                          "-annotate", "+20+20", "(c) example.com"]),
}

MAX_SIDE_PX = 1024


def run(args):
    subprocess.run(args, check=True, env={**os.environ, "MAGICK_THREAD_LIMIT": "1"})


def make(name, source, out):
    folder = os.path.join(out, name)
    os.makedirs(folder, exist_ok=True)
    original = os.path.join(folder, "original.png")
    if not os.path.exists(original):
        # jpeg:size lets libjpeg shrink the wallpapers on load; -strip drops profiles and dates (the PNG is the same each time).
        run(["convert", "-define", f"jpeg:size={2 * MAX_SIDE_PX}x{2 * MAX_SIDE_PX}", source, "-auto-orient",
             "-colorspace", "sRGB", "-resize", f"{MAX_SIDE_PX}x{MAX_SIDE_PX}>", "-strip",
             "-define", "png:exclude-chunks=date,time", original])
    for variant, (ext, ops) in VARIANTS.items():
        target = os.path.join(folder, f"{variant}.{ext}")
        if not os.path.exists(target):
            run(["convert", original, *ops, "-strip", "-define", "png:exclude-chunks=date,time", target])
    return name


def main():
    out = sys.argv[1] if len(sys.argv) > 1 else "/tmp/hash-corpus"
    with ThreadPoolExecutor(max_workers=2) as pool:
        for name in pool.map(lambda item: make(item[0], item[1], out), PICTURES.items()):
            print(name, flush=True)


if __name__ == "__main__":
    main()
