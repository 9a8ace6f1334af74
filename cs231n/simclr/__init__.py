"""SimCLR, the self-supervised learning question of the 2021-2025 editions (Self_Supervised_Learning.ipynb).

- contrastive_loss.py: the NT-Xent loss, a loop version then a vectorised one (you implement them);
- data_utils.py: the augmentations (you complete them), CIFAR10Pair (two views of one image) and the
  offline stand-in's pair dataset;
- model.py: the encoder f and the projection head g (given);
- utils.py: one epoch of contrastive training (you write its loss), the linear probe and the kNN monitor.
"""
