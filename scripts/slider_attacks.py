#!/usr/bin/env python3
"""Attacks on the slider kind, with an AJ-style cut on the same backgrounds as the reference.

    python3 scripts/slider_attacks.py [N]          (default N = 300)

Renders N fresh slider challenges with `cargo run --release --example sample -- --kind
slider`, builds an AJ-style reference puzzle for each (one of three fixed jigsaw shapes, the
hole darkened with a white outline, one decoy left of the legal range) on a fresh landscape
of the same generator, and attacks both with:

  1. edge template matching: Canny on the piece and the background, then
     cv2.matchTemplate; the thresholds and the piece crop are swept and the best setting is
     reported (the classic ten-line attack, at its strongest);
  2. ddddocr's slide_match, both its edge mode and its plain template mode;
  3. border matching: for every x, compare the piece's pixels just inside its outline with
     the background's pixels just outside the same outline at x (how a person tells the
     real hole from a decoy): mean colours by bands (raw and blurred, rings 1-3 px), and the
     normalised correlation of the intensity profile along the outline (rings at the edge
     and past a seam, raw and blurred), best reported;
  4. a blind pick among the holes (the floor: 1 / (decoys + 1)).

A solve is a predicted left edge within 5 px of the hole's. Needs numpy, opencv-python-headless,
Pillow and ddddocr (pip install ...).
"""
import os
import random
import subprocess
import sys
import tempfile

import cv2
import numpy as np
from PIL import Image, ImageDraw, ImageFilter

N = int(sys.argv[1]) if len(sys.argv) > 1 else 300
TOL = 5
PIECE_W = 47
ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def render(directory):
    subprocess.run(
        ["cargo", "run", "--quiet", "--release", "--example", "sample", "--",
         "--kind", "slider", directory, str(N)],
        cwd=ROOT, check=True, stdout=subprocess.DEVNULL)
    answers = {}
    for line in open(os.path.join(directory, "answers.txt")):
        i, x = line.split()[:2]
        answers[int(i)] = int(x)
    return answers


# --- the AJ-style reference ---------------------------------------------------------------

def aj_shape(kind):
    """One of three fixed jigsaw outlines (a 40x40 body with round tabs), as a mask."""
    img = Image.new("L", (PIECE_W, 155), 0)
    d = ImageDraw.Draw(img)
    top = 0  # placed later
    body = (4, 4, 40, 40)
    d.rectangle(body, fill=255)
    if kind == 0:
        d.ellipse((16, -2, 28, 10), fill=255)      # tab on top
        d.ellipse((34, 16, 46, 28), fill=255)      # tab on the right
    elif kind == 1:
        d.ellipse((16, 34, 28, 46), fill=255)      # tab at the bottom
        d.ellipse((-2, 16, 10, 28), fill=0)        # blank on the left
    else:
        d.ellipse((34, 16, 46, 28), fill=255)
        d.ellipse((16, -2, 28, 10), fill=0)
    return img.crop((0, 0, PIECE_W, 47))


