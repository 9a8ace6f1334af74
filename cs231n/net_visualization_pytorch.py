"""Network visualization: saliency maps, fooling images, class visualization and Grad-CAM.

Every technique here asks the same question of a trained classifier -- how does a class score change
when the *image* changes? -- so every function differentiates with respect to the image and leaves the
model's parameters exactly as they were. The model is expected in eval mode, taking normalised images
(N, 3, H, W) (see `preprocess`) and returning class scores (N, C). The notebook's model and images come
from `cs231n.data.net_visualization.load_model_and_images`.
"""

import torch
import torch.nn.functional as F
from PIL import Image
from scipy.ndimage import gaussian_filter1d

from cs231n.models.normalization import IMAGENET_MEAN, IMAGENET_STD
from cs231n.torch_utils import image_to_tensor, rescale, show_image_row, tensor_to_image

__all__ = ["compute_saliency_maps", "make_fooling_image", "class_visualization_update_step", "grad_cam",
           "create_class_visualization", "preprocess", "deprocess", "rescale", "blur_image", "jitter"]


def compute_saliency_maps(X, y, model):
    """
    Compute a class saliency map using the model for images X and labels y.

    The saliency of a pixel is the largest absolute value, over its 3 colour channels, of the
    gradient of the correct class's (unnormalised) score with respect to that pixel.

    Inputs:
    - X: Input images; Tensor of shape (N, 3, H, W)
    - y: Labels for X; LongTensor of shape (N,), each in [0, C)
    - model: A trained CNN, in eval mode, mapping (N, 3, H, W) images to scores (N, C)

    Returns:
    - saliency: A Tensor of shape (N, H, W) giving the saliency maps for the input images.
    """
    # A fresh leaf that requires a gradient, so the caller's tensor is left untouched.
    X = X.detach().clone().requires_grad_(True)
    saliency = None
    # TODO: Forward the images, pick out each image's correct-class score (torch.gather) and
    # backpropagate it to the pixels (torch.autograd.grad w.r.t. X, or .backward() and X.grad). Summing
    # the N scores first is fine: each depends only on its own image. Then |.| and the max over channels.
    # *****START OF YOUR CODE (DO NOT DELETE/MODIFY THIS LINE)*****
    scores = model(X)  # (N, C)
    correct_scores = scores.gather(1, y.view(-1, 1)).squeeze(1)  # (N,)
    (dX,) = torch.autograd.grad(correct_scores.sum(), X)  # (N, 3, H, W)
    saliency = dX.abs().amax(dim=1)  # (N, H, W)
    # *****END OF YOUR CODE (DO NOT DELETE/MODIFY THIS LINE)*****
    return saliency.detach()


def make_fooling_image(X, target_y, model, *, learning_rate=1.0, max_iter=100):
    """
    Generate a fooling image that is close to X, but that the model classifies as target_y.

    Gradient ascent on the target class's (unnormalised) score, repeating until the model is fooled
    (for most images in fewer than 100 steps):
      1. compute the scores of X_fooling; if the predicted class is target_y, stop;
      2. else compute g, the gradient of scores[0, target_y] with respect to X_fooling;
      3. take a normalised step:  X_fooling <- X_fooling + learning_rate * g / ||g||_2.

    Inputs:
    - X: Input image; Tensor of shape (1, 3, H, W)
    - target_y: An integer in the range [0, C)
    - model: A trained CNN, in eval mode
    - learning_rate: The L2 length of each step, in normalised pixel units
    - max_iter: An optional safety net (an extension of the classic): you may stop after this many
      steps; a loop that runs until the model is fooled, as in the classic, is fine too

    Returns:
    - X_fooling: An image that is close to X, but that is classifed as target_y by the model;
      Tensor of shape (1, 3, H, W).

    Raises RuntimeError, naming the class the model still predicts, when the loop stopped before the
    model was fooled.
    """
    # Initialize our fooling image to the input image, and make it require gradient
    X_fooling = X.detach().clone().requires_grad_(True)
    target_y = int(target_y)
    # TODO: Gradient ascent on the target class's score, the steps in the docstring, until the model
    # predicts target_y. Update X_fooling in place inside torch.no_grad(); leave the model unchanged.
    # *****START OF YOUR CODE (DO NOT DELETE/MODIFY THIS LINE)*****
    for _ in range(max_iter):
        scores = model(X_fooling)  # (1, C)
        if scores.argmax(dim=1).item() == target_y:
            break
        (g,) = torch.autograd.grad(scores[0, target_y], X_fooling)  # (1, 3, H, W)
        with torch.no_grad():
            X_fooling += learning_rate * g / g.norm().clamp_min(1e-12)
    # *****END OF YOUR CODE (DO NOT DELETE/MODIFY THIS LINE)*****
    X_fooling = X_fooling.detach()
    with torch.no_grad():
        predicted = model(X_fooling).argmax(dim=1).item()
    if predicted != target_y:
        raise RuntimeError(
            f"make_fooling_image stopped (max_iter={max_iter}) before the model was fooled: it still "
            f"predicts class {predicted}, not the target {target_y}. Allow more steps (max_iter) or "
            f"larger ones (learning_rate)."
        )
    return X_fooling


