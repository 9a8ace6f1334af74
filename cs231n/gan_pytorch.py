"""Generative adversarial networks in PyTorch: vanilla GAN, least-squares GAN, DCGAN and WGAN-GP.

The functions between the START/END markers are the ones students implement; the rest (data,
training loop, helpers, the Fréchet distance used to compare the models) is provided.
"""

import contextlib
import gzip
import io
import os
import shutil
import socket
import sys
import threading
import urllib.parse
import urllib.request
from pathlib import Path

import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F
from tqdm import tqdm

from cs231n.data_utils import datasets_dir, offline_forced

NOISE_DIM = 96

# Where Debian's dataset-fashion-mnist package puts the original gzip files (read-only);
# $CS231N_FASHION_MNIST_DIR overrides it (the tests use that).
FASHION_MNIST_SYSTEM_DIR = "/usr/share/datasets/fashion-mnist"
SETUP_COMMAND = "bash tools/setup_gan_data.sh"


def sample_noise(batch_size, dim, seed=None):
    """
    Generate a PyTorch Tensor of uniform random noise.

    Inputs:
    - batch_size: Integer giving the batch size of noise to generate.
    - dim: Integer giving the dimension of noise to generate.
    - seed: If not None, seed torch's random generator with it first (for reproducible checks).

    Returns:
    - A float32 PyTorch Tensor of shape (batch_size, dim) containing uniform random noise in the
      range (-1, 1).
    """
    if seed is not None:
        torch.manual_seed(seed)

    # TODO: draw uniform noise in (-1, 1). torch.rand draws from [0, 1); rescale it.
    # *****START OF YOUR CODE (DO NOT DELETE/MODIFY THIS LINE)*****
    return 2 * torch.rand(batch_size, dim) - 1
    # *****END OF YOUR CODE (DO NOT DELETE/MODIFY THIS LINE)*****


def discriminator(seed=None):
    """
    Build and return a PyTorch nn.Sequential model implementing the vanilla GAN discriminator:

      Flatten -> Linear(784, 256) -> LeakyReLU(0.01) -> Linear(256, 256) -> LeakyReLU(0.01)
              -> Linear(256, 1)

    Inputs:
    - seed: If not None, seed torch's random generator with it first, so the weights are reproducible.

    Returns:
    - model: nn.Sequential mapping images (N, 1, 28, 28) or (N, 784) to real-valued scores (N, 1).
    """
    if seed is not None:
        torch.manual_seed(seed)

    model = None
    # TODO: build the discriminator as an nn.Sequential (use the Flatten class defined below).
    # *****START OF YOUR CODE (DO NOT DELETE/MODIFY THIS LINE)*****
    model = nn.Sequential(
        Flatten(),
        nn.Linear(784, 256),
        nn.LeakyReLU(0.01),
        nn.Linear(256, 256),
        nn.LeakyReLU(0.01),
        nn.Linear(256, 1),
    )
    # *****END OF YOUR CODE (DO NOT DELETE/MODIFY THIS LINE)*****
    return model


def generator(noise_dim=NOISE_DIM, seed=None):
    """
    Build and return a PyTorch nn.Sequential model implementing the vanilla GAN generator:

      Linear(noise_dim, 1024) -> ReLU -> Linear(1024, 1024) -> ReLU -> Linear(1024, 784) -> Tanh

    Inputs:
    - noise_dim: Dimension D of the input noise.
    - seed: If not None, seed torch's random generator with it first, so the weights are reproducible.

    Returns:
    - model: nn.Sequential mapping noise (N, noise_dim) to flattened images (N, 784) in (-1, 1).
    """
    if seed is not None:
        torch.manual_seed(seed)

    model = None
    # TODO: build the generator as an nn.Sequential.
    # *****START OF YOUR CODE (DO NOT DELETE/MODIFY THIS LINE)*****
    model = nn.Sequential(
        nn.Linear(noise_dim, 1024),
        nn.ReLU(),
        nn.Linear(1024, 1024),
        nn.ReLU(),
        nn.Linear(1024, 784),
        nn.Tanh(),
    )
    # *****END OF YOUR CODE (DO NOT DELETE/MODIFY THIS LINE)*****
    return model


def bce_loss(input, target):
    """
    Numerically stable binary cross-entropy on logits, averaged over all elements:

      loss = mean( max(x, 0) - x * y + log(1 + exp(-|x|)) )

    which equals mean(-y log sigmoid(x) - (1 - y) log(1 - sigmoid(x))) without overflowing for large |x|.

    Inputs:
    - input: PyTorch Tensor of shape (N, ) or (N, 1) giving scores (logits) x.
    - target: PyTorch Tensor of the same shape giving targets y (0 or 1).

    Returns:
    - A scalar PyTorch Tensor: the mean BCE loss over the batch.
    """
    # TODO: implement the stable formula above (do not call torch's binary_cross_entropy*).
    # *****START OF YOUR CODE (DO NOT DELETE/MODIFY THIS LINE)*****
    loss = input.clamp(min=0) - input * target + torch.log1p(torch.exp(-input.abs()))
    return loss.mean()
    # *****END OF YOUR CODE (DO NOT DELETE/MODIFY THIS LINE)*****


