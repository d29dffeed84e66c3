#!/usr/bin/env python3
"""What the audio challenge protects against: an off-the-shelf speech recogniser that ships
its model (PocketSphinx 5, `pip install pocketsphinx`), and a predictor of how well people
hear it (STOI, `pip install pystoi`).

    python3 scripts/audio_attacks.py [N]      (default N = 100)

Makes N fresh text challenges with their audio (`cargo run --release --example sample --
--audio`), each as served (`sample-N.wav`) and as the same voice without its noise
(`sample-N-voice.wav`), and transcribes the served clips three ways:

  1. open vocabulary: PocketSphinx's US English model and language model as shipped; each
     recognised word that names a character (a letter, its spelling word, a digit) counts;
  2. grammar, any character: a JSGF grammar of exactly what the clips say for each of the
     36 characters ("see charlie", "three", ...), any number of them;
  3. grammar, the alphabet: the same, limited to the default alphabet's eleven letters and
     to five of them (the strongest: the attacker knows the alphabet and the length).

For each: exact (the whole answer right) and per character (1 - edit distance / length).
For people it reports STOI (short-time objective intelligibility, Taal et al. 2011) of each
served clip against its clean voice: 0..1, where above about 0.75 listeners with normal
hearing understand nearly every word of speech in noise; and the grammar recogniser on the
clean voice, to show what the noise takes away.
"""
import os
import subprocess
import sys
import tempfile
import wave

import numpy as np
from pocketsphinx import Config, Decoder
from pystoi import stoi

N = int(sys.argv[1]) if len(sys.argv) > 1 else 100
ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
WORDS = {
    "A": "ay alpha", "B": "bee bravo", "C": "see charlie", "D": "dee delta", "E": "ee echo",
    "F": "f foxtrot", "G": "gee golf", "H": "h hotel", "I": "eye india",
    "J": "jay juliet", "K": "kay kilo", "L": "el lima", "M": "em mike", "N": "en november",
    "O": "oh oscar", "P": "pee papa", "Q": "queue quebec", "R": "are romeo",
    "S": "ess sierra", "T": "tee tango", "U": "you uniform", "V": "vee victor",
    "W": "double you whiskey", "X": "ex x-ray", "Y": "why yankee", "Z": "zee zulu",
    "0": "zero", "1": "one", "2": "two", "3": "three", "4": "four", "5": "five", "6": "six",
    "7": "seven", "8": "eight", "9": "nine",
}
# The text kind's default alphabet (tower_captcha::kind::text::DEFAULT_ALPHABET).
ALPHABET = "ACDEHKMPRTY"


def samples(path):
    with wave.open(path) as w:
        raw = w.readframes(w.getnframes())
    pcm8 = (np.frombuffer(raw, dtype=np.uint8).astype(np.float32) - 128.0) / 128.0
    return pcm8


def pcm16k(x):
    """8 kHz float samples as 16 kHz 16-bit PCM bytes (PocketSphinx's model is 16 kHz)."""
    up = np.interp(np.arange(0, len(x), 0.5), np.arange(len(x)), x)
    return (np.clip(up, -1, 1) * 32767).astype(np.int16).tobytes()


def word_to_char():
    table = {}
    for c, said in WORDS.items():
        for w in said.split():
            table.setdefault(w, c)
    # What the open language model writes for some of them.
    table.update({"see": "C", "sea": "C", "c": "C", "e": "E", "k": "K", "okay": "K",
                  "kilo": "K", "m": "M", "n": "N", "and": "N", "are": "R", "r": "R",
                  "t": "T", "tea": "T", "tee": "T", "for": "4", "free": "3",
                  "a": "A", "eh": "A", "d": "D", "dee": "D", "h": "H", "age": "H",
                  "p": "P", "pee": "P", "pea": "P", "y": "Y", "why": "Y"})
    return table


def grammar(chars, length, directory, name):
    alts = " | ".join(WORDS[c] for c in chars)
    repeat = " ".join(["<c>"] * length) if length else "<c>+"
    path = os.path.join(directory, name + ".gram")
    with open(path, "w") as f:
        f.write(f"#JSGF V1.0;\ngrammar {name};\npublic <s> = {repeat};\n<c> = {alts};\n")
    return path


