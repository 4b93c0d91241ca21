"""Grid RNNs (Kalchbrenner et al. 2015), as TensorFlow 1.15 contrib's."""