def discriminator_loss(logits_real, logits_fake):
    """
    Computes the discriminator loss of the vanilla GAN:

      ℓ_D = bce(logits_real, 1) + bce(logits_fake, 0)

    Inputs:
    - logits_real: PyTorch Tensor of shape (N, 1) giving scores for the real data.
    - logits_fake: PyTorch Tensor of shape (N, 1) giving scores for the fake data.

    Returns:
    - loss: scalar PyTorch Tensor containing (the mean over the batch of) the loss for the discriminator.
    """
    loss = None
    # TODO: use bce_loss with targets of ones for real data and zeros for fake data.
    # *****START OF YOUR CODE (DO NOT DELETE/MODIFY THIS LINE)*****
    loss = bce_loss(logits_real, torch.ones_like(logits_real)) + bce_loss(
        logits_fake, torch.zeros_like(logits_fake)
    )
    # *****END OF YOUR CODE (DO NOT DELETE/MODIFY THIS LINE)*****
    return loss


def generator_loss(logits_fake):
    """
    Computes the non-saturating generator loss of the vanilla GAN:  ℓ_G = bce(logits_fake, 1).

    Inputs:
    - logits_fake: PyTorch Tensor of shape (N, 1) giving scores for the fake data.

    Returns:
    - loss: scalar PyTorch Tensor containing the (mean) loss for the generator.
    """
    loss = None
    # TODO: the generator wants the discriminator to call its samples real.
    # *****START OF YOUR CODE (DO NOT DELETE/MODIFY THIS LINE)*****
    loss = bce_loss(logits_fake, torch.ones_like(logits_fake))
    # *****END OF YOUR CODE (DO NOT DELETE/MODIFY THIS LINE)*****
    return loss


def ls_discriminator_loss(scores_real, scores_fake):
    """
    Compute the Least-Squares GAN loss for the discriminator:

      ℓ_D = 1/2 mean((D(x) - 1)^2) + 1/2 mean(D(G(z))^2)

    Inputs:
    - scores_real: PyTorch Tensor of shape (N, 1) giving scores for the real data.
    - scores_fake: PyTorch Tensor of shape (N, 1) giving scores for the fake data.

    Returns:
    - loss: A scalar PyTorch Tensor containing the loss.
    """
    loss = None
    # TODO: implement the formula above.
    # *****START OF YOUR CODE (DO NOT DELETE/MODIFY THIS LINE)*****
    loss = 0.5 * ((scores_real - 1) ** 2).mean() + 0.5 * (scores_fake**2).mean()
    # *****END OF YOUR CODE (DO NOT DELETE/MODIFY THIS LINE)*****
    return loss


def ls_generator_loss(scores_fake):
    """
    Computes the Least-Squares GAN loss for the generator:  ℓ_G = 1/2 mean((D(G(z)) - 1)^2).

    Inputs:
    - scores_fake: PyTorch Tensor of shape (N, 1) giving scores for the fake data.

    Returns:
    - loss: A scalar PyTorch Tensor containing the loss.
    """
    loss = None
    # TODO: implement the formula above.
    # *****START OF YOUR CODE (DO NOT DELETE/MODIFY THIS LINE)*****
    loss = 0.5 * ((scores_fake - 1) ** 2).mean()
    # *****END OF YOUR CODE (DO NOT DELETE/MODIFY THIS LINE)*****
    return loss


def get_optimizer(model):
    """
    Construct and return an Adam optimizer for the model with learning rate 1e-3,
    beta1=0.5, and beta2=0.999.

    Inputs:
    - model: A PyTorch model that we want to optimize.

    Returns:
    - An Adam optimizer for the model with the desired hyperparameters.
    """
    optimizer = None
    # TODO: create the optimizer over model.parameters().
    # *****START OF YOUR CODE (DO NOT DELETE/MODIFY THIS LINE)*****
    optimizer = torch.optim.Adam(model.parameters(), lr=1e-3, betas=(0.5, 0.999))
    # *****END OF YOUR CODE (DO NOT DELETE/MODIFY THIS LINE)*****
    return optimizer


