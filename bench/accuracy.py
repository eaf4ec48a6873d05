#!/usr/bin/env python3
# SPDX-License-Identifier: Apache-2.0
"""Accuracy of PDQ matching at distance <= 31: the table a hotline reads.

Two questions, answered on the benign photos of tests/data/photos:

1. Does an altered copy of a known image still match?  Each photo is
   altered with ImageMagick (TRANSFORMS below: resizes, JPEG recompression,
   crops, rotations, mirrors, colour changes, a watermark box, ...), the
   originals and the copies are hashed with `vigil hash --dihedral --json`
   (one vigil process per directory), and a copy counts as matched when
   any of its 8 dihedral hashes is within the radius of the original's
   plain hash -- the rule of `vigil match` (include/vigil/index.h).
2. How often do two distinct photos match?  Every pair of distinct
   originals, both ways round, by the same rule.

PDQ hashes of quality below 50 are not used for matching (PDQ-SPEC 7,
`vigil match --min-quality` default): an original below it is skipped (it
cannot be stored), a copy below it counts as a miss.  Alpha is switched
off before transforming, as vigil drops it.  Every copy except the JPEG
ones is written as lossless PNG, so each row measures one change.

Usage (from the repository root; needs ImageMagick 6 `convert`):
  python3 bench/accuracy.py [--vigil PATH] [--photos DIR] [--jobs N]
                            [--out bench/RESULTS.md] [--limit N]
  python3 bench/accuracy.py transform SRC_IMAGE OUTDIR

The first form runs the benchmark and, with --out, replaces the
`## Accuracy` section of that file (appended at the end when absent; the
other sections are left alone).  The second writes the altered copies of
one image into OUTDIR as <transform>.<ext> (names: see TRANSFORMS) and
prints their paths, one a line.
"""
import argparse
import concurrent.futures
import csv
import datetime
import json
import math
import os
import platform
import shlex
import shutil
import subprocess
import sys
import tempfile
import time

RADIUS = 31                 # the matcher's default PDQ radius
RADII = (16, RADIUS, 48)    # reported for context
MIN_QUALITY = 50            # PDQ hashes below it are discarded
SECTION = "## Accuracy"
SOURCES = "SOURCES.tsv"     # in the photo directory: file, ..., category, ...
WATERMARK_SIDE = math.sqrt(0.10)  # a box of these sides covers 10 % of the area


