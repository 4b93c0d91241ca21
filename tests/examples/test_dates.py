import keras
import pytest
import tensorflow as tf

from keras_gated.examples import dates
from keras_gated.examples.date_translator import DateTranslator

TINY = ["--epochs", "1", "--train-size", "64", "--test-size", "8",
        "--units", "8", "--batch-size", "32", "--beam-width", "2"]  # fmt: skip


def test_defaults():
    args = dates.parse_args([])
    assert (args.epochs, args.train_size, args.test_size) == (5, 8000, 1000)
    assert (args.beam_width, args.seed, str(args.output_dir)) == (
        3,
        0,
        "date_translator",
    )


@pytest.mark.parametrize("flag", ["--epochs", "--train-size", "--beam-width"])
def test_refuses_non_positive_sizes(flag, capsys):
    with pytest.raises(SystemExit):
        dates.parse_args([flag, "0"])
    assert f"{flag} must be positive" in capsys.readouterr().err


def test_main_trains_evaluates_and_writes_everything(tmp_path, capsys):
    out = tmp_path / "demo"
    report = dates.main([*TINY, "--output-dir", str(out)])
    printed = capsys.readouterr().out

    assert 0.0 <= report["greedy_exact_match"] <= 1.0
    assert 0.0 <= report["beam_exact_match"] <= 1.0
    assert "Held-out exact match (8 unseen dates)" in printed

    assert report["heatmap"] == out / "attention.png"
    assert report["heatmap"].read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"

    loaded = DateTranslator.load(report["keras_file"])
    assert len(loaded.translate(["3 May 1998"])) == 1

    if keras.backend.backend() != "tensorflow":
        assert "SavedModel export skipped" in printed
        assert "saved_model" not in report
        return
    serving = tf.saved_model.load(str(out / "saved_model"))
    result = serving.translate(tf.constant(["3 May 1998", "05/03/98"]))
    assert result["translations"].shape == (2,)
    assert result["sequences"].shape == (2, 11)
    assert len(report["new_translations"]) == len(dates.NEW_DATES)
    for path in ("attention.png", "date_translator.keras", "saved_model"):
        assert str(out / path) in printed
