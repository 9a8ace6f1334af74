"""Neural style transfer (Gatys, Ecker and Bethge, 2016): losses on CNN features, and the optimisation
that makes an image match them."""

from collections import namedtuple

import numpy as np
import torch
import torch.nn as nn

from cs231n.checks import rel_error  # noqa: F401  (re-exported: the classic notebook imports it from here)
from cs231n.image_utils import SQUEEZENET_MEAN, SQUEEZENET_STD, load_image
from cs231n.torch_utils import image_to_tensor, load_squeezenet, tensor_to_image, unreachable
from cs231n.torch_utils import rescale  # noqa: F401  (re-exported: part of the classic API)

# The classic module's tensor type; classic solutions write `.type(dtype)`.
dtype = torch.FloatTensor


def content_loss(content_weight, content_current, content_original):
    """
    Compute the content loss for style transfer.

    Inputs:
    - content_weight: Scalar giving the weighting for the content loss.
    - content_current: features of the current image; this is a PyTorch Tensor of shape
      (N, C_l, H_l, W_l).
    - content_original: features of the content image, Tensor with shape (N, C_l, H_l, W_l).

    Returns:
    - scalar content loss, content_weight * sum((content_current - content_original) ** 2)
    """
    # TODO: Implement the content loss, summed over every element (and over the batch).
    loss = None
    # *****START OF YOUR CODE (DO NOT DELETE/MODIFY THIS LINE)*****
    loss = content_weight * torch.sum((content_current - content_original) ** 2)
    # *****END OF YOUR CODE (DO NOT DELETE/MODIFY THIS LINE)*****
    return loss


def gram_matrix(features, normalize=True):
    """
    Compute the Gram matrix from features.

    Inputs:
    - features: PyTorch Tensor of shape (N, C, H, W) giving features for a batch of N images.
    - normalize: optional, whether to normalize the Gram matrix. If True, divide the Gram matrix
      by the number of neurons (H * W * C).

    Returns:
    - gram: PyTorch Tensor of shape (N, C, C) giving the (optionally normalized) Gram matrices for
      the N input images: gram[n, c, d] = sum over positions (h, w) of
      features[n, c, h, w] * features[n, d, h, w].
    """
    # TODO: Implement the Gram matrix with one batched matrix product (no loops).
    gram = None
    # *****START OF YOUR CODE (DO NOT DELETE/MODIFY THIS LINE)*****
    N, C, H, W = features.shape
    flat = features.reshape(N, C, H * W)  # (N, C, H*W)
    gram = torch.bmm(flat, flat.transpose(1, 2))  # (N, C, C)
    if normalize:
        gram = gram / (H * W * C)
    # *****END OF YOUR CODE (DO NOT DELETE/MODIFY THIS LINE)*****
    return gram


def style_loss(feats, style_layers, style_targets, style_weights):
    """
    Computes the style loss at a set of layers.

    Inputs:
    - feats: list of the features at every layer of the current image, as produced by
      the extract_features function.
    - style_layers: List of layer indices into feats giving the layers to include in the
      style loss.
    - style_targets: List of the same length as style_layers, where style_targets[i] is
      a PyTorch Tensor giving the Gram matrix of the source style image computed at
      layer style_layers[i].
    - style_weights: List of the same length as style_layers, where style_weights[i]
      is a scalar giving the weight for the style loss at layer style_layers[i].

    Returns:
    - style_loss: A PyTorch Tensor holding a scalar (0-d or of shape (1,)) giving the style loss,
      sum over i of style_weights[i] * sum((gram_matrix(feats[style_layers[i]]) - style_targets[i]) ** 2)
    """
    # TODO: Implement the style loss. Call gram_matrix (normalized) for each style layer; one
    # Python loop over the layers is fine.
    loss = None
    # *****START OF YOUR CODE (DO NOT DELETE/MODIFY THIS LINE)*****
    loss = 0.0
    for layer, target, weight in zip(style_layers, style_targets, style_weights):
        loss = loss + weight * torch.sum((gram_matrix(feats[layer]) - target) ** 2)
    # *****END OF YOUR CODE (DO NOT DELETE/MODIFY THIS LINE)*****
    return loss