def class_visualization_update_step(img, model, target_y, l2_reg, learning_rate):
    """
    Take one step of gradient ascent that makes `img` look more like class target_y to the model.

    The objective is the regularised class score  s_y(I) - l2_reg * ||I||_2^2 , with gradient g.
    One step, done in place on `img`, is either of
        I <- I + learning_rate * g                (the plain gradient step of the classic)
        I <- I + learning_rate * g / ||g||_2      (a normalised step of length learning_rate)
    Both are correct: `create_class_visualization` scales each step to the same length anyway.

    Inputs:
    - img: The image being optimised; Tensor of shape (1, 3, H, W) with requires_grad=True
    - model: A trained CNN, in eval mode
    - target_y: An integer in the range [0, C)
    - l2_reg: Strength of the L2 regulariser
    - learning_rate: The step size

    Returns: nothing; `img` is updated in place.
    """
    # TODO: Compute the gradient of the regularised score (don't forget the L2 term; mind the signs)
    # with respect to the image, and step up it, in place (inside torch.no_grad(), or through img.data).
    # *****START OF YOUR CODE (DO NOT DELETE/MODIFY THIS LINE)*****
    objective = model(img)[0, target_y] - l2_reg * img.square().sum()
    (g,) = torch.autograd.grad(objective, img)  # (1, 3, H, W)
    with torch.no_grad():
        img += learning_rate * g / g.norm().clamp_min(1e-12)
    # *****END OF YOUR CODE (DO NOT DELETE/MODIFY THIS LINE)*****


def grad_cam(X, y, model, layer):
    """
    Grad-CAM maps: where in each image the evidence for class y lies, as seen by one layer.

    With A the layer's activations (K channels of size h x w) and s_y the class score,
        alpha_k = mean over (i, j) of d s_y / d A_k[i, j]      (one weight per channel)
        L       = ReLU( sum_k alpha_k A_k )                     (an h x w map)
    then L is upsampled bilinearly to the image size and divided by its maximum (maps that are all
    zero stay zero), so each map lies in [0, 1].

    Inputs:
    - X: Input images; Tensor of shape (N, 3, H, W)
    - y: Classes to explain; LongTensor of shape (N,)
    - model: A trained CNN, in eval mode
    - layer: An nn.Module inside model whose output (N, K, h, w) is used, e.g. model.features[-1]

    Returns:
    - cam: Tensor of shape (N, H, W), values in [0, 1].
    """
    activations = []
    handle = layer.register_forward_hook(lambda module, inputs, output: activations.append(output))
    try:
        # Requiring a gradient on X keeps the graph alive even when the model's parameters do not.
        scores = model(X.detach().clone().requires_grad_(True))  # (N, C)
    finally:
        handle.remove()
    if len(activations) != 1:
        raise ValueError(f"grad_cam: the layer ran {len(activations)} times in one forward pass; "
                         "pick a layer the model calls exactly once.")
    A = activations[0]  # (N, K, h, w)
    cam = None
    # TODO: Grad-CAM from the activations A and the scores, as in the docstring: alpha from the gradient
    # of the correct-class scores w.r.t. A, the ReLU of the weighted sum of channels, then upsample the
    # (N, 1, h, w) map with F.interpolate(mode="bilinear", align_corners=False) to cam of shape (N, H, W).
    # *****START OF YOUR CODE (DO NOT DELETE/MODIFY THIS LINE)*****
    correct_scores = scores.gather(1, y.view(-1, 1)).sum()
    (dA,) = torch.autograd.grad(correct_scores, A)  # (N, K, h, w)
    alpha = dA.mean(dim=(2, 3), keepdim=True)  # (N, K, 1, 1)
    cam = F.relu((alpha * A).sum(dim=1, keepdim=True))  # (N, 1, h, w)
    cam = F.interpolate(cam, size=X.shape[2:], mode="bilinear", align_corners=False)[:, 0]  # (N, H, W)
    # *****END OF YOUR CODE (DO NOT DELETE/MODIFY THIS LINE)*****
    cam = cam.detach()
    peak = cam.flatten(1).amax(dim=1).clamp_min(1e-12).view(-1, 1, 1)  # (N, 1, 1)
    return cam / peak


