"""Worked examples: the date translator of the demo and the notebooks.

- `keras_gated.examples.date_data`: human-readable dates in many formats,
  generated locally, and their character vocabularies;
- `keras_gated.examples.date_translator`: the attention translator from
  those dates to ISO `YYYY-MM-DD` (model, training, greedy and beam-search
  decoding, alignments, SavedModel export);
- `keras_gated.examples.attention_plot`: attention heatmaps;
- `keras_gated.examples.dates`: the demo command,
  `python -m keras_gated.examples.dates`;
- `keras_gated.examples.machine`: the CPU and versions a figure came from
  (the demo's `report.json`, `benchmarks/rnn_speed.py`).

Install the extras first: `pip install -e ".[examples]"` (matplotlib).
"""
