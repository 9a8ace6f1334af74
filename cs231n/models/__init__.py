"""Stand-ins for pretrained networks, used when the real weights cannot be had (offline).

- :mod:`cs231n.models.scene_net`: the scene classifier that replaces SqueezeNet on the generated scenes
  of the embedded captioning sample and of the network-visualization notebook.

Modules here hold networks only: they never import the assignment's modules or the data layer.
"""