def tv_loss(img, tv_weight):
    """
    Compute total variation loss.

    Inputs:
    - img: PyTorch Tensor of shape (N, 3, H, W) holding an input image (or a batch of them).
    - tv_weight: Scalar giving the weight w_t to use for the TV loss.

    Returns:
    - loss: PyTorch Tensor holding a scalar giving the total variation loss for img weighted by
      tv_weight: w_t * (sum of squared differences between vertically adjacent pixels + sum of
      squared differences between horizontally adjacent pixels), over all channels.
    """
    # TODO: Implement the total variation loss with slicing, no loops over pixels.
    loss = None
    # *****START OF YOUR CODE (DO NOT DELETE/MODIFY THIS LINE)*****
    down = img[:, :, 1:, :] - img[:, :, :-1, :]  # (N, 3, H-1, W)
    right = img[:, :, :, 1:] - img[:, :, :, :-1]  # (N, 3, H, W-1)
    loss = tv_weight * (torch.sum(down ** 2) + torch.sum(right ** 2))
    # *****END OF YOUR CODE (DO NOT DELETE/MODIFY THIS LINE)*****
    return loss


def extract_features(x, cnn):
    """
    Use the CNN to extract features from the input image x.

    Inputs:
    - x: A PyTorch Tensor of shape (N, C, H, W) holding a minibatch of images that
      will be fed to the CNN.
    - cnn: A PyTorch model (an nn.Sequential) that we will use to extract features.

    Returns:
    - features: A list of feature for the input images x extracted using the cnn model.
      features[i] is a PyTorch Tensor of shape (N, C_i, H_i, W_i): the output of cnn[i].
    """
    features = []
    prev_feat = x
    for module in cnn:
        next_feat = module(prev_feat)
        features.append(next_feat)
        prev_feat = next_feat
    return features


def preprocess(img, size=512):
    """Turn an image into the normalised batch of one that the feature extractors take: the classic
    pipeline, torchvision's Resize(size) (shorter side to `size`, bilinear), ToTensor, Normalize with
    SQUEEZENET_MEAN and SQUEEZENET_STD, and a leading batch dimension.

    Inputs:
    - img: A PIL image, or a uint8 array of shape (H, W, 3)
    - size: Length of the shorter side after resizing; None keeps the image's own size

    Returns: A float32 Tensor of shape (1, 3, H', W').
    """
    return image_to_tensor(img, size)


def deprocess(img):
    """Undo `preprocess` for display, as the classic helper does: drop the batch dimension, undo the
    normalisation, stretch the values linearly onto [0, 1] (`rescale`) and return a PIL image.

    Inputs:
    - img: Tensor of shape (1, 3, H, W) (a (3, H, W) tensor is taken as one image too)

    Returns: a PIL RGB image of size (W, H). For a uint8 array without the stretch, use
    `cs231n.torch_utils.tensor_to_image`.
    """
    from torchvision import transforms as T

    x = img.detach().cpu().float()
    if x.dim() == 4:
        x = x[0]  # (3, H, W)
    x = x * torch.from_numpy(SQUEEZENET_STD).float().view(3, 1, 1) + torch.from_numpy(SQUEEZENET_MEAN).float().view(3, 1, 1)
    return T.ToPILImage()(rescale(x))


def features_from_img(imgpath, imgsize, cnn):
    """Load the image file at imgpath with its shorter side imgsize, and extract its features.

    Raises FileNotFoundError or ValueError naming the file when it is missing or not an image.

    Returns (features, img): the list from `extract_features`, and the preprocessed image
    (1, 3, H, W) on the same device as cnn.
    """
    img = preprocess(load_image(imgpath), size=imgsize).to(_device_of(cnn))
    return extract_features(img, cnn), img


