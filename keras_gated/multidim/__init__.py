"""Multi-dimensional recurrent layers over images (2-D LSTMs)."""
