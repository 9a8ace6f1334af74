"""Neural style transfer (Gatys, Ecker and Bethge, 2016): losses on CNN features, and the optimisation
that makes an image match them. The notebook's feature extractor, settings and images come from
`cs231n.data.style_transfer.load_style_transfer_setup`."""

import numpy as np
import torch
from PIL import Image

from cs231n.checks import rel_error
from cs231n.image_utils import load_image
from cs231n.torch_utils import image_to_tensor, rescale, tensor_to_image

# What the classic notebooks import from here (their first cell names each, or a star import).
__all__ = ["content_loss", "gram_matrix", "style_loss", "tv_loss", "extract_features", "features_from_img",
           "preprocess", "deprocess", "rescale", "rel_error", "dtype", "style_transfer"]

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
    loss = None
    # TODO: Implement the content loss, summed over every element (and over the batch).
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
    gram = None
    # TODO: Implement the Gram matrix with one batched matrix product (no loops).
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
    loss = None
    # TODO: Implement the style loss. Call gram_matrix (normalized) for each style layer; one
    # Python loop over the layers is fine.
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
    loss = None
    # TODO: Implement the total variation loss with slicing, no loops over pixels.
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
    """A PIL image or uint8 array (H, W, 3) -> the float32 batch of one (1, 3, H', W') the feature
    extractors take, by the classic pipeline: torchvision's Resize(size) (shorter side to `size`,
    bilinear; None keeps it), ToTensor, Normalize with SQUEEZENET_MEAN and SQUEEZENET_STD."""
    return image_to_tensor(img, size)


def deprocess(img):
    """Undo `preprocess` for display, as the classic helper does: drop the batch dimension, undo the
    normalisation, stretch the values linearly onto [0, 1] (`rescale`) and return a PIL image.

    Inputs:
    - img: Tensor of shape (1, 3, H, W) (a (3, H, W) tensor is taken as one image too)

    Returns: a PIL RGB image of size (W, H). For a uint8 array without the stretch, use
    `cs231n.torch_utils.tensor_to_image`.
    """
    return Image.fromarray(tensor_to_image(img, should_rescale=True))


def features_from_img(imgpath, imgsize, cnn):
    """Load the image file at imgpath with its shorter side imgsize, and extract its features.

    Raises FileNotFoundError or ValueError naming the file when it is missing or not an image.

    Returns (features, img): the list from `extract_features`, and the preprocessed image
    (1, 3, H, W) on the same device as cnn.
    """
    img = preprocess(load_image(imgpath), size=imgsize).to(_device_of(cnn))
    return extract_features(img, cnn), img


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
        losses.append([float(x.detach()) if torch.is_tensor(x) else float(x) for x in (c_loss, s_loss, t_loss)])
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
