#!/usr/bin/env python3
"""Scores a themata run's themes with gensim on the run's own tokens and compares with run.json.

    python3 tools/coherence_parity.py RUN_DIR [--themata target/release/themata]

The tokens are themata's (`themata eval RUN_DIR --write-tokens`: the vectorizer's analyser over
the unit texts in run.json), the topics each theme's top 10 terms; gensim's CoherenceModel scores
c_npmi, c_v and u_mass per theme. Prints both, the largest differences and gensim's time.
Needs gensim from PyPI.
"""

import argparse
import json
import os
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from coherence_fixtures import MEASURES, TOP_N, gensim_scores  # noqa: E402


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("run_dir")
    ap.add_argument("--themata", default=os.path.join(
        os.environ.get("CARGO_TARGET_DIR", "target"), "release", "themata"))
    args = ap.parse_args()
    import subprocess

    with open(os.path.join(args.run_dir, "run.json")) as f:
        report = json.load(f)
    if "coherence" not in report:
        sys.exit("run.json has no coherence scores: run it with a themata that scores them")
    with tempfile.TemporaryDirectory() as work:
        path = os.path.join(work, "tokens.jsonl")
        subprocess.run([args.themata, "eval", args.run_dir, "--write-tokens", path], check=True,
                       stdout=subprocess.DEVNULL)
        with open(path) as f:
            texts = [json.loads(line) for line in f]
    topics = [[t["term"] for t in theme["terms"][:TOP_N]] for theme in report["themes"]]
    t0 = time.perf_counter()
    gensim = gensim_scores(texts, topics)
    seconds = time.perf_counter() - t0
    ours = {m: [theme["coherence"][m] for theme in report["themes"]] for m in MEASURES}
    print("theme " + " ".join("%9s %9s" % ("themata", "gensim") for _ in MEASURES)
          + "   (" + ", ".join(MEASURES) + ")")
    for i in range(len(topics)):
        print("%5d " % (i + 1)
              + " ".join("%9.5f %9.5f" % (ours[m][i], gensim[m][i]) for m in MEASURES))
    for m in MEASURES:
        diffs = [abs(a - b) for a, b in zip(ours[m], gensim[m])]
        mean_ours = sum(ours[m]) / len(ours[m])
        mean_gensim = sum(gensim[m]) / len(gensim[m])
        print("%-7s mean themata %.6f gensim %.6f; largest difference per theme %.2e"
              % (m, mean_ours, mean_gensim, max(diffs)))
    print("units %d, tokens %d, themes %d; gensim took %.1f s for the three measures"
          % (len(texts), sum(map(len, texts)), len(topics), seconds))


if __name__ == "__main__":
    main()
