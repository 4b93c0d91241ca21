"""Attention decoders and decoding: `AttentionDecoderCell` and friends."""