def random_cnn(seed=0):
    """The embedded feature extractor: a small VGG-like network with random weights, fixed by `seed`.

    Five 3x3 convolutions (64, 64, 128, 256, 256 channels), each followed by a ReLU, with 2x2 max
    pooling between them: cnn[1], cnn[4], cnn[7], cnn[10], cnn[13] are the ReLU outputs at 1, 1/2,
    1/4, 1/8 and 1/16 of the image's resolution. Weights are drawn from N(0, 2 / fan_in) (He), so
    activations keep their scale from layer to layer; biases from N(0, 0.5^2), so that each ReLU
    cuts its projection at a different level. Circular padding gives every pixel the same
    neighbourhood, so textures have no border. Nothing is trained or downloaded. Why these choices:
    README.md, "Style transfer".
    """
    gen = torch.Generator().manual_seed(seed)
    layers, c_in = [], 3
    for i, c_out in enumerate((64, 64, 128, 256, 256)):
        if i > 0:
            layers.append(nn.MaxPool2d(2))
        conv = nn.Conv2d(c_in, c_out, 3, padding=1, padding_mode="circular")
        with torch.no_grad():
            conv.weight.normal_(0.0, (2.0 / (c_in * 9)) ** 0.5, generator=gen)
            conv.bias.normal_(0.0, 0.5, generator=gen)
        layers += [conv, nn.ReLU()]
        c_in = c_out
    return nn.Sequential(*layers).eval().requires_grad_(False)


def _classic_params():
    """The classic notebook's settings of each run with SqueezeNet (Adam, 200 steps); texture synthesis
    (not in the classic notebook) is the third transfer's settings without the content term."""
    common = dict(image_size=192, content_layer=3, style_layers=(1, 4, 6, 7), optimizer="adam", num_iters=200)
    params = {
        "transfer1": dict(common, style_size=512, content_weight=5e-2, style_weights=(20000, 500, 12, 1),
                          tv_weight=5e-2),
        "transfer2": dict(common, style_size=224, content_weight=3e-2, style_weights=(200000, 800, 12, 1),
                          tv_weight=2e-2),
        "transfer3": dict(common, style_size=192, content_weight=6e-2, style_weights=(300000, 1000, 15, 3),
                          tv_weight=2e-2),
    }
    params["inversion"] = dict(params["transfer3"], style_weights=(0, 0, 0, 0), init_random=True)
    params["texture"] = dict(params["transfer3"], content_weight=0.0, init_random=True)
    return params


def _embedded_params():
    """Settings for the random-weight network on the embedded images, chosen by looking at the results
    (style weights about 1000 / |A_l|^2, so each layer counts about equally); L-BFGS, because on random
    features the loss is badly conditioned (README.md, "Style transfer")."""
    base = dict(image_size=128, style_size=192, content_layer=4, content_weight=1e-6,
                style_layers=(1, 4, 7, 10, 13), style_weights=(400, 200, 130, 70, 30), tv_weight=1e-5,
                optimizer="lbfgs", num_iters=120)
    params = {name: dict(base) for name in ("transfer1", "transfer2", "transfer3")}
    params["inversion"] = dict(base, style_weights=(0,) * 5, init_random=True)
    params["texture"] = dict(base, content_weight=0.0, init_random=True)
    return params


# Settings of each run, per feature extractor: {"squeezenet" | "random": {run: style_transfer kwargs}}.
PARAMS = {"squeezenet": _classic_params(), "random": _embedded_params()}

