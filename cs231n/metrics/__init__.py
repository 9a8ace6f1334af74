"""Metrics that compare model outputs with data.

- :mod:`cs231n.metrics.bleu`: corpus BLEU-4 of generated captions against every reference caption of
  each image, and the baseline that captions every image with the most frequent training caption.
- :mod:`cs231n.metrics.frechet`: the Fréchet distance that compares the GAN notebook's generators, on
  the features of a small classifier trained on the same dataset (not an FID).

Modules here import only cs231n.data, cs231n.models and cs231n.checks (never the assignment's
modules), and this file imports nothing, so a numpy-only
metric can live beside a torch one.
"""
