"""Metrics that compare model outputs with data.

- :mod:`cs231n.metrics.frechet`: the Fréchet distance that compares the GAN notebook's generators, on
  the features of a small classifier trained on the same dataset (not an FID).

Modules here never import the assignment's modules, and this file imports nothing, so a numpy-only
metric can live beside a torch one.
"""