def build_dc_classifier(batch_size):
    """
    Build and return a PyTorch nn.Sequential model for the DCGAN discriminator:

      Unflatten(batch_size, 1, 28, 28)
      Conv2d(1, 32, kernel 5, stride 1) -> LeakyReLU(0.01) -> MaxPool2d(2, stride 2)
      Conv2d(32, 64, kernel 5, stride 1) -> LeakyReLU(0.01) -> MaxPool2d(2, stride 2)
      Flatten -> Linear(4*4*64, 4*4*64) -> LeakyReLU(0.01) -> Linear(4*4*64, 1)

    Inputs:
    - batch_size: the number of images N in every batch the model will see.

    Returns:
    - model: nn.Sequential mapping images (N, 784) or (N, 1, 28, 28) to scores (N, 1).
    """
    # TODO: build the DCGAN discriminator as an nn.Sequential (use Unflatten and Flatten below).
    # *****START OF YOUR CODE (DO NOT DELETE/MODIFY THIS LINE)*****
    return nn.Sequential(
        Unflatten(batch_size, 1, 28, 28),
        nn.Conv2d(1, 32, kernel_size=5, stride=1),  # (N, 32, 24, 24)
        nn.LeakyReLU(0.01),
        nn.MaxPool2d(kernel_size=2, stride=2),  # (N, 32, 12, 12)
        nn.Conv2d(32, 64, kernel_size=5, stride=1),  # (N, 64, 8, 8)
        nn.LeakyReLU(0.01),
        nn.MaxPool2d(kernel_size=2, stride=2),  # (N, 64, 4, 4)
        Flatten(),  # (N, 1024)
        nn.Linear(4 * 4 * 64, 4 * 4 * 64),
        nn.LeakyReLU(0.01),
        nn.Linear(4 * 4 * 64, 1),
    )
    # *****END OF YOUR CODE (DO NOT DELETE/MODIFY THIS LINE)*****


def build_dc_generator(noise_dim=NOISE_DIM):
    """
    Build and return a PyTorch nn.Sequential model implementing the DCGAN generator:

      Linear(noise_dim, 1024) -> ReLU -> BatchNorm1d(1024)
      Linear(1024, 7*7*128) -> ReLU -> BatchNorm1d(7*7*128)
      Unflatten(-1, 128, 7, 7)
      ConvTranspose2d(128, 64, kernel 4, stride 2, padding 1) -> ReLU -> BatchNorm2d(64)
      ConvTranspose2d(64, 1, kernel 4, stride 2, padding 1) -> Tanh
      Flatten

    Inputs:
    - noise_dim: Dimension D of the input noise.

    Returns:
    - model: nn.Sequential mapping noise (N, noise_dim) to flattened images (N, 784) in (-1, 1).
    """
    # TODO: build the DCGAN generator as an nn.Sequential.
    # *****START OF YOUR CODE (DO NOT DELETE/MODIFY THIS LINE)*****
    return nn.Sequential(
        nn.Linear(noise_dim, 1024),
        nn.ReLU(),
        nn.BatchNorm1d(1024),
        nn.Linear(1024, 7 * 7 * 128),
        nn.ReLU(),
        nn.BatchNorm1d(7 * 7 * 128),
        Unflatten(-1, 128, 7, 7),  # (N, 128, 7, 7)
        nn.ConvTranspose2d(128, 64, kernel_size=4, stride=2, padding=1),  # (N, 64, 14, 14)
        nn.ReLU(),
        nn.BatchNorm2d(64),
        nn.ConvTranspose2d(64, 1, kernel_size=4, stride=2, padding=1),  # (N, 1, 28, 28)
        nn.Tanh(),
        Flatten(),  # (N, 784)
    )
    # *****END OF YOUR CODE (DO NOT DELETE/MODIFY THIS LINE)*****


def wgan_critic_loss(scores_real, scores_fake):
    """
    Computes the Wasserstein critic loss (without the gradient penalty):

      ℓ_C = mean(C(G(z))) - mean(C(x))

    The critic C outputs unbounded scores (no sigmoid); minimizing ℓ_C raises the scores of real
    data and lowers those of fake data.

    Inputs:
    - scores_real: PyTorch Tensor of shape (N, 1) giving critic scores for the real data.
    - scores_fake: PyTorch Tensor of shape (N, 1) giving critic scores for the fake data.

    Returns:
    - loss: A scalar PyTorch Tensor containing the loss.
    """
    loss = None
    # TODO: implement the formula above.
    # *****START OF YOUR CODE (DO NOT DELETE/MODIFY THIS LINE)*****
    loss = scores_fake.mean() - scores_real.mean()
    # *****END OF YOUR CODE (DO NOT DELETE/MODIFY THIS LINE)*****
    return loss


