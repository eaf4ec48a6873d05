#!/usr/bin/env python3
# SPDX-License-Identifier: Apache-2.0
"""The JPEG test set of hash_bench.py --set: baseline and progressive JPEGs
of several sizes, made from the photos in tests/data/photos (benign photos
from Debian packages), never committed.

Each source photo is scaled by ImageMagick's `convert` to a pixel area
(`-resize N@`, aspect kept) and written as PPM, then encoded by cjpeg
(libjpeg-turbo) twice: baseline (`-quality 85`, cjpeg's default Huffman
tables, as cameras and most web encoders write) and progressive
(`-quality 85 -progressive`).  The same inputs and tools give the same
files; a folder that already holds the set is left as it is.

Classes (name: area, count per kind): small 0.1-0.5 MP (web size, 12 files
a kind), 1, 2, 5, 12 and 20 MP (4 files a kind).  Files are
DIR/<kind>-<class>/<source>.jpg with kind = base | prog.

  bench/make_jpeg_set.py [DIR]        (default build/jpegset)
"""
import os, subprocess, sys

PHOTOS = "tests/data/photos"
# the largest photos (8-16 MP), the sources of every size
BIG = ["0001.jpg", "0002.jpg", "0005.jpg", "0011.jpg", "0012.jpg", "0013.jpg"]
CLASSES = [("1mp", 1_000_000), ("2mp", 2_000_000), ("5mp", 5_000_000),
           ("12mp", 12_000_000), ("20mp", 20_000_000)]
KINDS = [("base", []), ("prog", ["-progressive"])]

def small_sources():
    """12 photos for the web-size class, areas 0.1 to 0.5 MP."""
    names = sorted(f for f in os.listdir(PHOTOS) if f.endswith(".jpg"))
    step = max(1, len(names) // 12)
    out = []
    for i, f in enumerate(names[::step][:12]):
        out.append((f, 100_000 + (i * 400_000) // 11))
    return out

def encode(src, area, outs):
    ppm = subprocess.run(["convert", os.path.join(PHOTOS, src) + "[0]",
                          "-auto-orient", "-resize", f"{area}@", "ppm:-"],
                         check=True, capture_output=True).stdout
    for path, extra in outs:
        with open(path + ".tmp", "wb") as o:
            subprocess.run(["cjpeg", "-quality", "85"] + extra, input=ppm,
                           stdout=o, check=True)
        os.replace(path + ".tmp", path)

def make(d):
    jobs = [("small", s, a) for s, a in small_sources()]
    jobs += [(c, s, a) for c, a in CLASSES for s in BIG[:4]]
    for cls, src, area in jobs:
        outs = []
        for kind, extra in KINDS:
            sub = os.path.join(d, f"{kind}-{cls}")
            os.makedirs(sub, exist_ok=True)
            p = os.path.join(sub, src.replace(".png", ".jpg"))
            if not os.path.exists(p):
                outs.append((p, extra))
        if outs:
            encode(src, area, outs)
    return d

def classes(d):
    """{(kind, class): [paths]} of a made set, in a fixed order."""
    out = {}
    for kind, _ in KINDS:
        for cls in ["small"] + [c for c, _ in CLASSES]:
            sub = os.path.join(d, f"{kind}-{cls}")
            out[(kind, cls)] = sorted(os.path.join(sub, f)
                                      for f in os.listdir(sub))
    return out

if __name__ == "__main__":
    d = make(sys.argv[1] if len(sys.argv) > 1 else "build/jpegset")
    for (k, c), fs in classes(d).items():
        print(k, c, len(fs))
