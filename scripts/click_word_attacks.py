#!/usr/bin/env python3
"""Attacks on the click-word kind, with an AJ-style layout on the same backgrounds as the
reference.

    python3 scripts/click_word_attacks.py [N]      (default N = 300)

Renders N fresh click-word challenges with `cargo run --release --example sample -- --kind
click_word`, builds an AJ-style reference for each (the same font, four characters in four
fixed slots left to right, upright, the three to click in left-to-right order, the decoy
never last) on a fresh landscape of the same generator, and attacks both with ddddocr, an
off-the-shelf character detector and classifier:

  1. detect + classify: ddddocr's detector finds character boxes, its OCR reads each box;
     each listed word is clicked at the centre of a box read as that word (else an unused
     box at random);
  2. layout only: the detector's boxes, the first three from left to right (what AJ's
     layout gives away);
  3. blind: three of the detected boxes in a random order;
  4. constrained (the strongest: it never has to read): the prompt lists the three characters
     to click, so for each detected box it asks ddddocr's classifier for the probability of
     *each listed character* (the highest over the classifier's output steps), on the crop
     turned by -60..60 degrees in steps of 20 (the best turn kept), and clicks the
     assignment of listed characters to distinct boxes with the highest total
     log-probability (a blind assignment is 1/24 with 4 boxes and 3 characters, 1/120 with
     the default 6).

A solve is all three clicks, in order, within 25 px of the characters' centres on both axes.
Needs Pillow, numpy, opencv and ddddocr (pip install ...). `ATTACKS=constrained,read` runs only
those.
"""
import io
import os
import random
import subprocess
import sys
import tempfile

from PIL import Image, ImageDraw, ImageFont

N = int(sys.argv[1]) if len(sys.argv) > 1 else 300
TOL = 25
ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
FONT = os.path.join(ROOT, "assets", "fonts", "DroidSansFallback-subset.ttf")


def render(directory):
    subprocess.run(
        ["cargo", "run", "--quiet", "--release", "--example", "sample", "--",
         "--kind", "click_word", directory, str(N)],
        cwd=ROOT, check=True, stdout=subprocess.DEVNULL)
    puzzles = {}
    for line in open(os.path.join(directory, "answers.txt")):
        parts = line.split()
        i, rest = int(parts[0]), parts[1:]
        words = [(rest[k], int(rest[k + 1]), int(rest[k + 2])) for k in range(0, len(rest), 3)]
        puzzles[i] = words
    return puzzles


def aj_layout(clean, words, rng):
    """Four fixed slots, upright; the three to click left to right; the decoy never last."""
    img = clean.convert("RGB")
    d = ImageDraw.Draw(img)
    font = ImageFont.truetype(FONT, 28)
    chars = [w for w, _, _ in words]
    decoy_slot = rng.randrange(3)
    order = chars[:3]
    slots = []
    placed = []
    k = 0
    for slot in range(4):
        x = 40 + slot * 75 + rng.randrange(-8, 9)
        y = rng.randrange(30, 125)
        if slot == decoy_slot:
            c = chars[3]
        else:
            c = order[k]
            k += 1
            placed.append((c, x, y))
        d.text((x, y), c, font=font, fill=(rng.randrange(200), rng.randrange(200), rng.randrange(200)),
               anchor="mm", stroke_width=1, stroke_fill=(255, 255, 255))
        slots.append((c, x, y))
    return img, placed  # the answer: targets left to right


def png(img):
    out = io.BytesIO()
    img.save(out, format="PNG")
    return out.getvalue()


def dehatch(crop, how):
    """Undo hatching before reading: a median filter, or a morphological closing of the
    darker ink (what an attacker tries first against striped glyphs)."""
    import cv2
    import numpy as np
    a = np.array(crop.convert("RGB"))
    if how == "median":
        a = cv2.medianBlur(a, 3)
    elif how == "close":
        a = cv2.morphologyEx(a, cv2.MORPH_CLOSE, np.ones((3, 3), np.uint8))
    elif how == "open":
        a = cv2.morphologyEx(a, cv2.MORPH_OPEN, np.ones((3, 3), np.uint8))
    return Image.fromarray(a)


CHARSET = {}


def listed_probabilities(ocr, crop, words):
    """The classifier's probability of each listed word in `crop`, best over turns."""
    import numpy as np
    best = {w: 0.0 for w in words}
    for angle in (-60, -40, -20, 0, 20, 40, 60):
        turned = crop.rotate(angle, expand=True, resample=Image.BICUBIC, fillcolor=(255, 255, 255))
        r = ocr.classification(png(turned), probability=True)
        if not CHARSET:
            CHARSET.update({c: i for i, c in enumerate(r["charset"])})
        p = np.array(r["probabilities"]).reshape(len(r["probabilities"]), -1)
        for w in words:
            i = CHARSET.get(w)
            if i is not None and i < p.shape[1]:
                best[w] = max(best[w], float(p[:, i].max()))
    return best