def wgan_generator_loss(scores_fake):
    """
    Computes the Wasserstein generator loss:  ℓ_G = -mean(C(G(z))).

    Inputs:
    - scores_fake: PyTorch Tensor of shape (N, 1) giving critic scores for the fake data.

    Returns:
    - loss: A scalar PyTorch Tensor containing the loss.
    """
    loss = None
    # TODO: implement the formula above.
    # *****START OF YOUR CODE (DO NOT DELETE/MODIFY THIS LINE)*****
    loss = -scores_fake.mean()
    # *****END OF YOUR CODE (DO NOT DELETE/MODIFY THIS LINE)*****
    return loss


def gradient_penalty(D, real_data, fake_data):
    """
    The WGAN-GP gradient penalty (Gulrajani et al., 2017):

      x_hat = eps * x + (1 - eps) * G(z),   eps ~ U[0, 1] drawn once per example
      GP    = mean over the batch of (||∇_{x_hat} D(x_hat)||_2 - 1)^2

    The penalty must stay differentiable with respect to D's parameters, so that adding it to the
    critic loss trains the critic towards unit gradient norm.

    Inputs:
    - D: the critic, a PyTorch model mapping a batch shaped like real_data to scores (N, 1).
    - real_data: PyTorch Tensor (N, ...) of real images.
    - fake_data: PyTorch Tensor of the same shape, generated images (already detached from G).

    Returns:
    - penalty: A scalar PyTorch Tensor.
    """
    penalty = None
    # TODO: interpolate, take the gradient of D's scores with torch.autograd.grad
    # (create_graph=True), and penalize the per-example gradient norm's distance to 1.
    # *****START OF YOUR CODE (DO NOT DELETE/MODIFY THIS LINE)*****
    N = real_data.shape[0]
    eps = torch.rand(N, *([1] * (real_data.dim() - 1)), device=real_data.device)  # (N, 1, ...)
    x_hat = (eps * real_data + (1 - eps) * fake_data).requires_grad_(True)
    scores = D(x_hat)
    (grads,) = torch.autograd.grad(scores.sum(), x_hat, create_graph=True)
    grad_norm = grads.reshape(N, -1).norm(2, dim=1)  # (N,)
    penalty = ((grad_norm - 1) ** 2).mean()
    # *****END OF YOUR CODE (DO NOT DELETE/MODIFY THIS LINE)*****
    return penalty


def run_a_gan(D, G, D_solver, G_solver, discriminator_loss, generator_loss, loader_train, show_every=250,
              batch_size=128, noise_size=96, num_epochs=10, *, num_iters=None, critic_steps=1,
              gp_weight=0.0, on_show=None, history=None, seed=None, desc="GAN"):
    """
    Train a GAN, with a progress bar.

    Inputs:
    - D, G: PyTorch models for the discriminator (critic) and generator, on the device to train on.
    - D_solver, G_solver: torch.optim Optimizers for D and G.
    - discriminator_loss, generator_loss: functions computing the losses from scores.
    - loader_train: iterable of (images (N, 1, 28, 28) in [0, 1], labels) batches.
    - show_every: keep (and pass to on_show) 16 samples every show_every generator steps.
    - batch_size: batch size; batches of another size are skipped (the DCGAN discriminator needs it).
    - noise_size: dimension of the noise fed to the generator.
    - num_epochs: passes over loader_train.
    - num_iters: if given, stop after this many generator steps.
    - critic_steps: discriminator steps per generator step (5 for WGAN-GP).
    - gp_weight: weight of gradient_penalty added to the discriminator loss (10 for WGAN-GP; 0: none).
    - on_show: optional callback on_show(iter_count, images (16, 784) numpy) to display samples.
    - history: optional list; (discriminator loss, generator loss) is appended after every generator step.
    - seed: if given, seed torch's random generator first, so the noise draws are reproducible.
    - desc: the progress bar's label.

    Returns:
    - images: list of (16, 784) numpy arrays in (-1, 1), the samples kept every show_every steps
      (and after the last step).
    """
    if seed is not None:
        torch.manual_seed(seed)
    device = next(G.parameters()).device
    total = num_iters if num_iters is not None else num_epochs * len(loader_train) // critic_steps
    images = []
    iter_count = 0
    d_step = 0
    bar = tqdm(total=total, desc=desc, mininterval=2.0, file=sys.stdout, ncols=90)
    for _ in range(num_epochs):
        for x, _ in loader_train:
            if len(x) != batch_size:
                continue
            real_data = preprocess_img(x.to(device))  # (N, 1, 28, 28) in [-1, 1]
            D_solver.zero_grad()
            logits_real = D(real_data)
            g_fake_seed = sample_noise(batch_size, noise_size).to(device)
            fake_images = G(g_fake_seed).detach().view(batch_size, 1, 28, 28)
            logits_fake = D(fake_images)
            d_total_error = discriminator_loss(logits_real, logits_fake)
            if gp_weight:
                d_total_error = d_total_error + gp_weight * gradient_penalty(D, real_data, fake_images)
            d_total_error.backward()
            D_solver.step()
            d_step += 1
            if d_step % critic_steps:
                continue

            G_solver.zero_grad()
            g_fake_seed = sample_noise(batch_size, noise_size).to(device)
            fake_images = G(g_fake_seed)
            gen_logits_fake = D(fake_images.view(batch_size, 1, 28, 28))
            g_error = generator_loss(gen_logits_fake)
            g_error.backward()
            G_solver.step()

            iter_count += 1
            if history is not None:
                history.append((d_total_error.item(), g_error.item()))
            bar.update(1)
            bar.set_postfix(D=f"{d_total_error.item():.3f}", G=f"{g_error.item():.3f}", refresh=False)
            last = num_iters is not None and iter_count >= num_iters
            if iter_count % show_every == 0 or last:
                imgs_numpy = fake_images.detach().cpu().numpy()[:16]
                images.append(imgs_numpy)
                if on_show is not None:
                    on_show(iter_count, imgs_numpy)
            if last:
                bar.close()
                return images
    bar.close()
    return images


