"""The demo: train, evaluate and export the date translator, offline.

    pip install -e ".[examples]" && python -m keras_gated.examples.dates

trains the attention translator of `date_translator` on written dates
generated locally (`date_data`), then:

- prints the held-out exact match (dates never seen in training) with
  greedy decoding and with beam search, and a few translations;
- saves the model to `date_translator.keras`;
- writes `attention.png`, heatmaps of where the decoder looked;
- exports a TensorFlow SavedModel to `saved_model/`, with a `translate`
  endpoint (strings in, ISO strings out, beam search in the graph) and a
  `translate_ids` endpoint (character ids in, token ids out); reloads it
  with `tf.saved_model.load` and translates new strings with it (on the
  TensorFlow backend; other backends skip this step and say so);
- writes `report.json`: the exact matches, the times, the versions and
  the CPU they were measured on (`keras_gated.examples.machine`);
- prints where all of it went.

Bad flags, an output folder that cannot be written and a missing
matplotlib are reported before training starts, as argparse errors.

Run `python -m keras_gated.examples.dates --help` for the flags.
"""

import argparse
import datetime
import json
import pathlib
import tempfile
import time

import keras

from keras_gated.examples import date_data
from keras_gated.examples import machine
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
    if args.seed < 0:
        # NumPy's generators and `keras.utils.set_random_seed` refuse it.
        parser.error(f"--seed must be non-negative, got {args.seed}")
    days = (date_data.LAST_DATE - date_data.FIRST_DATE).days + 1
    if args.train_size + args.test_size > days:
        parser.error(
            f"--train-size {args.train_size} with --test-size "
            f"{args.test_size}: at most {days} examples in all (one per day "
            f"from {date_data.FIRST_DATE} to {date_data.LAST_DATE}, the "
            "held-out dates being disjoint from the training dates)"
        )
    _check_writable(parser, args.output_dir)
    try:
        import matplotlib.figure  # noqa: F401
    except ImportError:
        parser.error(
            "the demo draws its attention heatmaps with matplotlib, which "
            'is not installed: pip install -e ".[examples]"'
        )
    return args


def _check_writable(parser, output_dir):
    """Creates `output_dir`, or ends in an argparse error naming the flag."""
    try:
        output_dir.mkdir(parents=True, exist_ok=True)
        with tempfile.TemporaryFile(dir=output_dir):
            pass
    except OSError as error:
        parser.error(
            f"--output-dir {str(output_dir)!r} cannot be written: "
            f"{error.strerror or error}"
        )


def main(argv=None):
    """Runs the demo; returns a dict of the figures and paths it printed."""
    args = parse_args(argv)
    output_dir = args.output_dir
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
    train_seconds = time.perf_counter() - started
    keras_file = output_dir / "date_translator.keras"
    translator.model.save(keras_file)

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

    report["keras_file"] = keras_file
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
    report["train_seconds"] = train_seconds
    report["json_report"] = output_dir / "report.json"
    report["json_report"].write_text(
        json.dumps(json_report(args, report), indent=2) + "\n"
    )
    print(f"\nDone in {report['seconds']:.0f} s. Wrote:")
    print(f"  {report['keras_file']}  (keras.saving.load_model)")
    print(f"  {report['heatmap']}  (attention heatmaps)")
    print(f"  {report['json_report']}  (figures, versions, CPU)")
    if "saved_model" in report:
        print(
            f"  {report['saved_model']}/  (tf.saved_model.load(path)"
            '.translate(tf.constant(["3 May 1998"])))'
        )
    return report


def json_report(args, report):
    """The figures of a run, with the flags and the machine they came from."""
    return {
        "command": "python -m keras_gated.examples.dates",
        "flags": {
            name: str(value) if isinstance(value, pathlib.Path) else value
            for name, value in sorted(vars(args).items())
        },
        "greedy_exact_match": report["greedy_exact_match"],
        "beam_exact_match": report["beam_exact_match"],
        "train_seconds": round(report["train_seconds"], 1),
        "total_seconds": round(report["seconds"], 1),
        "date": datetime.datetime.now(datetime.timezone.utc).strftime(
            "%Y-%m-%d"
        ),
        "machine": machine.describe(),
    }


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