def decoder(jsgf=None):
    config = Config(samprate=16000, loglevel="FATAL")
    if jsgf:
        config["jsgf"] = jsgf
        config["lm"] = None
    return Decoder(config)


def transcribe(dec, x, by_words):
    dec.start_utt()
    dec.process_raw(pcm16k(x), full_utt=True)
    dec.end_utt()
    hyp = dec.hyp().hypstr if dec.hyp() else ""
    if by_words is None:
        return hyp
    words = hyp.split()
    out, i = "", 0
    while i < len(words):
        # A phrase of the grammar: its first word names the character.
        c = by_words.get(words[i])
        if c:
            out += c
            i += len(WORDS[c].split()) if " ".join(words[i:i + len(WORDS[c].split())]) == WORDS[c] else 1
        else:
            i += 1
    return out


def open_vocabulary(hyp, table):
    out, words, i = "", hyp.split(), 0
    while i < len(words):
        c = table.get(words[i])
        if c:
            out += c
            # "see charlie": the letter and its word name one character.
            if i + 1 < len(words) and table.get(words[i + 1]) == c:
                i += 1
        i += 1
    return out


def distance(a, b):
    d = list(range(len(b) + 1))
    for i, ca in enumerate(a, 1):
        prev, d[0] = d[0], i
        for j, cb in enumerate(b, 1):
            prev, d[j] = d[j], min(d[j] + 1, d[j - 1] + 1, prev + (ca != cb))
    return d[len(b)]


def main():
    with tempfile.TemporaryDirectory() as directory:
        subprocess.run(["cargo", "run", "--quiet", "--release", "--example", "sample", "--",
                        "--audio", directory, str(N)], cwd=ROOT, check=True,
                       stdout=subprocess.DEVNULL)
        answers = [line.split() for line in open(os.path.join(directory, "answers.txt"))]
        first = {said.split()[0]: c for c, said in WORDS.items()}
        first["double"] = "W"
        attacks = [
            ("open vocabulary", decoder(), None),
            ("grammar, any character", decoder(grammar(WORDS, 0, directory, "any")), first),
            ("grammar, alphabet and length", decoder(grammar(ALPHABET, 5, directory, "five")), first),
        ]
        table = word_to_char()
        scores = {name: [0, 0.0] for name, _, _ in attacks}
        clean = [0, 0.0]
        stois, sizes, misses = [], [], {}
        for name, answer in answers:
            stem = os.path.join(directory, name[:-4])
            noisy, voice = samples(stem + ".wav"), samples(stem + "-voice.wav")
            sizes.append(os.path.getsize(stem + ".wav"))
            stois.append(stoi(voice, noisy, 8000, extended=False))
            for label, dec, by_words in attacks:
                hyp = transcribe(dec, noisy, by_words)
                got = open_vocabulary(hyp, table) if by_words is None else hyp
                scores[label][0] += got == answer
                scores[label][1] += max(0.0, 1 - distance(got, answer) / len(answer))
                if label.startswith("grammar, alphabet") and got != answer:
                    misses[(answer, got)] = misses.get((answer, got), 0) + 1
            got = transcribe(attacks[2][1], voice, first)
            clean[0] += got == answer
            clean[1] += max(0.0, 1 - distance(got, answer) / len(answer))
        n = len(answers)
        print(f"{n} fresh audio challenges, {np.median(sizes) / 1000:.0f} kB median, "
              f"{np.median(sizes) / 8000:.1f} s")
        print("| recogniser | exact | per character |\n|---|---|---|")
        for label, _, _ in attacks:
            e, c = scores[label]
            print(f"| PocketSphinx, {label} | {e}/{n} = {100 * e / n:.0f}% | {100 * c / n:.0f}% |")
        print(f"| (the same, clean voice without noise) | {clean[0]}/{n} = {100 * clean[0] / n:.0f}% "
              f"| {100 * clean[1] / n:.0f}% |")
        print(f"STOI, served clip vs its clean voice: median {np.median(stois):.2f}, "
              f"min {min(stois):.2f}, share >= 0.75: {100 * np.mean(np.array(stois) >= 0.75):.0f}%")
        worst = sorted(misses.items(), key=lambda kv: -kv[1])[:5]
        print("grammar misses (answer -> heard):", ", ".join(f"{a}->{g}" for (a, g), _ in worst))


if __name__ == "__main__":
    main()