# --------------------------------------------------------------------------------------------------
# Classic helpers
# --------------------------------------------------------------------------------------------------


class ChunkSampler(torch.utils.data.sampler.Sampler):
    """Samples elements sequentially from some offset.

    Arguments:
        num_samples: # of desired datapoints
        start: offset where we should start selecting from
    """

    def __init__(self, num_samples, start=0):
        self.num_samples = num_samples
        self.start = start

    def __iter__(self):
        return iter(range(self.start, self.start + self.num_samples))

    def __len__(self):
        return self.num_samples


class Flatten(nn.Module):
    def forward(self, x):
        N = x.shape[0]
        return x.reshape(N, -1)  # "flatten" the C * H * W values into a single vector per image


class Unflatten(nn.Module):
    """
    An Unflatten module receives an input of shape (N, C*H*W) and reshapes it
    to produce an output of shape (N, C, H, W).
    """

    def __init__(self, N=-1, C=128, H=7, W=7):
        super().__init__()
        self.N = N
        self.C = C
        self.H = H
        self.W = W

    def forward(self, x):
        return x.reshape(self.N, self.C, self.H, self.W)


def initialize_weights(m):
    """Xavier-uniform weights and zero biases for Linear and ConvTranspose2d layers (use with model.apply)."""
    if isinstance(m, (nn.Linear, nn.ConvTranspose2d)):
        nn.init.xavier_uniform_(m.weight.data)
        if m.bias is not None:
            nn.init.zeros_(m.bias.data)


def preprocess_img(x):
    """Map images from [0, 1] to [-1, 1], the range of the generators' tanh."""
    return 2 * x - 1.0


def deprocess_img(x):
    """Map images from [-1, 1] back to [0, 1]."""
    return (x + 1.0) / 2.0


def rel_error(x, y):
    """Maximum relative error, max(|x - y| / max(1e-8, |x| + |y|))."""
    x, y = np.asarray(x, dtype=np.float64), np.asarray(y, dtype=np.float64)
    return np.max(np.abs(x - y) / (np.maximum(1e-8, np.abs(x) + np.abs(y))))


def count_params(model):
    """Count the number of parameters in the model."""
    return sum(int(np.prod(p.size())) for p in model.parameters())


def show_images(images, title=None):
    """Show a square grid of images (N, 784) given in [0, 1] (call deprocess_img on generator output)."""
    import matplotlib.pyplot as plt

    images = np.reshape(images, [images.shape[0], -1])  # images reshape to (batch_size, D)
    sqrtn = int(np.ceil(np.sqrt(images.shape[0])))
    sqrtimg = int(np.ceil(np.sqrt(images.shape[1])))
    fig, axes = plt.subplots(sqrtn, sqrtn, figsize=(sqrtn * 0.7, sqrtn * 0.7 + 0.3))
    for i, ax in enumerate(np.ravel(axes)):
        ax.axis("off")
        if i < len(images):
            ax.imshow(images[i].reshape([sqrtimg, sqrtimg]), cmap="gray", vmin=0, vmax=1)
    fig.suptitle(title or "samples", fontsize=9)
    fig.tight_layout(pad=0.2)
    plt.show()


# --------------------------------------------------------------------------------------------------
# Data: MNIST through torchvision, or Fashion-MNIST from Debian's dataset-fashion-mnist offline
# --------------------------------------------------------------------------------------------------