def create_class_visualization(target_y, model, dtype=torch.float32, *, size=224, l2_reg=1e-3,
                               learning_rate=25, num_iterations=100, blur_every=10, max_jitter=16,
                               show_every=25, class_name=None, generate_plots=True):
    """
    Generate an image that maximises the score of class target_y, from random noise (given code).

    Each of num_iterations iterations jitters the image by a random shift of up to max_jitter pixels,
    takes one `class_visualization_update_step` (l2_reg, learning_rate), undoes the shift, clips the
    pixels to the range a real image can have, and every blur_every iterations blurs it a little:
    image priors that keep the result away from high-frequency noise. The student's step is rescaled
    to L2 length learning_rate, so a plain gradient step and a normalised one give the same picture.

    Inputs beyond the classic ones: dtype may be a torch.dtype or, as in the classic, a tensor type
    (torch.FloatTensor); size is the image's side in pixels; class_name titles the row of snapshots
    (taken every show_every iterations) drawn when generate_plots is True.

    Returns a PIL image (size x size): the image the model scored, rounded to 8 bits.
    """
    device = next(model.parameters()).device
    if not isinstance(dtype, torch.dtype):  # the classic passes a tensor type, e.g. torch.FloatTensor
        dtype = torch.empty(0).type(dtype).dtype
    # Randomly initialize the image as a PyTorch Tensor, and make it require gradient.
    img = torch.randn(1, 3, size, size).to(device=device, dtype=dtype).requires_grad_()
    low = torch.as_tensor(-IMAGENET_MEAN / IMAGENET_STD, dtype=dtype, device=device).view(1, 3, 1, 1)
    high = torch.as_tensor((1 - IMAGENET_MEAN) / IMAGENET_STD, dtype=dtype, device=device).view(1, 3, 1, 1)
    snapshots, steps = [], []
    for t in range(num_iterations):
        # Randomly jitter the image a bit; this gives slightly nicer results
        ox, oy = (int(v) for v in torch.randint(0, max_jitter + 1, (2,)))
        with torch.no_grad():
            img.copy_(jitter(img, ox, oy))
            before = img.detach().clone()
        class_visualization_update_step(img, model, target_y, l2_reg, learning_rate)
        with torch.no_grad():
            step = img - before  # plain or normalised: the same direction, made the same length
            img.copy_(before + step * (learning_rate / step.norm().clamp_min(1e-12)))
            # Undo the random jitter, then clamp each channel to a real image's range.
            img.copy_(jitter(img, -ox, -oy))
            img.copy_(torch.maximum(torch.minimum(img, high), low))
            # Periodically blur the image
            if t % blur_every == 0:
                blur_image(img, sigma=0.5)
        if t == 0 or (t + 1) % show_every == 0 or t == num_iterations - 1:
            snapshots.append(tensor_to_image(img))
            steps.append(f"iteration {t + 1}")
    if generate_plots:
        show_image_row(snapshots, steps, f"Class visualization: {class_name or f'class {target_y}'}")
    # Clamped to real pixel values already, so no contrast stretching: the picture is what the model scored.
    return Image.fromarray(tensor_to_image(img))


def preprocess(img, size=224):
    """A PIL image or uint8 array (H, W, 3) -> the float32 batch of one (1, 3, H', W') the models take:
    the shorter side resized to `size` (None keeps it), each channel standardised with the ImageNet
    statistics (SQUEEZENET_MEAN and SQUEEZENET_STD), as the classic torchvision pipeline does."""
    return image_to_tensor(img, size)


def deprocess(img, should_rescale=True):
    """Undo `preprocess`: a normalised Tensor (1, 3, H, W) or (3, H, W) back to a PIL image, as in the
    classic.

    With should_rescale=True (the classic default) the pixel values are first stretched to fill
    [0, 1] (`rescale`), which makes small differences and synthetic images visible; without it they
    are clipped to [0, 1]. For the uint8 array (H, W, 3) that plots take, use
    `cs231n.torch_utils.tensor_to_image`.
    """
    return Image.fromarray(tensor_to_image(img, should_rescale))


def blur_image(X, sigma=1):
    """Blur X (N, 3, H, W) in place with a Gaussian of standard deviation sigma pixels; return X."""
    X_np = X.detach().cpu().numpy()
    X_np = gaussian_filter1d(X_np, sigma, axis=2)
    X_np = gaussian_filter1d(X_np, sigma, axis=3)
    with torch.no_grad():
        X.copy_(torch.from_numpy(X_np).to(device=X.device, dtype=X.dtype))
    return X


def jitter(X, ox, oy):
    """Shift X (N, C, H, W) circularly by ox pixels to the right and oy pixels down.

    jitter(jitter(X, ox, oy), -ox, -oy) gives X back.
    """
    return torch.roll(X, shifts=(int(oy), int(ox)), dims=(2, 3))
