"""The demo: train, evaluate and export the date translator, offline.

    pip install -e ".[examples]" && python -m keras_gated.examples.dates

trains the attention translator of `date_translator` on written dates
generated locally (`date_data`), then:

- prints the held-out exact match (dates never seen in training) with
  greedy decoding and with beam search, and a few translations;
- writes `attention.png`, heatmaps of where the decoder looked;
- saves the model to `date_translator.keras`;
- exports a TensorFlow SavedModel to `saved_model/`, with a `translate`
  endpoint (strings in, ISO strings out, beam search in the graph) and a
  `translate_ids` endpoint (character ids in, token ids out); reloads it
  with `tf.saved_model.load` and translates new strings with it (on the
  TensorFlow backend; other backends skip this step and say so);
- prints where all of it went.

Run `python -m keras_gated.examples.dates --help` for the flags.
"""

import argparse
import pathlib
import time

import keras

from keras_gated.examples import date_data
from keras_gated.examples.attention_plot import attention_figure
from keras_gated.examples.date_translator import DateTranslator
from keras_gated.examples.date_translator import exact_match

# May 3rd, 1998 six ways (slashes put the month first, dots the day), and two
# more dates.
NEW_DATES = [
    "Sunday, May 3, 1998",
    "3 May 1998",
    "05/03/98",
    "3.5.1998",
    "May 3rd 1998",
    "1998-05-03",
    "4th of July 2026",
    "25 Dec 49",
]


def parse_args(argv=None):
    """The command-line flags; `argv=None` reads `sys.argv`."""
    parser = argparse.ArgumentParser(
        prog="python -m keras_gated.examples.dates",
        description="Train, evaluate and export an attention translator "
        "from written dates to ISO YYYY-MM-DD, on locally generated data.",
    )
    parser.add_argument("--epochs", type=int, default=5)
    parser.add_argument(
        "--output-dir",
        type=pathlib.Path,
        default=pathlib.Path("date_translator"),
        help="where the PNG, the .keras file and the SavedModel go "
        "(default: ./date_translator)",
    )
    parser.add_argument("--train-size", type=int, default=8000)
    parser.add_argument(
        "--test-size",
        type=int,
        default=1000,
        help="held-out examples, on dates never seen in training",
    )
    parser.add_argument("--units", type=int, default=64)
    parser.add_argument("--batch-size", type=int, default=64)
    parser.add_argument(
        "--beam-width",
        type=int,
        default=3,
        help="beam width of the evaluation and of the SavedModel",
    )
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args(argv)
    for name in ("epochs", "train_size", "test_size", "units", "batch_size",
                 "beam_width"):  # fmt: skip
        if getattr(args, name) <= 0:
            parser.error(f"--{name.replace('_', '-')} must be positive")
    return args


def main(argv=None):
    """Runs the demo; returns a dict of the figures and paths it printed."""
    args = parse_args(argv)
    output_dir = args.output_dir
    output_dir.mkdir(parents=True, exist_ok=True)
    started = time.perf_counter()

    keras.utils.set_random_seed(args.seed)
    train, test = date_data.make_splits(
        args.train_size, args.test_size, seed=args.seed
    )
    print(
        f"Training on {len(train.sources)} written dates in "
        f"{len(date_data.FORMATS)} formats, e.g. "
        f"{train.sources[0]!r} -> {train.targets[0]!r}"
    )
    translator = DateTranslator(units=args.units)
    translator.fit(train, epochs=args.epochs, batch_size=args.batch_size)

    greedy = translator.translate(test.sources)
    beam = translator.translate(test.sources, beam_width=args.beam_width)
    report = {
        "greedy_exact_match": exact_match(greedy, test.targets),
        "beam_exact_match": exact_match(beam, test.targets),
    }
    print(f"\nHeld-out exact match ({len(test.sources)} unseen dates):")
    for label, key in [
        ("greedy decoding", "greedy_exact_match"),
        (f"beam search (width {args.beam_width})", "beam_exact_match"),
    ]:
        print(f"  {label + ':':26s} {report[key]:.2%}")
    print("\nA few held-out translations (greedy):")
    for source, output, target in list(zip(test.sources, greedy, test.targets))[
        :6
    ]:
        mark = "ok" if output == target else f"expected {target}"
        print(f"  {source:>30s} -> {output}  {mark}")

    # One heatmap per format family: words, slashes, dots, ordinals.
    shown = NEW_DATES[:4]
    outputs = translator.translate(shown)
    figure = attention_figure(
        list(zip(shown, outputs, translator.alignments(shown, outputs)))
    )
    report["heatmap"] = output_dir / "attention.png"
    figure.savefig(report["heatmap"], dpi=100)

    report["keras_file"] = output_dir / "date_translator.keras"
    translator.model.save(report["keras_file"])
    if keras.backend.backend() == "tensorflow":
        _export_and_reload(translator, output_dir, args.beam_width, report)
    else:
        # The `translate` endpoint maps `tf.string` dates to ids inside the
        # graph: TensorFlow ops that no other backend can trace.
        print(
            "\nSavedModel export skipped: its string endpoint needs "
            "KERAS_BACKEND=tensorflow (this run uses "
            f"{keras.backend.backend()!r})."
        )

    report["seconds"] = time.perf_counter() - started
    print(f"\nDone in {report['seconds']:.0f} s. Wrote:")
    print(f"  {report['heatmap']}  (attention heatmaps)")
    print(f"  {report['keras_file']}  (keras.saving.load_model)")
    if "saved_model" in report:
        print(
            f"  {report['saved_model']}/  (tf.saved_model.load(path)"
            '.translate(tf.constant(["3 May 1998"])))'
        )
    return report


def _export_and_reload(translator, output_dir, beam_width, report):
    """Exports the SavedModel, reloads it, and translates `NEW_DATES`."""
    import tensorflow as tf

    report["saved_model"] = output_dir / "saved_model"
    translator.export(report["saved_model"], beam_width=beam_width)
    reloaded = tf.saved_model.load(str(report["saved_model"]))
    results = reloaded.translate(tf.constant(NEW_DATES))
    report["new_translations"] = [
        t.decode() for t in results["translations"].numpy()
    ]
    print("\nNew strings, translated by the reloaded SavedModel:")
    for source, output in zip(NEW_DATES, report["new_translations"]):
        print(f"  {source:>30s} -> {output}")


if __name__ == "__main__":
    main()