def load_gan_data(train=True, root=None, system_dir=None, verbose=True):
    """
    The GAN training images, as a torchvision dataset of (image (1, 28, 28) in [0, 1], label).

    Real source: MNIST through torchvision (its own download and checksums) under datasets/.
    Embedded default (offline, or when the download fails): Fashion-MNIST from Debian's
    dataset-fashion-mnist package, read by torchvision's FashionMNIST class from datasets/FashionMNIST.

    Inputs:
    - train: the 60000-image training split if True, else the 10000-image test split.
    - root: the folder datasets land in (default: datasets_dir()).
    - system_dir: where dataset-fashion-mnist put its gzip files (default: $CS231N_FASHION_MNIST_DIR,
      else FASHION_MNIST_SYSTEM_DIR).
    - verbose: print the one line naming the dataset in use.

    Returns:
    - dataset: a torchvision MNIST or FashionMNIST dataset with transform ToTensor; dataset.gan_name
      is "MNIST" or "Fashion-MNIST".
    """
    import torchvision.datasets as dset
    import torchvision.transforms as T

    root = Path(root) if root is not None else datasets_dir()
    if system_dir is None:
        system_dir = os.environ.get("CS231N_FASHION_MNIST_DIR") or FASHION_MNIST_SYSTEM_DIR
    note = ""
    if _mnist_ready(root):
        ds = dset.MNIST(str(root), train=train, download=False, transform=T.ToTensor())
        ds.gan_name = "MNIST"
        _say(verbose, f"GAN data: MNIST (torchvision, {root / 'MNIST'})")
        return ds
    if offline_forced():
        note = "offline: CS231N_OFFLINE=1"
    else:
        reason = download_mnist(root)
        if reason is None:
            ds = dset.MNIST(str(root), train=train, download=False, transform=T.ToTensor())
            ds.gan_name = "MNIST"
            _say(verbose, f"GAN data: MNIST (downloaded by torchvision to {root / 'MNIST'})")
            return ds
        note = f"MNIST download failed: {reason}"
    problem = _prepare_fashion_mnist(root, Path(system_dir))
    if problem is not None:
        raise RuntimeError(
            f"No GAN training data: MNIST is not in {root / 'MNIST'} ({note}) and {problem}. "
            f"Fix: run `{SETUP_COMMAND}` from the repository root "
            "(or `sudo apt-get install dataset-fashion-mnist`)."
        )
    ds = dset.FashionMNIST(str(root), train=train, download=False, transform=T.ToTensor())
    ds.gan_name = "Fashion-MNIST"
    _say(verbose, f"GAN data: Fashion-MNIST from Debian's dataset-fashion-mnist, stand-in for MNIST ({note})")
    return ds


def _say(verbose, line):
    if verbose:
        print(line)


def _mnist_ready(root):
    import torchvision.datasets as dset

    raw = Path(root) / "MNIST" / "raw"
    return all((raw / name[: -len(".gz")]).is_file() for name, _ in dset.MNIST.resources)


def download_mnist(root=None, timeout=30):
    """Let torchvision download and verify MNIST into root/MNIST (default root: datasets_dir()).

    Returns None on success, else a short reason. A quick probe of torchvision's first mirror comes
    first, so that an unreachable network fails in seconds instead of timing out file by file.
    """
    import torchvision.datasets as dset

    root = Path(root) if root is not None else datasets_dir()
    host = urllib.parse.urlparse(dset.MNIST.mirrors[0]).hostname
    if not _reachable(dset.MNIST.mirrors[0], timeout=min(timeout, 10)):
        return f"offline, cannot reach {host}"
    chatter = io.StringIO()  # torchvision prints a line per file and mirror; we print one line in all
    old_timeout = socket.getdefaulttimeout()
    socket.setdefaulttimeout(timeout)  # a stalled connection must not hang the notebook
    try:
        with contextlib.redirect_stdout(chatter), contextlib.redirect_stderr(chatter):
            dset.MNIST(str(root), train=True, download=True)
            dset.MNIST(str(root), train=False, download=True)
    except Exception as e:  # any network or checksum failure means: use the embedded default
        text = str(e).strip().splitlines()
        return (text[-1] if text else e.__class__.__name__)[:120]
    finally:
        socket.setdefaulttimeout(old_timeout)
    return None


def _reachable(url, timeout):
    """True when url's host accepts a TCP connection within timeout seconds, DNS lookup included.

    With a proxy configured for the scheme we cannot tell, and answer True."""
    parts = urllib.parse.urlparse(url)
    if urllib.request.getproxies().get(parts.scheme):
        return True
    port = parts.port or (443 if parts.scheme == "https" else 80)
    outcome = []

    def probe():
        try:
            socket.create_connection((parts.hostname, port), timeout=timeout).close()
            outcome.append(True)
        except OSError:
            outcome.append(False)

    worker = threading.Thread(target=probe, daemon=True)  # getaddrinfo itself has no timeout
    worker.start()
    worker.join(timeout + 1)
    return bool(outcome and outcome[0])


