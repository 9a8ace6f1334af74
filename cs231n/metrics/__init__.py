"""Metrics that compare model outputs with data.

- :mod:`cs231n.metrics.bleu`: corpus BLEU-4 of generated captions against every reference caption of
  each image, and the baseline that captions every image with the most frequent training caption.
- :mod:`cs231n.metrics.frechet`: the Fréchet distance that compares the GAN notebook's generators, on
  the features of a small classifier trained on the same dataset (not an FID), and fit_classifier, the
  training loop of that classifier and of ddpm_features' one.
- :mod:`cs231n.metrics.ddpm_features`: the DDPM notebook's scoring: features of a classifier trained on
  the embedded scenes (or of a fixed random CNN on the emoji) for the same Fréchet distance.

Modules here import only cs231n.data, cs231n.models and cs231n.checks (never the assignment's
modules), and this file imports nothing, so a numpy-only
metric can live beside a torch one.
"""