StyleTransferSetup = namedtuple("StyleTransferSetup", "cnn params images label answers")
StyleTransferSetup.__doc__ = """What `load_style_transfer_setup` chose.

- cnn: nn.Sequential feature extractor in eval mode, parameters frozen
- params: {run: style_transfer keyword arguments} for transfer1..3, inversion and texture
- images: {run: (content path, style path)}
- label: a few words for plot titles, e.g. "SqueezeNet features, classic images"
- answers: the classic expected values (dict of arrays from style-transfer-checks.npz: cl_out, gm_out,
  sl_out, tv_out) when SqueezeNet's ImageNet features and the verified classic files are both in
  use, else None"""


def load_style_transfer_setup(device=None, archive=None):
    """The feature extractor, the settings of each run and the images, with two lines saying which.

    Extractor: SqueezeNet 1.1's convolutional layers with torchvision's ImageNet weights (downloaded
    once into torchvision's own cache) and the classic settings of each run; when the weights cannot
    be had, or CS231N_OFFLINE=1, the embedded default `random_cnn()` with its own settings.
    Images: the classic files in datasets/styles/, verified, fetched from the official archive when
    missing; when that fails, sample images that ship with scikit-image and matplotlib
    (`cs231n.data.style_images`).
    `style_transfer` takes any image file you name, too.

    Inputs:
    - device: torch device for cnn (default: `pick_device()`)
    - archive: the `classic_archive.Archive` to fetch from (default: the official one)

    Returns a StyleTransferSetup (cnn, params, images, label, answers).
    """
    from cs231n.data.style_images import style_transfer_images
    from cs231n.data.paths import offline_forced
    from cs231n.torch_utils import pick_device

    device = device or pick_device()
    reason = "CS231N_OFFLINE=1" if offline_forced() else None
    if reason is None:
        try:
            cnn, kind = _load_squeezenet_features(), "squeezenet"
            what = "SqueezeNet 1.1 with torchvision's ImageNet weights, classic settings"
        except (OSError, RuntimeError) as e:  # urllib's errors are OSErrors; DownloadError a RuntimeError
            reason = _why_unavailable(e)
    if reason is not None:
        cnn, kind = random_cnn(), "random"
        what = f"embedded default, a random-weight VGG-like CNN (seed 0), NOT ImageNet features ({reason})"
    images, checks, source = style_transfer_images(archive)
    print(f"Style transfer features: {what}")
    print(f"Style transfer images: {source}")

    answers = None
    if kind == "squeezenet" and checks is not None:
        with np.load(checks) as data:  # plain arrays: no pickle
            answers = {k: data[k] for k in data.files}
    label = (("SqueezeNet features" if kind == "squeezenet" else "random-weight features") + ", "
             + ("classic images" if checks is not None else "embedded images"))
    params = {run: dict(p) for run, p in PARAMS[kind].items()}
    return StyleTransferSetup(cnn.to(device).eval().requires_grad_(False), params, images, label, answers)


def _load_squeezenet_features():
    return load_squeezenet()[0].features


def _why_unavailable(error):
    """A few words on why the ImageNet weights could not be had, for the one-line report."""
    if unreachable(error):
        return "offline: the ImageNet weights cannot be downloaded"
    return f"the ImageNet weights failed to load: {str(error).rstrip('.')}"


def loss_value(x):
    """A loss as a float64 numpy value for checks: a 0-d or one-element tensor or array, or a number,
    gives a 0-d array (the classic allows either shape); anything larger comes back whole, so a check
    reports its shape."""
    a = np.asarray(x.detach().cpu().double() if torch.is_tensor(x) else x, dtype=np.float64)
    return a.reshape(()) if a.size == 1 else a


def _scalar(x):
    return float(x.detach()) if torch.is_tensor(x) else float(x)


def _device_of(cnn):
    return next(iter(cnn.parameters())).device