def _prepare_fashion_mnist(root, system_dir):
    """Lay Debian's Fashion-MNIST gzip files out as torchvision expects (root/FashionMNIST/raw).

    Debian recompressed the original gzip files, so torchvision's MD5 sums of the upstream archives
    do not apply: each file is checked against the package's own MD5 sums (dpkg's list) instead,
    linked in, and decompressed to a temporary name that is moved into place only once its IDX
    header and length agree. Returns None when ready, else a sentence fragment naming the problem.
    """
    import torchvision.datasets as dset

    raw = Path(root) / "FashionMNIST" / "raw"
    names = [n for n, _ in dset.FashionMNIST.resources]
    missing = [n for n in names if not (raw / n[: -len(".gz")]).is_file()]
    if not missing:
        return None
    if not all((system_dir / n).is_file() for n in missing):
        return f"Fashion-MNIST is not installed in {system_dir}"
    raw.mkdir(parents=True, exist_ok=True)
    sums = _dpkg_md5sums(system_dir)
    for name in missing:
        src = system_dir / name
        if name in sums and _md5(src) != sums[name]:
            return f"{src} does not match its package checksum (reinstall dataset-fashion-mnist)"
        link = raw / name
        if link.is_symlink() and not link.exists():  # dangling link left by an older install
            link.unlink()
        if not link.exists():
            os.symlink(src, link)
        out = raw / name[: -len(".gz")]
        tmp = out.with_name(out.name + ".part")
        try:
            with gzip.open(src, "rb") as fin, open(tmp, "wb") as fout:
                shutil.copyfileobj(fin, fout)
        except (OSError, EOFError) as e:
            tmp.unlink(missing_ok=True)
            return f"{src} cannot be decompressed ({e.__class__.__name__}; reinstall dataset-fashion-mnist)"
        if not _idx_complete(tmp):
            tmp.unlink()
            return f"{src} is truncated (reinstall dataset-fashion-mnist)"
        os.replace(tmp, out)
    return None


def _dpkg_md5sums(system_dir):
    """{file name: md5} for system_dir from dpkg's list of the package's files ({} when not there)."""
    listing = Path("/var/lib/dpkg/info/dataset-fashion-mnist.md5sums")
    if not listing.is_file():
        return {}
    prefix = str(system_dir).strip("/") + "/"
    sums = {}
    for line in listing.read_text().splitlines():
        digest, _, path = line.partition("  ")
        if path.startswith(prefix):
            sums[path[len(prefix):]] = digest
    return sums


def _md5(path):
    from .download import file_digest

    return file_digest(path, "md5")


def _idx_complete(path):
    """True when an uncompressed IDX file (uint8 data) is as long as its header says."""
    with open(path, "rb") as f:
        header = f.read(4)
        if len(header) < 4 or header[2] != 0x08 or not 1 <= header[3] <= 3:
            return False
        dims = np.frombuffer(f.read(4 * header[3]), dtype=">u4")
    return len(dims) == header[3] and path.stat().st_size == 4 + 4 * header[3] + int(np.prod(dims))


def gan_loader(dataset, batch_size=128, num_train=None, start=0):
    """A DataLoader over num_train images of dataset from offset start, in order (ChunkSampler)."""
    num_train = len(dataset) - start if num_train is None else num_train
    return torch.utils.data.DataLoader(dataset, batch_size=batch_size, sampler=ChunkSampler(num_train, start))


# --------------------------------------------------------------------------------------------------
# Comparing generators: Fréchet distance on the features of a small classifier
# --------------------------------------------------------------------------------------------------


class FeatureNet(nn.Module):
    """A small CNN classifier for 28x28 images; its 64-dim penultimate layer serves as features."""

    def __init__(self, num_classes=10):
        super().__init__()
        self.body = nn.Sequential(
            nn.Conv2d(1, 16, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2),  # (N, 16, 14, 14)
            nn.Conv2d(16, 32, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2),  # (N, 32, 7, 7)
            nn.Flatten(), nn.Linear(32 * 7 * 7, 64), nn.ReLU(),  # (N, 64)
        )
        self.head = nn.Linear(64, num_classes)

    def features(self, x):
        """Features (N, 64) of images x (N, 784) or (N, 1, 28, 28) in [-1, 1]."""
        return self.body(x.reshape(-1, 1, 28, 28))

    def forward(self, x):
        return self.head(self.features(x))


def dataset_tensors(dataset, n=None):
    """The first n images of a torchvision MNIST-style dataset as (n, 1, 28, 28) in [-1, 1], and labels (n,)."""
    n = len(dataset) if n is None else n
    x = dataset.data[:n].float().div(255).unsqueeze(1)
    return preprocess_img(x), dataset.targets[:n].clone()


