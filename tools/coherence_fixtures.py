#!/usr/bin/env python3
"""Writes tests/fixtures/coherence/gensim.json: texts, topics and gensim's c_npmi, c_v and u_mass
per topic, which tests/coherence.rs checks themata's scores against.

Three cases:
- seeds_paragraphs / seeds_documents: the seed corpus run by themata (paragraph units, then
  document units), tokenised by themata itself (`themata eval RUN --write-tokens`), scored on the
  run's own themes' top 10 terms plus two deliberately incoherent topics;
- edge_cases: random texts over a small vocabulary (empty texts, texts shorter than both windows,
  words repeated inside a window), with a topic holding a word that occurs in no text.

Needs gensim from PyPI (`pip install gensim`) and a built themata binary:
    cargo build && python3 tools/coherence_fixtures.py [--themata target/debug/themata]
"""

import argparse
import json
import os
import random
import subprocess
import sys
import tempfile

TOP_N = 10
MEASURES = ("c_npmi", "c_v", "u_mass")


def gensim_scores(texts, topics, processes=1):
    """gensim's per-topic c_npmi, c_v and u_mass of `topics` (lists of words) on `texts`."""
    from gensim.corpora import Dictionary
    from gensim.models.coherencemodel import CoherenceModel

    dictionary = Dictionary(texts)
    out = {}
    for m in MEASURES:
        cm = CoherenceModel(topics=topics, texts=texts, dictionary=dictionary, coherence=m,
                            topn=TOP_N, processes=processes)
        out[m] = [float(x) for x in cm.get_coherence_per_topic()]
    return out


def themata_tokens(themata, args, workdir, name):
    """Runs themata on the seeds with `args`; returns (tokens per unit, top terms per theme)."""
    subprocess.run([themata, "run", *args, "--out", workdir, "--name", name, "--charts", "none",
                    "-q"], check=True)
    run = os.path.join(workdir, name)
    tokens_path = os.path.join(workdir, name + ".tokens.jsonl")
    subprocess.run([themata, "eval", run, "--write-tokens", tokens_path], check=True,
                   stdout=subprocess.DEVNULL)
    with open(tokens_path) as f:
        texts = [json.loads(line) for line in f]
    with open(os.path.join(run, "run.json")) as f:
        report = json.load(f)
    topics = [[t["term"] for t in theme["terms"][:TOP_N]] for theme in report["themes"]]
    return texts, topics


def incoherent(topics, texts, seed):
    """Two topics of words that have little to do with each other: each theme's 5th term, and
    ten frequent words drawn at random."""
    rng = random.Random(seed)
    mixed = []
    for t in topics:
        if len(t) > 4 and t[4] not in mixed:
            mixed.append(t[4])
    counts = {}
    for text in texts:
        for w in text:
            counts[w] = counts.get(w, 0) + 1
    frequent = sorted((w for w, c in counts.items() if c >= 3), key=lambda w: (-counts[w], w))
    drawn = rng.sample(frequent[:200], min(10, len(frequent[:200])))
    return [mixed[:TOP_N], drawn]


def edge_cases(seed):
    rng = random.Random(seed)
    vocab = ["alpha", "beta", "gamma", "delta", "eps", "zeta", "eta", "theta", "iota", "kappa"]
    filler = ["x%d" % i for i in range(30)]
    texts = []
    for i in range(120):
        n = rng.choice([0, 1, 3, 9, 10, 11, 40, 109, 110, 111, 150, 260])
        # Repeats close together trigger gensim's unmarking of a word that leaves the window
        # while another occurrence of it is still inside.
        texts.append([rng.choice(vocab) if rng.random() < 0.3 else rng.choice(filler)
                      for _ in range(n)])
    topics = [vocab[:5], vocab[5:], ["alpha", "x1", "x2", "gamma", "x3", "x4", "missing"],
              ["beta", "beta2", "kappa"]]
    return texts, topics


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--themata", default=os.path.join(
        os.environ.get("CARGO_TARGET_DIR", "target"), "debug", "themata"))
    ap.add_argument("--out", default="tests/fixtures/coherence/gensim.json")
    args = ap.parse_args()
    import gensim

    cases = []
    with tempfile.TemporaryDirectory() as work:
        for name, run_args in [("seeds_paragraphs", []),
                               ("seeds_documents", ["--unit", "document", "--k", "3"])]:
            texts, topics = themata_tokens(args.themata, run_args, work, name)
            topics = topics + incoherent(topics, texts, seed=len(cases))
            cases.append({"name": name, "texts": texts, "topics": topics})
    texts, topics = edge_cases(seed=7)
    cases.append({"name": "edge_cases", "texts": texts, "topics": topics})
    for case in cases:
        case.update(gensim_scores(case["texts"], case["topics"]))
        print(case["name"], {m: [round(x, 4) for x in case[m]] for m in MEASURES},
              file=sys.stderr)
    os.makedirs(os.path.dirname(args.out), exist_ok=True)
    with open(args.out, "w") as f:
        json.dump({"generated_by": "tools/coherence_fixtures.py", "gensim": gensim.__version__,
                   "top_n": TOP_N, "cases": cases}, f, separators=(",", ":"))
        f.write("\n")


if __name__ == "__main__":
    main()