def style_transfer(content_image, style_image, image_size, style_size, content_layer, content_weight,
                   style_layers, style_weights, tv_weight, init_random=False, *, cnn, optimizer="adam",
                   num_iters=200, learning_rate=3.0, decayed_lr=0.1, decay_lr_at=180, seed=0):
    """
    Run style transfer: optimise an image's pixels so its features match the content image's at one
    layer and its Gram matrices match the style image's at several.

    Inputs:
    - content_image: filename of content image
    - style_image: filename of style image
    - image_size: size of smallest image dimension (used for content loss and generated image)
    - style_size: size of smallest style image dimension
    - content_layer: layer to use for content loss
    - content_weight: weighting on content loss
    - style_layers: list of layers to use for style loss
    - style_weights: list of weights to use for each layer in style_layers
    - tv_weight: weight of total variation regularization term
    - init_random: initialize the starting image to uniform random noise (seeded by seed)
    - cnn: the feature extractor, an nn.Sequential (see `extract_features`)
    - optimizer: "adam" (the classic loop: learning_rate, then decayed_lr from step decay_lr_at on,
      pixels clamped to [-1.5, 1.5] until the last 10 steps) or "lbfgs" (num_iters evaluations)
    - num_iters: number of optimisation steps (loss evaluations for L-BFGS)

    Returns a dict:
    - content, style, image: uint8 arrays (H, W, 3): the two inputs as used and the result
    - losses: float array (num_iters, 3), the content, style and TV loss at each evaluation
    """
    device = _device_of(cnn)
    content_feats, content_img = features_from_img(content_image, image_size, cnn)
    content_target = content_feats[content_layer].detach()
    style_feats, style_img = features_from_img(style_image, style_size, cnn)
    style_targets = [gram_matrix(style_feats[i]).detach() for i in style_layers]

    if init_random:
        gen = torch.Generator().manual_seed(seed)
        img = torch.rand(content_img.shape, generator=gen).to(device)
    else:
        img = content_img.clone()
    img.requires_grad_(True)

    losses = []

    def total_loss():
        feats = extract_features(img, cnn)
        c_loss = content_loss(content_weight, feats[content_layer], content_target)
        s_loss = style_loss(feats, style_layers, style_targets, style_weights)
        t_loss = tv_loss(img, tv_weight)
        losses.append([_scalar(c_loss), _scalar(s_loss), _scalar(t_loss)])
        return c_loss + s_loss + t_loss

    if optimizer == "lbfgs":
        opt = torch.optim.LBFGS([img], lr=1.0, max_iter=num_iters, max_eval=num_iters, history_size=20)

        def closure():
            opt.zero_grad()
            loss = total_loss()
            loss.backward()
            return loss

        opt.step(closure)
    elif optimizer == "adam":
        opt = torch.optim.Adam([img], lr=learning_rate)
        for t in range(num_iters):
            if t < num_iters - 10:
                with torch.no_grad():
                    img.clamp_(-1.5, 1.5)
            opt.zero_grad()
            total_loss().backward()
            if t == decay_lr_at:
                opt = torch.optim.Adam([img], lr=decayed_lr)
            opt.step()
    else:
        raise ValueError(f"optimizer must be 'adam' or 'lbfgs', not {optimizer!r}")

    return {"content": tensor_to_image(content_img), "style": tensor_to_image(style_img),
            "image": tensor_to_image(img),
            "losses": np.array(losses, dtype=np.float64).reshape(-1, 3)}


def show_style_transfer(result, title, panel_titles=("content", "style", "result")):
    """Plot content | style | result from a `style_transfer` result in one row, with a title."""
    import matplotlib.pyplot as plt

    fig, axes = plt.subplots(1, 3, figsize=(11, 3.6))
    for ax, key, name in zip(axes, ("content", "style", "image"), panel_titles):
        picture = result[key]
        ax.imshow(picture)
        ax.set_title(f"{name} ({picture.shape[1]}x{picture.shape[0]})", fontsize=10)
        ax.set_xlabel("x (pixels)")
        ax.set_ylabel("y (pixels)")
    fig.suptitle(title)
    fig.tight_layout()
    plt.show()