def train_feature_classifier(train_set, test_set, num_train=20000, epochs=2, batch_size=128, seed=0,
                             cache=True, verbose=True):
    """
    Train FeatureNet on the GAN's own dataset (or load it from the cache under datasets/).

    Inputs:
    - train_set, test_set: the datasets returned by load_gan_data(True) and load_gan_data(False).
    - num_train, epochs, batch_size: training size; a couple of epochs on 20000 images give ~90%.
    - seed: seed for the initialization and the shuffling.
    - cache: load/save the weights at datasets/gan_feature_net_v1_<dataset>.pt (v1: FeatureNet as defined here).

    Returns:
    - model: the trained FeatureNet, in eval mode, on the CPU.
    - test_acc: its accuracy on the first 2000 test images.
    """
    name = getattr(train_set, "gan_name", type(train_set).__name__)
    path = datasets_dir() / f"gan_feature_net_v1_{name.replace('-', '_').lower()}.pt"
    torch.manual_seed(seed)
    model = FeatureNet()
    x_test, y_test = dataset_tensors(test_set, 2000)
    if cache and path.is_file():
        model.load_state_dict(torch.load(path, weights_only=True))
        model.eval()
        acc = _accuracy(model, x_test, y_test)
        _say(verbose, f"Feature classifier ({name}): loaded from {path}, test accuracy {acc:.3f}")
        return model, acc
    x, y = dataset_tensors(train_set, num_train)
    opt = torch.optim.Adam(model.parameters(), lr=1e-3)
    g = torch.Generator().manual_seed(seed)
    model.train()
    for _ in range(epochs):
        order = torch.randperm(len(x), generator=g)
        for i in range(0, len(x), batch_size):
            idx = order[i: i + batch_size]
            loss = F.cross_entropy(model(x[idx]), y[idx])
            opt.zero_grad()
            loss.backward()
            opt.step()
    model.eval()
    acc = _accuracy(model, x_test, y_test)
    if cache:
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_name(path.name + ".part")
        torch.save(model.state_dict(), tmp)
        os.replace(tmp, path)
    _say(verbose, f"Feature classifier ({name}): trained on {len(x)} images, test accuracy {acc:.3f}")
    return model, acc


@torch.no_grad()
def _accuracy(model, x, y):
    return float((model(x).argmax(1) == y).float().mean())


@torch.no_grad()
def classifier_features(model, images, batch_size=500):
    """Features (N, 64) float64 numpy of images (N, 784) or (N, 1, 28, 28) in [-1, 1]."""
    images = torch.as_tensor(images, dtype=torch.float32).cpu()
    feats = [model.features(images[i: i + batch_size]) for i in range(0, len(images), batch_size)]
    return torch.cat(feats).double().numpy()


def frechet_distance(feats1, feats2):
    """
    Fréchet distance between Gaussians fitted to two feature sets (N1, F) and (N2, F):

      ||mu1 - mu2||^2 + Tr(S1 + S2 - 2 (S1 S2)^(1/2))

    Tr((S1 S2)^(1/2)) is computed as the sum of the square roots of the eigenvalues of the symmetric
    matrix S1^(1/2) S2 S1^(1/2), which has the same eigenvalues as S1 S2.
    """
    mu1, mu2 = feats1.mean(0), feats2.mean(0)
    s1, s2 = np.cov(feats1, rowvar=False), np.cov(feats2, rowvar=False)
    w, v = np.linalg.eigh(s1)
    s1_half = (v * np.sqrt(np.clip(w, 0, None))) @ v.T
    m = s1_half @ s2 @ s1_half
    tr_sqrt = np.sqrt(np.clip(np.linalg.eigvalsh((m + m.T) / 2), 0, None)).sum()
    return float(((mu1 - mu2) ** 2).sum() + np.trace(s1) + np.trace(s2) - 2 * tr_sqrt)


@torch.no_grad()
def generate_images(G, n=1000, noise_dim=NOISE_DIM, seed=0, batch_size=500):
    """n generator samples (n, 784) in [-1, 1] on the CPU, from noise seeded with seed.

    G stays in its current mode (the training loop leaves it in train mode, so BatchNorm uses the
    statistics of each batch, as during training).
    """
    device = next(G.parameters()).device
    g = torch.Generator().manual_seed(seed)
    out = []
    for i in range(0, n, batch_size):
        z = 2 * torch.rand(min(batch_size, n - i), noise_dim, generator=g) - 1
        out.append(G(z.to(device)).reshape(-1, 784).cpu())
    return torch.cat(out)


def fid_score(feature_net, real_feats, G, n=1000, noise_dim=NOISE_DIM, seed=0):
    """Fréchet distance between features of real images and of n samples of G (lower is better)."""
    return frechet_distance(real_feats, classifier_features(feature_net, generate_images(G, n, noise_dim, seed)))