def aj_cut(clean, rng):
    bg = clean.convert("RGB")
    shape = aj_shape(rng.randrange(3))
    y = rng.randrange(5, 155 - 47 - 5)
    x = rng.randrange(100, 236)
    mask = Image.new("L", (PIECE_W, 155), 0)
    mask.paste(shape, (0, y))
    piece = Image.new("RGBA", (PIECE_W, 155), (0, 0, 0, 0))
    piece.paste(bg.crop((x, 0, x + PIECE_W, 155)), (0, 0), mask)
    outline = mask.filter(ImageFilter.MaxFilter(3))
    edge = Image.eval(Image.merge("L", [outline]), lambda v: v)
    ring = Image.new("L", mask.size, 0)
    ring.paste(edge, (0, 0))
    ring = Image.fromarray(np.clip(np.array(outline, int) - np.array(mask, int), 0, 255).astype(np.uint8))
    for hx in (x, rng.randrange(0, 50)):  # the hole, and a decoy left of the legal range
        region = bg.crop((hx, 0, hx + PIECE_W, 155))
        dark = Image.eval(region, lambda v: v // 2)
        region.paste(dark, (0, 0), mask)
        region.paste((255, 255, 255), (0, 0), ring)
        bg.paste(region, (hx, 0))
    return bg, piece, x


# --- attacks --------------------------------------------------------------------------------

def gray(img):
    return cv2.cvtColor(np.array(img.convert("RGB")), cv2.COLOR_RGB2GRAY)


def piece_arrays(piece):
    rgba = np.array(piece.convert("RGBA"))
    return rgba[:, :, :3], rgba[:, :, 3]


def edge_template(bg, piece, lo, hi, crop):
    rgb, alpha = piece_arrays(piece)
    p = cv2.cvtColor(rgb, cv2.COLOR_RGB2GRAY)
    p[alpha < 128] = 0
    ys, xs = np.nonzero(alpha > 128)
    if crop and len(ys):
        y0, y1, x0, x1 = ys.min(), ys.max() + 1, xs.min(), xs.max() + 1
        p = p[y0:y1, x0:x1]
        b = cv2.Canny(gray(bg)[y0:y1, :], lo, hi)
    else:
        x0 = 0
        b = cv2.Canny(gray(bg), lo, hi)
    e = cv2.Canny(p, lo, hi)
    res = cv2.matchTemplate(b, e, cv2.TM_CCOEFF_NORMED)
    _, _, _, loc = cv2.minMaxLoc(res)
    return loc[0] - x0


def ddddocr_match(slide, bg, piece, simple):
    import io
    def png(img):
        out = io.BytesIO()
        img.save(out, format="PNG")
        return out.getvalue()
    r = slide.slide_match(png(piece), png(bg), simple_target=simple)
    return r["target"][0] - PIECE_W // 2


def rings(alpha, width, skip=0):
    """Inner ring (inside the outline, `skip` to `width` px from it) and the outer ring
    (likewise outside): with `skip`, the attacker looks past a seam drawn along the outline."""
    inside = alpha >= 128
    def grow(n):
        k = np.ones((2 * n + 1, 2 * n + 1), np.uint8)
        return cv2.dilate(inside.astype(np.uint8), k).astype(bool)
    def shrink(n):
        k = np.ones((2 * n + 1, 2 * n + 1), np.uint8)
        return cv2.erode(inside.astype(np.uint8), k).astype(bool)
    inner = shrink(skip) & ~shrink(width) if skip else inside & ~shrink(width)
    outer = grow(width) & ~grow(skip) if skip else grow(width) & ~inside
    return inner, outer


def border_match(bg, piece, width, blur):
    rgb, alpha = piece_arrays(piece)
    bgarr = np.array(bg.convert("RGB")).astype(np.float32)
    prgb = rgb.astype(np.float32)
    if blur:
        bgarr = cv2.GaussianBlur(bgarr, (5, 5), 1.2)
        prgb = cv2.GaussianBlur(prgb, (5, 5), 1.2)
    inner, outer = rings(alpha, width)
    iy, ix = np.nonzero(inner)
    oy, ox = np.nonzero(outer)
    # Compare the mean colour of each side along the outline, by vertical bands of 4 px.
    best, best_x = None, 0
    for x in range(0, bgarr.shape[1] - PIECE_W + 1):
        outside = bgarr[oy, ox + x]
        inside = prgb[iy, ix]
        score = 0.0
        for band in range(0, 155, 4):
            a = inside[(iy >= band) & (iy < band + 4)]
            b = outside[(oy >= band) & (oy < band + 4)]
            if len(a) and len(b):
                score += np.abs(a.mean(0) - b.mean(0)).sum()
        if best is None or score < best:
            best, best_x = score, x
    return best_x


def profile_match(bg, piece, width, sigma, skip=0):
    """Structure, not colour: the zero-mean, normalised correlation of the intensity just
    inside the outline with the intensity just outside it, point by point along the outline
    (each inner point paired with its nearest outer point). Insensitive to a change of the
    piece's brightness."""
    rgb, alpha = piece_arrays(piece)
    g = gray(bg).astype(np.float32)
    p = cv2.cvtColor(rgb, cv2.COLOR_RGB2GRAY).astype(np.float32)
    if sigma:
        g = cv2.GaussianBlur(g, (0, 0), sigma)
        p = cv2.GaussianBlur(p, (0, 0), sigma)
    inner, outer = rings(alpha, width, skip)
    iy, ix = np.nonzero(inner)
    oy, ox = np.nonzero(outer)
    if not len(iy) or not len(oy):
        return 0
    # Pair each inner point with its nearest outer point.
    d = (iy[:, None] - oy[None, :]) ** 2 + (ix[:, None] - ox[None, :]) ** 2
    near = d.argmin(1)
    a = p[iy, ix]
    a = (a - a.mean()) / (a.std() + 1e-6)
    best, best_x = None, 0
    for x in range(0, g.shape[1] - PIECE_W + 1):
        b = g[oy[near], ox[near] + x]
        b = (b - b.mean()) / (b.std() + 1e-6)
        score = float((a * b).mean())
        if best is None or score > best:
            best, best_x = score, x
    return best_x


def main():
    import ddddocr
    slide = ddddocr.DdddOcr(det=False, ocr=False, show_ad=False)
    rng = random.Random(2026)
    with tempfile.TemporaryDirectory() as d:
        answers = render(d)
        sets = {"ours": [], "AJ-style reference": []}
        for i, x in answers.items():
            bg = Image.open(os.path.join(d, f"sample-{i}-bg.png"))
            piece = Image.open(os.path.join(d, f"sample-{i}-piece.png"))
            sets["ours"].append((bg, piece, x))
            clean = Image.open(os.path.join(d, f"sample-{i}-clean.png"))
            sets["AJ-style reference"].append(aj_cut(clean, rng))
        print(f"{N} challenges each; a solve is a left edge within {TOL} px\n")
        print(f"| attack | ours | AJ-style reference |\n|---|---|---|")
        results = {}
        attacks = []
        for lo, hi in [(30, 100), (50, 150), (100, 200), (150, 300)]:
            for crop in (False, True):
                attacks.append((f"Canny({lo},{hi}) + matchTemplate, {'cropped' if crop else 'full strip'}",
                                "edge", lambda b, p, lo=lo, hi=hi, crop=crop: edge_template(b, p, lo, hi, crop)))
        attacks.append(("ddddocr slide_match (edges)", "dddd", lambda b, p: ddddocr_match(slide, b, p, False)))
        attacks.append(("ddddocr slide_match (simple_target)", "dddd", lambda b, p: ddddocr_match(slide, b, p, True)))
        for width in (1, 2, 3):
            for blur in (False, True):
                attacks.append((f"border match, ring {width} px{', blurred' if blur else ''}",
                                "border", lambda b, p, w=width, bl=blur: border_match(b, p, w, bl)))
        for width in (2, 4):
            for sigma in (0, 1.5):
                attacks.append((f"outline profile correlation, ring {width} px, blur {sigma}",
                                "border", lambda b, p, w=width, s=sigma: profile_match(b, p, w, s)))
        for skip, width in ((2, 5), (3, 7)):
            for sigma in (0, 1.5):
                attacks.append((f"outline profile correlation past a seam, {skip}-{width} px, blur {sigma}",
                                "border", lambda b, p, w=width, s=sigma, k=skip: profile_match(b, p, w, s, k)))
        for name, family, attack in attacks:
            row = []
            for label, items in sets.items():
                hits = sum(abs(attack(bg, piece) - x) <= TOL for bg, piece, x in items)
                row.append(hits / len(items))
                results.setdefault((family, label), []).append((row[-1], name))
            print(f"| {name} | {row[0]:.0%} | {row[1]:.0%} |", flush=True)
        print("\nStrongest per family:")
        for (family, label), rows in sorted(results.items()):
            rate, name = max(rows)
            print(f"  {label:20} {family:7} {rate:5.0%}  ({name})")


if __name__ == "__main__":
    main()