def constrained(ocr, img, centres, words):
    """The assignment of listed words to distinct boxes with the highest total log-probability."""
    import itertools
    import math
    scores = []
    for x, y, (x0, y0, x1, y1) in centres:
        crop = img.crop((max(0, x0 - 4), max(0, y0 - 4), x1 + 4, y1 + 4))
        scores.append(listed_probabilities(ocr, crop, words))
    best, clicks = None, []
    for boxes in itertools.permutations(range(len(centres)), len(words)):
        total = sum(math.log(scores[b][w] + 1e-12) for b, w in zip(boxes, words))
        if best is None or total > best:
            best, clicks = total, [centres[b][:2] for b in boxes]
    return clicks


def solve(det, ocr, img, words, strategy, rng):
    boxes = det.detection(png(img))
    centres = [((x0 + x1) / 2, (y0 + y1) / 2, (x0, y0, x1, y1)) for x0, y0, x1, y1 in boxes]
    if strategy == "constrained":
        return constrained(ocr, img, centres, words)
    if strategy == "layout":
        clicks = [(x, y) for x, y, _ in sorted(centres)[:3]]
    elif strategy == "blind":
        pick = rng.sample(centres, min(3, len(centres)))
        clicks = [(x, y) for x, y, _ in pick]
    else:
        reads = []
        for x, y, (x0, y0, x1, y1) in centres:
            crop = img.crop((max(0, x0 - 2), max(0, y0 - 2), x1 + 2, y1 + 2))
            if strategy != "read":
                crop = dehatch(crop, strategy)
            reads.append((x, y, ocr.classification(png(crop))))
        clicks, used = [], set()
        for word in words:
            hit = next((k for k, (_, _, r) in enumerate(reads) if word in r and k not in used), None)
            if hit is None:
                free = [k for k in range(len(reads)) if k not in used]
                hit = rng.choice(free) if free else None
            if hit is None:
                break
            used.add(hit)
            clicks.append(reads[hit][:2])
    targets = words_xy = None
    return clicks


def main():
    import ddddocr
    det = ddddocr.DdddOcr(det=True, ocr=False, show_ad=False)
    ocr = ddddocr.DdddOcr(show_ad=False)
    rng = random.Random(2026)
    with tempfile.TemporaryDirectory() as d:
        puzzles = render(d)
        sets = {"ours": [], "AJ-style reference": []}
        for i, words in puzzles.items():
            img = Image.open(os.path.join(d, f"sample-{i}.png")).convert("RGB")
            sets["ours"].append((img, words[:3]))
            clean = Image.open(os.path.join(d, f"sample-{i}-clean.png"))
            ref, placed = aj_layout(clean, words, rng)
            sets["AJ-style reference"].append((ref, placed))
        print(f"{N} challenges each; a solve is 3 clicks in order within {TOL} px on both axes\n")
        print("| attack | ours | AJ-style reference |\n|---|---|---|")
        found = {}
        only = os.environ.get("ATTACKS")
        for strategy, name in [("constrained", "ddddocr detect + probability of each listed character, turns, best assignment"),
                               ("read", "ddddocr detect + classify"),
                               ("median", "ddddocr detect + median 3x3 + classify"),
                               ("close", "ddddocr detect + closing 3x3 + classify"),
                               ("open", "ddddocr detect + opening 3x3 + classify"),
                               ("layout", "ddddocr detect, first three left to right"),
                               ("blind", "ddddocr detect, three boxes at random")]:
            if only and strategy not in only.split(","):
                continue
            row = []
            for label, items in sets.items():
                hits = 0
                for img, targets in items:
                    clicks = solve(det, ocr, img, [w for w, _, _ in targets], strategy, rng)
                    ok = len(clicks) == 3 and all(
                        abs(cx - x) <= TOL and abs(cy - y) <= TOL
                        for (cx, cy), (_, x, y) in zip(clicks, targets))
                    hits += ok
                row.append(hits / len(items))
            print(f"| {name} | {row[0]:.1%} | {row[1]:.1%} |", flush=True)
        # How many characters the detector finds at all (within tolerance of a centre).
        for label, items in sets.items():
            total = seen = 0
            for img, targets in items[:100]:
                boxes = det.detection(png(img))
                for _, x, y in targets:
                    total += 1
                    seen += any(abs((a + c) / 2 - x) <= TOL and abs((b + e) / 2 - y) <= TOL
                                for a, b, c, e in boxes)
            print(f"detector finds {seen / total:.0%} of the characters to click ({label})")


if __name__ == "__main__":
    main()