def _watermark(w, h):
    bw, bh = round(w * WATERMARK_SIDE), round(h * WATERMARK_SIDE)
    ps = max(6, min(bw, bh) // 5)
    return ["-fill", "black", "-draw", f"rectangle {w - bw},{h - bh} {w - 1},{h - 1}",
            "-font", "DejaVu-Sans", "-pointsize", str(ps), "-fill", "white",
            "-gravity", "southeast", "-annotate", f"+{bw // 10}+{bh // 3}", "SAMPLE"]


def _caption(w, h):
    ps = max(6, h // 12)
    return ["-font", "DejaVu-Sans-Bold", "-pointsize", str(ps), "-fill", "white",
            "-stroke", "black", "-strokewidth", str(max(1, ps // 20)),
            "-gravity", "south", "-annotate", f"+0+{h // 20}", "vigil accuracy test"]


def _blur(w, h):
    return ["-blur", f"0x{max(1.0, 0.005 * min(w, h)):.1f}"]


# (name, file extension, label for the table, ImageMagick operators for an
# image of w x h pixels).  The copy is written as <name>.<ext>.
TRANSFORMS = [
    ("half", "png", "half size (`-resize 50%`)", lambda w, h: ["-resize", "50%"]),
    ("quarter", "png", "quarter size (`-resize 25%`)", lambda w, h: ["-resize", "25%"]),
    ("thumb320", "png", "thumbnail, longer side 320 px (`-thumbnail 320x320`)",
     lambda w, h: ["-thumbnail", "320x320"]),
    ("jpeg_q40", "jpg", "JPEG quality 40", lambda w, h: ["-quality", "40"]),
    ("jpeg_q20", "jpg", "JPEG quality 20", lambda w, h: ["-quality", "20"]),
    ("crop95_center", "png", "crop to the central 95 % of each side (2.5 % off each edge)",
     lambda w, h: ["-gravity", "center", "-crop", "95%x95%+0+0", "+repage"]),
    ("crop90_center", "png", "crop to the central 90 % of each side (5 % off each edge)",
     lambda w, h: ["-gravity", "center", "-crop", "90%x90%+0+0", "+repage"]),
    ("crop90_corner", "png", "crop 10 % off the right and bottom edges (top-left 90 % kept)",
     lambda w, h: ["-gravity", "northwest", "-crop", "90%x90%+0+0", "+repage"]),
    ("crop80_center", "png", "crop to the central 80 % of each side (10 % off each edge)",
     lambda w, h: ["-gravity", "center", "-crop", "80%x80%+0+0", "+repage"]),
    ("rot90", "png", "rotate 90° clockwise", lambda w, h: ["-rotate", "90"]),
    ("rot180", "png", "rotate 180°", lambda w, h: ["-rotate", "180"]),
    ("mirror", "png", "mirror left-right (`-flop`)", lambda w, h: ["-flop"]),
    ("flip", "png", "flip upside down (`-flip`)", lambda w, h: ["-flip"]),
    ("rot2", "png", "rotate 2° about the centre, same canvas, black corners",
     lambda w, h: ["-background", "black", "-virtual-pixel", "background",
                   "-distort", "SRT", "2"]),
    ("grey", "png", "greyscale (`-colorspace Gray`)", lambda w, h: ["-colorspace", "Gray"]),
    ("hue54", "png", "hue rotated 54° (`-modulate 100,100,130`)",
     lambda w, h: ["-modulate", "100,100,130"]),
    ("swap_rb", "png", "red and blue channels swapped",
     lambda w, h: ["-color-matrix", "0 0 1 0 1 0 1 0 0"]),
    ("bright120", "png", "lightness +20 % (`-modulate 120`)", lambda w, h: ["-modulate", "120"]),
    ("blur", "png", "blur, sigma 0.5 % of the shorter side", _blur),
    ("watermark", "png", "opaque black box on 10 % of the area, bottom right, "
     "white text in it", _watermark),
    ("caption", "png", "white outlined text over the bottom, height 1/12", _caption),
    ("border", "png", "black border, 5 % of each side (`-border 5%`)",
     lambda w, h: ["-bordercolor", "black", "-border", "5%"]),
    ("stretch", "png", "aspect changed, height 80 % (`-resize 100%x80%!`)",
     lambda w, h: ["-resize", "100%x80%!"]),
]


def image_size(src):
    out = subprocess.run(["identify", "-ping", "-format", "%w %h", src + "[0]"],
                         check=True, capture_output=True, text=True).stdout
    w, h = out.split()
    return int(w), int(h)


def make_copies(src, outdir):
    """Write every transform of src into outdir in one convert run (one
    decode); return the paths written, in TRANSFORMS order."""
    w, h = image_size(src)
    cmd = ["convert", "-respect-parentheses", src + "[0]", "-alpha", "off",
           "-write", "mpr:orig"]
    paths = []
    for name, ext, _, ops in TRANSFORMS:
        path = os.path.join(outdir, f"{name}.{ext}")
        enc = ["-define", "png:compression-level=0"] if ext == "png" else []
        cmd += ["(", "mpr:orig", *ops(w, h), *enc, "-write", path, "+delete", ")"]
        paths.append(path)
    cmd.append("null:")
    r = subprocess.run(cmd, capture_output=True, text=True)
    missing = [p for p in paths if not os.path.exists(p)]
    if r.returncode != 0 or missing:
        raise RuntimeError(f"convert failed on {src}: {r.stderr.strip()}")
    return paths


def hash_tree(vigil, path, jobs):
    """`vigil hash --dihedral --json` over a directory: {path: record or
    None when vigil could not hash the file}."""
    r = subprocess.run([vigil, "hash", "--dihedral", "--json", "-j", str(jobs), path],
                       capture_output=True, text=True)
    if r.returncode not in (0, 1):
        raise RuntimeError(f"vigil hash {path}: exit {r.returncode}: {r.stderr.strip()}")
    out = {}
    for line in r.stdout.splitlines():
        rec = json.loads(line)
        if "error" in rec:
            out[rec["path"]] = None
            continue
        dih = [int(x, 16) for x in rec["dihedral"]]
        if len(dih) != 8:
            raise RuntimeError(f"vigil hash: {len(dih)} dihedral hashes for {rec['path']}")
        out[rec["path"]] = {"pdq": int(rec["pdq"], 16), "dihedral": dih,
                            "quality": rec["quality"], "pixels": rec["width"] * rec["height"]}
    return out


def distance(query, stored):
    """The matcher's distance: the best of the query's 8 dihedral hashes
    against the stored plain hash."""
    return min((q ^ stored["pdq"]).bit_count() for q in query["dihedral"])


def quantile(xs, p):
    """Nearest-rank quantile of a sorted list."""
    return xs[max(0, math.ceil(p * len(xs)) - 1)]


def pct(k, n):
    return f"{100 * k / n:.1f} %" if n else "–"


def copies_of(photo, workroot, vigil):
    """Transform one photo, hash the copies: {transform: record or None}."""
    d = tempfile.mkdtemp(dir=workroot)
    try:
        paths = make_copies(photo, d)
        recs = hash_tree(vigil, d, 1)
        return {name: recs.get(p) for (name, *_), p in zip(TRANSFORMS, paths)}
    finally:
        shutil.rmtree(d)


def transform_rows(originals, copies):
    """Per transform: matches at each radius (at RADIUS also per kind of
    picture), best-distance and quality quantiles, skips."""
    rows = []
    for name, ext, label, _ in TRANSFORMS:
        dists, quals, lowq, failed = [], [], 0, 0
        hits = dict.fromkeys(RADII, 0)
        by_kind = {k: [0, 0] for k in sorted({o["kind"] for o in originals.values()})}
        for photo, orig in originals.items():
            by_kind[orig["kind"]][1] += 1  # [matched, photos]
            c = copies[photo].get(name) if copies[photo] else None
            if c is None:
                failed += 1
                continue
            d = distance(c, orig)
            dists.append(d)
            quals.append(c["quality"])
            if c["quality"] < MIN_QUALITY:
                lowq += 1
                continue
            for r in RADII:
                hits[r] += d <= r
            by_kind[orig["kind"]][0] += d <= RADIUS
        dists.sort()
        quals.sort()
        rows.append({"file": f"{name}.{ext}", "label": label,
                     "n": len(originals), "hits": hits, "kinds": by_kind,
                     "lowq": lowq, "failed": failed,
                     "median": quantile(dists, 0.5) if dists else None,
                     "p95": quantile(dists, 0.95) if dists else None,
                     "q5": quantile(quals, 0.05) if quals else None,
                     "medq": quantile(quals, 0.5) if quals else None})
    return rows


def pair_stats(originals):
    """Every unordered pair of distinct stored photos, both directions."""
    names = sorted(originals)
    pairs, ordered_hits, asym = [], 0, 0
    for i, a in enumerate(names):
        for b in names[i + 1:]:
            ab = distance(originals[a], originals[b])  # a queried, b stored
            ba = distance(originals[b], originals[a])
            ordered_hits += (ab <= RADIUS) + (ba <= RADIUS)
            asym += ab != ba
            pairs.append((min(ab, ba), a, b))
    pairs.sort()
    ds = [p[0] for p in pairs]
    return {"n": len(names), "pairs": pairs, "ds": ds, "ordered_hits": ordered_hits,
            "asym": asym, "hits": {r: sum(d <= r for d in ds) for r in RADII}}


def picture_kinds(photos):
    """{file name: category} from the photo set's SOURCES.tsv, if any."""
    path = os.path.join(photos, SOURCES)
    if not os.path.exists(path):
        return {}
    with open(path, newline="") as f:
        return {r["file"]: r["category"] for r in csv.DictReader(f, delimiter="\t")}


def machine_note():
    cpu = "unknown CPU"
    with open("/proc/cpuinfo") as f:
        for line in f:
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    return f"{os.cpu_count()} cores ({cpu}), {platform.system()} {platform.release()}"


def tool_version(cmd):
    r = subprocess.run(cmd, capture_output=True, text=True)
    return (r.stdout or r.stderr).splitlines()[0].strip()


def render(a, originals, skipped, rows, ps, elapsed, nfiles):
    cmd = shlex.join(["python3", "bench/accuracy.py", *sys.argv[1:]])
    im = tool_version(["convert", "-version"]).replace("Version: ", "")
    skip = "".join(f"; skipped {os.path.basename(p)} ({why})" for p, why in skipped)
    kinds = rows[0]["kinds"]
    L = [SECTION, "", "Repeat with:", "", "```sh", cmd, "```", "",
         f"Run {datetime.date.today().isoformat()} with {tool_version([a.vigil, '--version'])}, "
         f"{im.split(' https')[0]}; {machine_note()}; --jobs {a.jobs}, "
         f"{elapsed / 60:.1f} min wall.", "",
         f"Photos: {nfiles} images hashed in `{a.photos}`; {len(originals)} stored "
         f"(original PDQ quality ≥ {MIN_QUALITY}) and altered{skip}.", "",
         f"Rule (`vigil match`'s): a copy matches when any of its 8 dihedral hashes is within "
         f"the radius of the original's plain PDQ hash.  Copies of quality < {MIN_QUALITY} "
         f"count as misses (PDQ hashes below it are discarded).  Distances: the best of the "
         f"8, over every hashed copy; quantiles are nearest rank.  Copies are lossless PNG "
         f"except the JPEG rows; alpha is switched off first, as vigil drops it.  The 8 "
         f"hashes are derived from the original's DCT and only approximate the hash of the "
         f"rotated or mirrored file (PDQ-SPEC §10), so even lossless rotations and "
         f"mirrors land some bits away.",
         "",
         f"| copy | what was done | ≤ 16 | **≤ {RADIUS}** | ≤ 48 | median d | p95 d "
         f"| quality p5 / median | skipped: q < {MIN_QUALITY} / failed |",
         "|---|---|---|---|---|---|---|---|---|"]
    for r in rows:
        h = r["hits"]
        L.append(f"| `{r['file']}` | {r['label']} | {pct(h[16], r['n'])} "
                 f"| **{pct(h[RADIUS], r['n'])}** | {pct(h[48], r['n'])} "
                 f"| {r['median']} | {r['p95']} "
                 f"| {r['q5']} / {r['medq']} | {r['lowq']} / {r['failed']} |")
    if len(kinds) > 1:
        L += ["", f"Matched at ≤ {RADIUS} by kind of picture (the `category` column of "
              f"{SOURCES}):", "",
              "| copy | " + " | ".join(f"{k} (n={n})" for k, (_, n) in kinds.items()) + " |",
              "|---|" + "---|" * len(kinds)]
        L += [f"| `{r['file']}` | " + " | ".join(pct(*v) for v in r["kinds"].values()) + " |"
              for r in rows]
    ds, n_pairs = ps["ds"], len(ps["ds"])
    L += ["", "### Distinct photos", "",
          f"All {n_pairs} unordered pairs of the {ps['n']} stored photos, each pair measured "
          f"both ways (a's 8 dihedral hashes against b's plain hash, and b's against a's; "
          f"the two differ in {ps['asym']} pairs); a pair counts at the smaller of the two, "
          f"since either photo may be the stored one.",
          "",
          "| measure | value |", "|---|---|"]
    for r in RADII:
        L.append(f"| pairs within {r} | {ps['hits'][r]} ({100 * ps['hits'][r] / n_pairs:.4f} %) |")
    L += [f"| ordered (query, stored) pairs within {RADIUS} | {ps['ordered_hits']} "
          f"of {2 * n_pairs} |",
          f"| minimum distance | {ds[0]} |",
          f"| 0.1 % quantile (nearest rank) | {quantile(ds, 0.001)} |",
          f"| 1 % quantile | {quantile(ds, 0.01)} |",
          f"| median | {quantile(ds, 0.5)} |"]
    close = [p for p in ps["pairs"] if p[0] <= RADIUS] or ps["pairs"][:5]
    title = (f"Pairs within {RADIUS} (look at them: near-duplicate shots of one scene are "
             f"not false matches)" if ps["hits"][RADIUS] else
             f"No pair within {RADIUS}; the closest")
    L += ["", title + ": " + ", ".join(
        f"{os.path.basename(a_)}–{os.path.basename(b_)} ({d})" for d, a_, b_ in close) + "."]
    L += ["", "Reading for analysts:", ""] + reading(rows, ps) + [""]
    return "\n".join(L)


def reading(rows, ps):
    share = {r["label"].split(" (")[0]: r["hits"][RADIUS] / r["n"] for r in rows}
    good = [k for k, v in share.items() if v >= 0.9]
    mid = [f"{k} ({100 * v:.0f} %)" for k, v in share.items() if 0.5 <= v < 0.9]
    bad = [f"{k} ({100 * v:.0f} %)" for k, v in share.items() if v < 0.5]
    out = [f"* Found (≥ 90 % of copies at ≤ {RADIUS}): {'; '.join(good) or 'none'}."]
    if mid:
        out.append(f"* Found only sometimes: {'; '.join(mid)}.")
    if bad:
        out.append(f"* Mostly missed: {'; '.join(bad)}.  A copy altered this way will "
                   f"usually not be flagged: no match is not evidence of a new image.")
    kinds = rows[0]["kinds"]
    if len(kinds) > 1:
        ok = {k: [r for r in rows if r["kinds"][k][0] >= 0.9 * n] for k, (_, n) in kinds.items()}
        order = sorted(ok, key=lambda k: (-len(ok[k]), kinds[k][1]))  # worst, largest last
        worse = [r["label"].split(" (")[0] for r in rows
                 if r["hits"][RADIUS] >= 0.9 * r["n"] and r not in ok[order[-1]]]
        out.append("* Transforms found ≥ 90 %, by kind of picture: " + "; ".join(
            f"{k} {len(ok[k])} of {len(rows)}" for k in order) + "."
            + (f"  For {order[-1]}, also below 90 %: {'; '.join(worse)}." if worse else ""))
    out.append(f"* Between different photos, {ps['hits'][RADIUS]} of {len(ps['ds'])} pairs "
               f"came within {RADIUS} (closest {ps['ds'][0]} bits apart): a match at "
               f"≤ {RADIUS} very rarely points at an unrelated picture, but a person confirms "
               f"every match before action.")
    return out


def write_section(path, text):
    """Replace the `## Accuracy` section of path (to the next `## ` heading
    or the end), or append it; re-read just before writing."""
    old = open(path).read() if os.path.exists(path) else ""
    lines = old.splitlines(keepends=True)
    start = next((i for i, l in enumerate(lines) if l.rstrip() == SECTION), None)
    if start is None:
        head = old.rstrip("\n") + "\n\n" if old.strip() else ""
        new = head + text
    else:
        end = next((i for i in range(start + 1, len(lines))
                    if lines[i].startswith("## ")), len(lines))
        tail = "".join(lines[end:])
        new = "".join(lines[:start]) + text + ("\n" + tail if tail else "")
    tmp = path + ".accuracy.tmp"
    with open(tmp, "w") as f:
        f.write(new)
    os.replace(tmp, path)


def transform_main(argv):
    ap = argparse.ArgumentParser(prog="accuracy.py transform",
                                 description="Write the altered copies of one image.")
    ap.add_argument("src")
    ap.add_argument("outdir")
    a = ap.parse_args(argv)
    os.makedirs(a.outdir, exist_ok=True)
    for p in make_copies(a.src, a.outdir):
        print(p)
    return 0


def main(argv):
    if argv and argv[0] == "transform":
        return transform_main(argv[1:])
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--vigil", default="build/release/vigil")
    ap.add_argument("--photos", default="tests/data/photos")
    ap.add_argument("--jobs", type=int, default=2)
    ap.add_argument("--out", help="Markdown file whose `## Accuracy` section is replaced")
    ap.add_argument("--limit", type=int, help="only the first N photos (by name)")
    a = ap.parse_args(argv)
    t0 = time.monotonic()

    if a.photos == "tests/data/photos":
        subprocess.run(["scripts/fetch-testdata"], check=True)
    hashed = hash_tree(a.vigil, a.photos, a.jobs)
    photos = sorted(hashed)[:a.limit]
    skipped = [(p, "vigil could not hash it") for p in photos if hashed[p] is None]
    skipped += [(p, f"quality {hashed[p]['quality']}") for p in photos
                if hashed[p] and hashed[p]["quality"] < MIN_QUALITY]
    originals = {p: hashed[p] for p in photos
                 if hashed[p] and hashed[p]["quality"] >= MIN_QUALITY}
    if len(originals) < 2:
        ap.error(f"{len(originals)} storable photos: at least 2 are needed")
    kinds = picture_kinds(a.photos)
    for p, o in originals.items():
        o["kind"] = kinds.get(os.path.basename(p), "other")
    print(f"{len(photos)} photos, {len(originals)} stored, {len(TRANSFORMS)} transforms each",
          file=sys.stderr)

    copies = {}
    with tempfile.TemporaryDirectory(prefix="vigil-accuracy-") as work, \
            concurrent.futures.ThreadPoolExecutor(a.jobs) as pool:
        futs = {pool.submit(copies_of, p, work, a.vigil): p for p in originals}
        total = sum(o["pixels"] for o in originals.values())
        done, t1 = 0, time.monotonic()
        for k, f in enumerate(concurrent.futures.as_completed(futs), 1):
            p = futs[f]
            try:
                copies[p] = f.result()
            except (RuntimeError, subprocess.CalledProcessError) as e:
                print(f"  {p}: {e}", file=sys.stderr)
                copies[p] = None
            done += originals[p]["pixels"]
            el = time.monotonic() - t1  # the work goes by pixels
            print(f"[{k}/{len(futs)}] {os.path.basename(p)}  {el:.0f} s, "
                  f"~{el / done * (total - done):.0f} s left", file=sys.stderr)

    rows = transform_rows(originals, copies)
    ps = pair_stats(originals)
    text = render(a, originals, skipped, rows, ps, time.monotonic() - t0, len(photos))
    print(text)
    if a.out:
        write_section(a.out, text)
        print(f"wrote the {SECTION!r} section of {a.out}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
