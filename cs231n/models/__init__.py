"""Networks that stand in for pretrained ones offline, and what their inputs share.

- :mod:`cs231n.models.normalization`: the ImageNet input statistics (numpy only), shared by SqueezeNet
  and the stand-ins.
- :mod:`cs231n.models.scene_net`: SceneNet, the small CNN that replaces VGG16/SqueezeNet on the generated
  scenes (training, features, checkpoints); :mod:`cs231n.data.coco_sample` trains and loads it.
- :mod:`cs231n.models.random_features`: the random-weight CNN that replaces SqueezeNet's features in the
  style-transfer notebook.

Imports point one way: modules here import only ``cs231n.models`` and ``cs231n.checks``: never the data
layer, the metrics, nor the assignment's modules (the data layer imports models, not the reverse). This
file imports nothing.
"""
