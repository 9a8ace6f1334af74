"""A small CNN trained on the generated scenes: our offline stand-in for VGG16 and SqueezeNet.

The real captioning features are VGG16's fc7 activations, a network trained to name ImageNet classes.
SceneNet mirrors that pipeline on the scenes. Its classifier names the colour and kind of the shape
from globally max-pooled convolutional features (SqueezeNet pools globally too); pooling makes it
blind to where the shape is, which is why it learns in a few epochs. Its "fc" features keep the where:
the feature maps averaged over a 4x4 grid (64 x 16 = 1024 numbers), trained through linear auxiliary
heads to tell class, size, position and background apart, so that they describe everything a caption
mentions. Those are the captioning features.

The network knows nothing of the scenes themselves: the caller names the heads and their sizes
(`cs231n.data.coco_sample` trains it on the scenes and loads it for the network-visualization notebook).
"""

import numpy as np
import torch
from torch import nn
from tqdm.auto import tqdm

from cs231n.models.normalization import IMAGENET_MEAN, IMAGENET_STD

FEATURE_DIM = 1024


class SceneNet(nn.Module):
    """Input: (N, 3, 64, 64) images normalised with IMAGENET_MEAN/STD. Output: class scores (N, C).

    head_sizes: {head name: number of labels}, with a "class" head (C labels, the classifier's); every
    head is a linear layer on the fc features, used only in training.
    """

    def __init__(self, head_sizes):
        super().__init__()
        if "class" not in head_sizes:
            raise ValueError(f"SceneNet: head_sizes needs a 'class' entry, got {sorted(head_sizes)}")

        def block(c_in, c_out):
            return [nn.Conv2d(c_in, c_out, 3, padding=1), nn.BatchNorm2d(c_out), nn.ReLU(inplace=True),
                    nn.MaxPool2d(2)]

        self.features = nn.Sequential(*block(3, 16), *block(16, 32), *block(32, 64))  # (N, 64, 8, 8)
        self.classifier = nn.Linear(64, head_sizes["class"])
        # Linear heads on the fc features, used only in training, so that those features are pushed to
        # separate everything a caption mentions, not only the class.
        self.aux = nn.ModuleDict({name: nn.Linear(FEATURE_DIM, n) for name, n in head_sizes.items()})

    def embed(self, x):
        """The fc features (N, 1024), the analogue of VGG16's fc7: the 64 feature maps averaged over a
        4x4 grid, so they say what is in the image (channels) and where (grid cells)."""
        return nn.functional.adaptive_avg_pool2d(self.features(x), 4).flatten(1)

    def forward(self, x):
        return self.classifier(self.features(x).amax(dim=(2, 3)))  # (N, 64) -> (N, C)


def normalize_images(images):
    """uint8 images (N, H, W, 3) -> float tensor (N, 3, H, W) normalised like SqueezeNet's input."""
    x = torch.from_numpy(np.ascontiguousarray(images)).float().div_(255)
    x = (x - torch.from_numpy(IMAGENET_MEAN)) / torch.from_numpy(IMAGENET_STD)
    return x.permute(0, 3, 1, 2).contiguous()


def train_scene_net(images, labels, val_images, val_labels, head_sizes, epochs=3, batch_size=32, seed=0,
                    progress=True):
    """Train a SceneNet on uint8 images (N, 64, 64, 3).

    labels / val_labels: dicts of int arrays, one per head of head_sizes ({name: number of labels},
    with 'class'). Returns (model in eval mode, validation accuracy on the 'class' labels).
    """
    torch.manual_seed(seed)
    rng = np.random.default_rng(seed)
    model = SceneNet(head_sizes)
    opt = torch.optim.Adam(model.parameters(), lr=3e-3)
    x_all = normalize_images(images)
    y_all = {k: torch.from_numpy(np.asarray(v, dtype=np.int64)) for k, v in labels.items()}
    steps = epochs * int(np.ceil(len(x_all) / batch_size))
    sched = torch.optim.lr_scheduler.MultiStepLR(opt, milestones=[int(0.7 * steps)], gamma=0.2)
    bar = tqdm(total=steps, desc="Training the scene classifier", disable=None if progress else True, leave=False)
    model.train()
    for _ in range(epochs):
        order = torch.from_numpy(rng.permutation(len(x_all)))
        for start in range(0, len(order), batch_size):
            idx = order[start:start + batch_size]
            conv = model.features(x_all[idx])
            loss = nn.functional.cross_entropy(model.classifier(conv.amax(dim=(2, 3))), y_all["class"][idx])
            h = nn.functional.adaptive_avg_pool2d(conv, 4).flatten(1)
            for name, head in model.aux.items():
                loss = loss + 0.5 * nn.functional.cross_entropy(head(h), y_all[name][idx])
            opt.zero_grad()
            loss.backward()
            opt.step()
            sched.step()
            bar.update(1)
            bar.set_postfix(loss=f"{loss.item():.3f}")
    bar.close()
    model.eval()
    pred = predict(model, val_images)
    return model, float(np.mean(pred == np.asarray(val_labels["class"])))


@torch.no_grad()
def predict(model, images, batch_size=500):
    """Predicted class indices for uint8 images (N, H, W, 3)."""
    return np.concatenate([model(normalize_images(images[i:i + batch_size])).argmax(1).numpy()
                           for i in range(0, len(images), batch_size)])


@torch.no_grad()
def embed_images(model, images, batch_size=500):
    """fc features (N, 1024) float32 for uint8 images (N, H, W, 3)."""
    return np.concatenate([model.embed(normalize_images(images[i:i + batch_size])).numpy()
                           for i in range(0, len(images), batch_size)]).astype(np.float32)


def save_scene_net(model, path, class_names, val_accuracy):
    """Write the weights, the class names and the validation accuracy to a checkpoint file."""
    torch.save({"state_dict": model.state_dict(), "class_names": list(class_names),
                "val_accuracy": val_accuracy}, path)


def load_scene_net(path):
    """(model in eval mode, class names, validation accuracy) from a checkpoint of save_scene_net.

    The heads' sizes are read off the saved weights, so a checkpoint needs nothing else to be rebuilt.
    """
    ckpt = torch.load(path, map_location="cpu", weights_only=True)
    state = ckpt["state_dict"]
    heads = {key.split(".")[1]: state[key].shape[0] for key in state
             if key.startswith("aux.") and key.endswith(".weight")}
    model = SceneNet(heads)
    model.load_state_dict(state)
    model.eval()
    return model, list(ckpt["class_names"]), float(ckpt["val_accuracy"])
