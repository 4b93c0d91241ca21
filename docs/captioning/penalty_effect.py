"""The effect of the doubly stochastic attention penalty on the captioner.

Trains `ShapesCaptioner` (notebooks/06_image_captioning.ipynb's settings,
longer) with and without the penalty, over several seeds, and writes
`penalty_effect.json` and `penalty_effect.md` next to this script, with the
machine it ran on; with `--figure`, also the overlay figure of the first
penalized model to `docs/images/show_attend_tell.png` (the committed one
comes from a run of the notebook).

For each run it reports the held-out exact match and BLEU (greedy and beam
search) and two statistics of the attention over the 8×8 grid, on the
held-out scenes with their true captions:

- `coverage_std`: the standard deviation over the cells of `Σ_t α_ti`
  (what the penalty pushes towards 1: lower is more even);
- `entropy`: the mean entropy of `α_t`, in nats (log 64 ≈ 4.16 is
  uniform; lower is sharper).

    python docs/captioning/penalty_effect.py --epochs 16 --seeds 0 1 \\
        --penalties 0 0.01 1
"""

import argparse
import json
import pathlib
import statistics
import time

HERE = pathlib.Path(__file__).parent


def attention_statistics(captioner, scenes):
    import numpy as np

    rows = captioner.alignments(scenes.images, scenes.captions)
    coverage = np.stack([r.sum(0) for r in rows])
    alphas = np.concatenate(rows)
    entropy = -np.sum(alphas * np.log(np.maximum(alphas, 1e-12)), axis=-1)
    return {
        "coverage_std": float(coverage.std(axis=-1).mean()),
        "entropy": float(entropy.mean()),
    }


def run(penalty, seed, args, train, test):
    import keras

    from keras_gated.examples import shapes_captioning as sc

    keras.utils.set_random_seed(seed)
    captioner = sc.ShapesCaptioner(
        units=args.units,
        embedding_dim=16,
        filters=args.filters,
        attention_penalty=penalty,
    )
    start = time.perf_counter()
    captioner.fit(
        train,
        epochs=args.epochs,
        batch_size=32,
        learning_rate=args.learning_rate,
        verbose=0,
    )
    seconds = time.perf_counter() - start
    greedy = captioner.caption(test.images)
    beam = captioner.caption(test.images, beam_width=3)
    result = {
        "penalty": penalty,
        "seed": seed,
        "fit_seconds": round(seconds, 1),
        "greedy_exact_match": sc.exact_match(greedy, test.captions),
        "greedy_bleu": sc.bleu(greedy, test.captions),
        "beam_exact_match": sc.exact_match(beam, test.captions),
        "beam_bleu": sc.bleu(beam, test.captions),
        **attention_statistics(captioner, test),
    }
    print(json.dumps(result), flush=True)
    return captioner, result


def write_figure(captioner, test):
    from keras_gated.examples.attention_plot import alignment_maps
    from keras_gated.examples.attention_plot import overlay_figure

    index = next(i for i, s in enumerate(test.shapes) if len(s) == 2)
    image = test.images[index : index + 1]
    (caption,) = captioner.caption(image)
    (weights,) = captioner.alignments(image, [caption])
    figure = overlay_figure(
        image[0],
        caption.split() + ["<end>"],
        alignment_maps(weights, 8, 8),
        columns=10,
    )
    figure.suptitle(f"Show, Attend and Tell on a generated scene: {caption!r}")
    path = HERE.parents[1] / "docs" / "images" / "show_attend_tell.png"
    figure.savefig(path, dpi=110)
    return path


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--penalties", type=float, nargs="+", default=[0, 0.01, 1]
    )
    parser.add_argument("--seeds", type=int, nargs="+", default=[0, 1])
    parser.add_argument("--epochs", type=int, default=16)
    parser.add_argument("--train", type=int, default=2000)
    parser.add_argument("--units", type=int, default=48)
    parser.add_argument("--filters", type=int, default=24)
    parser.add_argument("--learning-rate", type=float, default=1e-2)
    parser.add_argument("--figure", action="store_true")
    args = parser.parse_args()

    from keras_gated.examples import machine
    from keras_gated.examples import shapes_captioning as sc

    train = sc.make_scenes(args.train, seed=0)
    test = sc.make_scenes(300, seed=1)
    results, figure = [], None
    for penalty in args.penalties:
        for seed in args.seeds:
            captioner, result = run(penalty, seed, args, train, test)
            results.append(result)
            if args.figure and figure is None and penalty > 0:
                figure = write_figure(captioner, test)
    report = {
        "settings": vars(args),
        "reduction": sc.PENALTY_REDUCTION,
        "machine": machine.describe(),
        "note": "CPU timings measured on a shared, loaded machine.",
        "runs": results,
    }
    (HERE / "penalty_effect.json").write_text(json.dumps(report, indent=2))
    keys = [
        "greedy_exact_match", "greedy_bleu", "beam_exact_match",
        "beam_bleu", "coverage_std", "entropy",
    ]  # fmt: skip
    lines = [
        "# The doubly stochastic penalty on the shapes captioner",
        "",
        f"Written by `penalty_effect.py` ({args.epochs} epochs of "
        f"{args.train} scenes, seeds {args.seeds}, 300 held-out scenes; "
        f"penalty averaged over the 64 cells, `{sc.PENALTY_REDUCTION}`).",
        f"Machine: {machine.one_line()} (shared with other jobs).",
        "",
        "Medians over the seeds:",
        "",
        "| λ | " + " | ".join(keys) + " |",
        "|---" * (len(keys) + 1) + "|",
    ]
    for penalty in args.penalties:
        runs = [r for r in results if r["penalty"] == penalty]
        cells = [f"{statistics.median(r[k] for r in runs):.3f}" for k in keys]
        lines.append(f"| {penalty:g} | " + " | ".join(cells) + " |")
    (HERE / "penalty_effect.md").write_text("\n".join(lines) + "\n")
    print("\n".join(lines))
    if figure is not None:
        print(f"wrote {figure}")


if __name__ == "__main__":
    main()
