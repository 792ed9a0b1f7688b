#!/usr/bin/python3
"""Golden values of the `metadata` insight (issue #23): small files written by ImageMagick, img2webp and exiftool,
and how exiftool (and ImageMagick's identify, webpmux) read them back, independently of exifr and sharp.

    /usr/bin/python3 container/test/golden-v3/metadata/make_golden.py
    npx biome format --write container/test/golden-v3/metadata/values.json

Writes the files into files/ and values.json beside this script (a few seconds). Needs Debian's imagemagick,
libimage-exiftool-perl, webp (img2webp, webpmux), python3-pil (LittleCMS's own v4 sRGB profile) and ghostscript's
profiles in /usr/share/color/icc/ghostscript. exiftool's dates carry the file system's times: only the tags read
below are recorded. The files are rewritten deterministically, but exiftool and libwebp versions may change bytes:
the test reads the committed files, never regenerated ones.
"""
import json
import os
import re
import shutil
import subprocess
import sys

from PIL import ImageCms

HERE = os.path.dirname(os.path.abspath(__file__))
FILES = os.path.join(HERE, "files")
CONVERT = "/usr/bin/convert"  # ImageMagick's own (not a wrapper earlier in PATH)
ICC_DIR = "/usr/share/color/icc/ghostscript"
TMP = os.path.join(HERE, ".tmp")

# Every tag the metric reads, as exiftool names them (-n: numbers as stored, not printed).
TAGS = [
    "Make", "Model", "LensModel", "DateTimeOriginal", "OffsetTimeOriginal", "ExposureTime", "FNumber", "ISO",
    "FocalLength", "Software", "GPSLatitude", "GPSLongitude", "SerialNumber", "LensSerialNumber",
    "CameraSerialNumber", "Artist", "OwnerName", "XMP-dc:Creator", "IPTC:By-line", "ImageUniqueID", "Orientation",
    "XResolution", "YResolution", "ResolutionUnit", "ProfileDescription", "ProfileVersion", "AnimationIterations",
    "AnimationLoopCount", "FrameCount", "BitDepth", "BitsPerSample", "BitsPerPixel", "ColorComponents",
    "ImagePixelDepth",
]

# The camera facts written into the photographs (exiftool's names and values).
CAMERA = [
    "-Make=Examplecam", "-Model=EX-1 Mark II", "-LensModel=EX 35mm F1.4", "-DateTimeOriginal=2024:05:06 07:08:09",
    "-OffsetTimeOriginal=+02:00", "-ExposureTime=1/250", "-FNumber=2.8", "-ISO=400", "-FocalLength=35",
    "-Software=Example Raw 3.1",
]


def run(*args):
    return subprocess.run(args, check=True, capture_output=True, text=True).stdout


def exiftool(path, *args):
    run("exiftool", "-q", "-overwrite_original", *args, path)


def gradient(name, size="24x16", spec="gradient:#c04020-#2060d0", extra=("-depth", "8")):
    """A small gradient written by ImageMagick (8 bits unless told), without its own date or comment chunks."""
    path = os.path.join(FILES, name)
    run(CONVERT, "-size", size, spec, *extra, "-strip", "-define", "png:exclude-chunks=date,time", path)
    return path


