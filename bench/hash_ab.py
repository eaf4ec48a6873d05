#!/usr/bin/env python3
# SPDX-License-Identifier: Apache-2.0
"""`vigil hash` of two builds side by side in one run (before/after).

Sets: the JPEGs of at least 1 MP in tests/data/photos (as hash_bench.py),
every photo there (JPEG, PNG, WebP), and, with --web DIR, small web JPEGs:
DIR is filled (if empty) with 200 JPEGs of 300-800 px made from the photos
by ImageMagick's `convert`, half baseline, half progressive, where the
per-file costs weigh most.  Each case runs -j 1 and -j 2, exact and
--fast; runs alternate and who goes first alternates, so the machine's
noise hits both alike.  Prints a Markdown table: median wall times, their
ratio (new/base) and the median of the per-pair ratios.

  bench/hash_ab.py BASE_VIGIL [NEW_VIGIL] [--runs 7] [--web DIR]
                   [--sets big,all,web]
"""
import argparse, glob, os, statistics, subprocess, sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import hash_bench  # noqa: E402  (its run and big_jpegs)
from hash_bench import run  # noqa: E402

PHOTOS = "tests/data/photos"

def big_jpegs(photos):
    return [path for path, _ in hash_bench.big_jpegs(photos)]

def all_photos(photos):
    return sorted(p for e in ("jpg", "png", "webp")
                  for p in glob.glob(os.path.join(photos, "*." + e)))

def web_jpegs(photos, d):
    os.makedirs(d, exist_ok=True)
    if not glob.glob(os.path.join(d, "*.jpg")):
        src = [p for p in all_photos(photos) if p.endswith((".jpg", ".png"))][:100]
        for i, p in enumerate(src):
            s = 300 + (i * 37) % 501
            for name, extra in (("b", []), ("p", ["-interlace", "JPEG"])):
                subprocess.run(["convert", p + "[0]", "-resize", f"{s}x{s}",
                                "-quality", "85"] + extra +
                               [os.path.join(d, f"{name}{i:03d}.jpg")],
                               check=True, stderr=subprocess.DEVNULL)
    return sorted(glob.glob(os.path.join(d, "*.jpg")))

def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("base")
    ap.add_argument("new", nargs="?", default="build/release/vigil")
    ap.add_argument("--runs", type=int, default=7)
    ap.add_argument("--web", default=None)
    ap.add_argument("--sets", default="big,all,web")
    a = ap.parse_args()
    subprocess.run(["scripts/fetch-testdata"], check=True)
    sets = {"big": big_jpegs(PHOTOS), "all": all_photos(PHOTOS)}
    if a.web:
        sets["web"] = web_jpegs(PHOTOS, a.web)
    bins = {"base": a.base, "new": a.new}
    print("| files | options | base | new | new/base | per-pair median |")
    print("|---|---|---:|---:|---:|---:|")
    for s in a.sets.split(","):
        if s not in sets:
            continue
        for j in ("1", "2"):
            for m in ([], ["--fast"]):
                t = {k: [] for k in bins}
                for k, b in bins.items():   # warm the page cache
                    run([b, "hash", "-j", j] + m + sets[s])
                for r in range(a.runs):
                    for k in (list(bins) if r % 2 == 0 else list(bins)[::-1]):
                        t[k].append(run([bins[k], "hash", "-j", j] + m + sets[s]))
                mb, mn = statistics.median(t["base"]), statistics.median(t["new"])
                pr = statistics.median(n / b for b, n in zip(t["base"], t["new"]))
                print(f"| {s} ({len(sets[s])}) | -j {j} {' '.join(m)} | {mb:.3f} s |"
                      f" {mn:.3f} s | {mn / mb:.3f} | {pr:.3f} |", flush=True)

if __name__ == "__main__":
    main()