def build():
    shutil.rmtree(FILES, ignore_errors=True)
    os.makedirs(FILES)
    os.makedirs(TMP, exist_ok=True)
    v4 = os.path.join(TMP, "lcms-srgb-v4.icc")
    with open(v4, "wb") as f:
        icc = bytearray(ImageCms.ImageCmsProfile(ImageCms.createProfile("sRGB")).tobytes())  # LittleCMS 2: v4, mluc
        icc[24:36] = bytes([0x07, 0xE8, 0, 1, 0, 1, 0, 0, 0, 0, 0, 0])  # its creation date: 2024-01-01, not today
        icc[84:100] = bytes(16)  # and so no profile ID (an MD5 of the bytes; zero: not computed)
        f.write(icc)

    # A photograph that reveals everything: camera facts, GPS, serial numbers, owners, unique id, v2 profile, 300 dpi.
    p = gradient("camera.jpg", extra=("-depth", "8", "-quality", "80"))
    exiftool(p, *CAMERA, "-GPSLatitude=48.8584", "-GPSLatitudeRef=N", "-GPSLongitude=2.2945", "-GPSLongitudeRef=E",
             "-SerialNumber=SN-000123", "-LensSerialNumber=LSN-77", "-Artist=Jane Doe", "-OwnerName=Jane Doe",
             "-ImageUniqueID=0123456789abcdef0123456789abcdef", "-XResolution=300", "-YResolution=300",
             "-ResolutionUnit=inches", "-Orientation#=6", f"-ICC_Profile<={ICC_DIR}/a98.icc")

    # The same facts without offset, in a PNG eXIf chunk; the owner only in XMP dc:creator; a v4 (mluc) profile.
    p = gradient("camera.png")
    exiftool(p, *[a for a in CAMERA if not a.startswith("-OffsetTime")], "-XMP-dc:Creator=Jane Doe",
             f"-ICC_Profile<={v4}")

    # WebP: EXIF and ICCP chunks (exifr does not read WebP: the metric reads the EXIF block libvips returns).
    p = gradient("serial.webp", extra=("-depth", "8", "-define", "webp:lossless=true"))
    exiftool(p, "-Make=Examplecam", "-Model=EX-2", "-LensSerialNumber=LSN-88", "-XResolution=72", "-YResolution=72",
             "-ResolutionUnit=inches", f"-ICC_Profile<={ICC_DIR}/srgb.icc")

    # JPEG whose only owner is IPTC By-line, and only Software in EXIF; 118 dots per cm.
    p = gradient("iptc.jpg", extra=("-depth", "8", "-quality", "80", "-units", "PixelsPerCentimeter", "-density", "118"))
    exiftool(p, "-Software=Example Editor", "-IPTC:By-line=Jane Doe")

    # AVIF with an ImageUniqueID and a latitude but no longitude (not a position); a grey v4 profile.
    p = gradient("unique.avif")
    exiftool(p, "-ImageUniqueID=fedcba9876543210fedcba9876543210", "-GPSLatitude=10", "-GPSLatitudeRef=S",
             "-DateTimeOriginal=2023:12:31 23:59:59")

    # Nothing at all.
    gradient("bare.png")
    # Only a resolution, in PNG's pHYs chunk (pixels per metre: 11811 for 300 dpi).
    p = gradient("dpi.png")
    run(CONVERT, p, "-units", "PixelsPerInch", "-density", "300", "-define", "png:exclude-chunks=date,time", p)
    # Alpha: a real gradient of transparency, and an alpha channel that is opaque everywhere.
    gradient("alpha-used.png", spec="gradient:#ff000000-#0000ffff", extra=("-depth", "8"))
    gradient("alpha-opaque.png", extra=("-depth", "8", "-alpha", "on", "-define", "png:color-type=6"))
    # 16-bit grey, and CMYK.
    gradient("grey16.png", spec="gradient:black-white", extra=("-colorspace", "Gray", "-depth", "16", "-define", "png:bit-depth=16", "-define", "png:color-type=0"))
    gradient("cmyk.jpg", extra=("-depth", "8", "-colorspace", "CMYK", "-quality", "80"))

    # Animations: a GIF (ImageMagick's -loop 2 stores Netscape's repeat count 1: it plays twice) and a WebP (loop 4) with known delays.
    frames = []
    for i, colour in enumerate(["#c04020", "#20a040", "#2060d0"]):
        frame = os.path.join(TMP, f"frame{i}.png")
        run(CONVERT, "-size", "16x12", f"xc:{colour}", "-strip", frame)
        frames.append(frame)
    run(CONVERT, "-delay", "10", frames[0], "-delay", "25", frames[1], "-delay", "4", frames[2], "-loop", "2",
        os.path.join(FILES, "anim.gif"))
    run("img2webp", "-loop", "4", "-lossless", "-d", "100", frames[0], "-d", "250", frames[1], "-d", "40", frames[2],
        "-o", os.path.join(FILES, "anim.webp"))
    run(CONVERT, "-delay", "0", frames[0], "-delay", "7", frames[1], "-loop", "0", os.path.join(FILES, "forever.gif"))
    shutil.rmtree(TMP)


def identify(path):
    """ImageMagick's colour space, depth, resolution, opacity and channels of the first frame; its delays (1/100 s)
    of every frame."""
    out = run("identify", "-format", "%[colorspace] %z %x %y %U %T %[opaque] %[channels]\n", path).strip().splitlines()
    space, depth, xres, yres, units, _, opaque, channels = out[0].split(" ")
    return {"colorspace": space, "depth": int(depth), "x": float(xres), "y": float(yres), "units": units,
            "opaque": opaque == "true", "channels": channels, "delays_cs": [int(line.split(" ")[5]) for line in out]}


def has_exif(path):
    """Whether exiftool finds an EXIF block (any tag of its EXIF group)."""
    return len(json.loads(run("exiftool", "-j", "-EXIF:All", path))[0]) > 1


def webpmux(path):
    """libwebp's own reading of an animated WebP: loop count and each frame's duration (ms)."""
    out = run("webpmux", "-info", path)
    loop = int(re.search(r"Loop Count\s*:\s*(\d+)", out).group(1))
    durations = [int(m.group(1)) for m in re.finditer(r"^\s*\d+:\s+\d+\s+\d+\s+\w+\s+-?\d+\s+-?\d+\s+(\d+)", out, re.M)]
    return {"loop": loop, "durations_ms": durations}


def main():
    build()
    names = sorted(os.listdir(FILES))
    read = json.loads(run("exiftool", "-j", "-n", "-a", *[f"-{t}" for t in TAGS], *[os.path.join(FILES, n) for n in names]))
    values = {}
    for name, tags in zip(names, read):
        path = os.path.join(FILES, name)
        tags.pop("SourceFile")
        entry = {"bytes": os.path.getsize(path), "has_exif": has_exif(path), "exiftool": tags, "identify": identify(path)}
        if name.endswith(".webp") and name.startswith("anim"):
            entry["webpmux"] = webpmux(path)
        values[name] = entry
    versions = {
        "exiftool": run("exiftool", "-ver").strip(),
        "imagemagick": run("identify", "-version").splitlines()[0],
    }
    with open(os.path.join(HERE, "values.json"), "w") as f:
        json.dump({"versions": versions, "files": values}, f, indent=2, ensure_ascii=False)
        f.write("\n")
    print(f"{len(values)} files", file=sys.stderr)


if __name__ == "__main__":
    main()
