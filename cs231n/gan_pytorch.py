"""Generative adversarial networks in PyTorch: vanilla GAN, least-squares GAN, DCGAN and WGAN-GP.

You implement the functions with START/END markers; the training loop `run_a_gan` and the classic
helpers at the end are given. The data (cs231n/data/mnist.py), the notebook's training schedules
(cs231n/gan_training.py) and the Fréchet distance (cs231n/metrics/frechet.py) live elsewhere.
"""

import numpy as np
import torch
import torch.nn as nn

from cs231n.checks import rel_error

__all__ = [  # what the notebooks use after `from cs231n.gan_pytorch import *`
    "sample_noise", "discriminator", "generator", "bce_loss", "discriminator_loss", "generator_loss",
    "ls_discriminator_loss", "ls_generator_loss", "get_optimizer", "build_dc_classifier",
    "build_dc_generator", "wgan_critic_loss", "wgan_generator_loss", "gradient_penalty", "run_a_gan",
    "NOISE_DIM", "dtype", "ChunkSampler", "Flatten", "Unflatten", "initialize_weights", "preprocess_img",
    "deprocess_img", "rel_error", "count_params", "show_images",
]

NOISE_DIM = 96

# The classic notebooks and solutions write `.type(dtype)` to put tensors on the GPU when there is one.
dtype = torch.cuda.FloatTensor if torch.cuda.is_available() else torch.FloatTensor


def sample_noise(batch_size, dim, seed=None):
    """Generate a PyTorch Tensor of uniform random noise.

    Inputs:
    - batch_size: Integer giving the batch size of noise to generate.
    - dim: Integer giving the dimension of noise to generate.
    - seed: If not None, seed torch's random generator with it first (for reproducible checks).

    Returns:
    - noise: float32 PyTorch Tensor of shape (batch_size, dim), uniform random noise in [-1, 1).
    """
    if seed is not None:
        torch.manual_seed(seed)
    noise = None
    # TODO: Draw uniform noise in [-1, 1). torch.rand draws from [0, 1); rescale it.
    # *****START OF YOUR CODE (DO NOT DELETE/MODIFY THIS LINE)*****
    noise = 2 * torch.rand(batch_size, dim) - 1
    # *****END OF YOUR CODE (DO NOT DELETE/MODIFY THIS LINE)*****
    return noise


def discriminator(seed=None):
    """Build and return a PyTorch nn.Sequential model implementing the vanilla GAN discriminator:

      Flatten -> Linear(784, 256) -> LeakyReLU(0.01) -> Linear(256, 256) -> LeakyReLU(0.01) -> Linear(256, 1)

    Inputs:
    - seed: If not None, seed torch's random generator with it first, so the weights are reproducible.

    Returns:
    - model: nn.Sequential mapping images (N, 1, 28, 28) or (N, 784) to real-valued scores (N, 1).
    """
    if seed is not None:
        torch.manual_seed(seed)
    model = None
    # TODO: Build the discriminator as an nn.Sequential (use the Flatten class defined below).
    # *****START OF YOUR CODE (DO NOT DELETE/MODIFY THIS LINE)*****
    model = nn.Sequential(
        Flatten(),
        nn.Linear(784, 256), nn.LeakyReLU(0.01),
        nn.Linear(256, 256), nn.LeakyReLU(0.01),
        nn.Linear(256, 1),
    )
    # *****END OF YOUR CODE (DO NOT DELETE/MODIFY THIS LINE)*****
    return model


def generator(noise_dim=NOISE_DIM, seed=None):
    """Build and return a PyTorch nn.Sequential model implementing the vanilla GAN generator:

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
    # TODO: Build the generator as an nn.Sequential.
    # *****START OF YOUR CODE (DO NOT DELETE/MODIFY THIS LINE)*****
    model = nn.Sequential(
        nn.Linear(noise_dim, 1024), nn.ReLU(),
        nn.Linear(1024, 1024), nn.ReLU(),
        nn.Linear(1024, 784), nn.Tanh(),
    )
    # *****END OF YOUR CODE (DO NOT DELETE/MODIFY THIS LINE)*****
    return model


def bce_loss(input, target):
    """Numerically stable binary cross-entropy on logits, averaged over all elements:

      loss = mean( max(x, 0) - x * y + log(1 + exp(-|x|)) )

    which equals mean(-y log sigmoid(x) - (1 - y) log(1 - sigmoid(x))) without overflowing for large |x|.

    Inputs:
    - input: PyTorch Tensor of shape (N,) giving scores (logits) x (the classic shape; (N, 1) works too
      when target has the same shape).
    - target: PyTorch Tensor of the same shape giving targets y (0 or 1).

    Returns:
    - loss: A scalar PyTorch Tensor, the mean BCE loss over the batch.
    """
    loss = None
    # TODO: Implement the stable formula above (do not call torch's binary_cross_entropy*).
    # *****START OF YOUR CODE (DO NOT DELETE/MODIFY THIS LINE)*****
    elementwise = input.clamp(min=0) - input * target + torch.log1p(torch.exp(-input.abs()))
    loss = elementwise.mean()
    # *****END OF YOUR CODE (DO NOT DELETE/MODIFY THIS LINE)*****
    return loss


def discriminator_loss(logits_real, logits_fake):
    """Computes the discriminator loss of the vanilla GAN:  ℓ_D = bce(logits_real, 1) + bce(logits_fake, 0).

    Inputs:
    - logits_real, logits_fake: PyTorch Tensors of shape (N,), the scores of the real and the fake data
      (the classic shape; the discriminators return (N, 1), which bce_loss takes as well).

    Returns:
    - loss: A scalar PyTorch Tensor.
    """
    loss = None
    # TODO: Use bce_loss with targets of ones for real data and zeros for fake data.
    # *****START OF YOUR CODE (DO NOT DELETE/MODIFY THIS LINE)*****
    loss = (bce_loss(logits_real, torch.ones_like(logits_real))
            + bce_loss(logits_fake, torch.zeros_like(logits_fake)))
    # *****END OF YOUR CODE (DO NOT DELETE/MODIFY THIS LINE)*****
    return loss


def generator_loss(logits_fake):
    """Computes the non-saturating generator loss of the vanilla GAN:  ℓ_G = bce(logits_fake, 1).

    Inputs:
    - logits_fake: PyTorch Tensor of shape (N,) (or (N, 1)) giving scores for the fake data.

    Returns:
    - loss: A scalar PyTorch Tensor.
    """
    loss = None
    # TODO: The generator wants the discriminator to call its samples real.
    # *****START OF YOUR CODE (DO NOT DELETE/MODIFY THIS LINE)*****
    loss = bce_loss(logits_fake, torch.ones_like(logits_fake))
    # *****END OF YOUR CODE (DO NOT DELETE/MODIFY THIS LINE)*****
    return loss


def ls_discriminator_loss(scores_real, scores_fake):
    """Least-squares GAN loss for the discriminator:  ℓ_D = 1/2 mean((D(x) - 1)^2) + 1/2 mean(D(G(z))^2).

    Inputs:
    - scores_real, scores_fake: PyTorch Tensors of shape (N,) or (N, 1), the scores of the real and the
      fake data.

    Returns:
    - loss: A scalar PyTorch Tensor.
    """
    loss = None
    # TODO: Implement the formula above.
    # *****START OF YOUR CODE (DO NOT DELETE/MODIFY THIS LINE)*****
    loss = 0.5 * ((scores_real - 1) ** 2).mean() + 0.5 * (scores_fake**2).mean()
    # *****END OF YOUR CODE (DO NOT DELETE/MODIFY THIS LINE)*****
    return loss


def ls_generator_loss(scores_fake):
    """Computes the Least-Squares GAN loss for the generator:  ℓ_G = 1/2 mean((D(G(z)) - 1)^2).

    Inputs:
    - scores_fake: PyTorch Tensor of shape (N,) or (N, 1) giving scores for the fake data.

    Returns:
    - loss: A scalar PyTorch Tensor.
    """
    loss = None
    # TODO: Implement the formula above.
    # *****START OF YOUR CODE (DO NOT DELETE/MODIFY THIS LINE)*****
    loss = 0.5 * ((scores_fake - 1) ** 2).mean()
    # *****END OF YOUR CODE (DO NOT DELETE/MODIFY THIS LINE)*****
    return loss


def get_optimizer(model):
    """Construct and return an Adam optimizer for the model with learning rate 1e-3, beta1=0.5, beta2=0.999.

    Inputs:
    - model: A PyTorch model that we want to optimize.

    Returns:
    - optimizer: An Adam optimizer for the model with the desired hyperparameters.
    """
    optimizer = None
    # TODO: Create the optimizer over model.parameters().
    # *****START OF YOUR CODE (DO NOT DELETE/MODIFY THIS LINE)*****
    optimizer = torch.optim.Adam(model.parameters(), lr=1e-3, betas=(0.5, 0.999))
    # *****END OF YOUR CODE (DO NOT DELETE/MODIFY THIS LINE)*****
    return optimizer


def build_dc_classifier(batch_size):
    """Build and return a PyTorch nn.Sequential model for the DCGAN discriminator:

      Unflatten(batch_size, 1, 28, 28)
      Conv2d(1, 32, kernel 5, stride 1) -> LeakyReLU(0.01) -> MaxPool2d(2, stride 2)
      Conv2d(32, 64, kernel 5, stride 1) -> LeakyReLU(0.01) -> MaxPool2d(2, stride 2)
      Flatten -> Linear(4*4*64, 4*4*64) -> LeakyReLU(0.01) -> Linear(4*4*64, 1)

    run_a_gan hands it images of shape (N, 1, 28, 28). The first layer, Unflatten, is the 2019-2021
    specification (it also takes flat (N, 784) input); the 2022-2024 one leaves it out. Either is right.

    Inputs:
    - batch_size: the number of images N in every batch the model will see.

    Returns:
    - model: nn.Sequential mapping images (N, 1, 28, 28) to scores (N, 1).
    """
    model = None
    # TODO: Build the DCGAN discriminator as an nn.Sequential (use Unflatten and Flatten below).
    # *****START OF YOUR CODE (DO NOT DELETE/MODIFY THIS LINE)*****
    model = nn.Sequential(
        Unflatten(batch_size, 1, 28, 28),
        nn.Conv2d(1, 32, kernel_size=5, stride=1), nn.LeakyReLU(0.01),  # (N, 32, 24, 24)
        nn.MaxPool2d(kernel_size=2, stride=2),  # (N, 32, 12, 12)
        nn.Conv2d(32, 64, kernel_size=5, stride=1), nn.LeakyReLU(0.01),  # (N, 64, 8, 8)
        nn.MaxPool2d(kernel_size=2, stride=2),  # (N, 64, 4, 4)
        Flatten(),  # (N, 1024)
        nn.Linear(4 * 4 * 64, 4 * 4 * 64), nn.LeakyReLU(0.01),
        nn.Linear(4 * 4 * 64, 1),
    )
    # *****END OF YOUR CODE (DO NOT DELETE/MODIFY THIS LINE)*****
    return model


def build_dc_generator(noise_dim=NOISE_DIM):
    """Build and return a PyTorch nn.Sequential model implementing the DCGAN generator:

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
    model = None
    # TODO: Build the DCGAN generator as an nn.Sequential.
    # *****START OF YOUR CODE (DO NOT DELETE/MODIFY THIS LINE)*****
    model = nn.Sequential(
        nn.Linear(noise_dim, 1024), nn.ReLU(), nn.BatchNorm1d(1024),
        nn.Linear(1024, 7 * 7 * 128), nn.ReLU(), nn.BatchNorm1d(7 * 7 * 128),
        Unflatten(-1, 128, 7, 7),  # (N, 128, 7, 7)
        nn.ConvTranspose2d(128, 64, kernel_size=4, stride=2, padding=1),  # (N, 64, 14, 14)
        nn.ReLU(), nn.BatchNorm2d(64),
        nn.ConvTranspose2d(64, 1, kernel_size=4, stride=2, padding=1), nn.Tanh(),  # (N, 1, 28, 28)
        Flatten(),  # (N, 784)
    )
    # *****END OF YOUR CODE (DO NOT DELETE/MODIFY THIS LINE)*****
    return model


def wgan_critic_loss(scores_real, scores_fake):
    """Computes the Wasserstein critic loss (no gradient penalty):  ℓ_C = mean(C(G(z))) - mean(C(x)).

    The critic's scores are unbounded (no sigmoid); minimizing ℓ_C raises those of real data, lowers fakes'.

    Inputs:
    - scores_real, scores_fake: PyTorch Tensors of shape (N,) or (N, 1), the critic's scores of real and
      fake data.

    Returns:
    - loss: A scalar PyTorch Tensor.
    """
    loss = None
    # TODO: Implement the formula above.
    # *****START OF YOUR CODE (DO NOT DELETE/MODIFY THIS LINE)*****
    loss = scores_fake.mean() - scores_real.mean()
    # *****END OF YOUR CODE (DO NOT DELETE/MODIFY THIS LINE)*****
    return loss


def wgan_generator_loss(scores_fake):
    """Computes the Wasserstein generator loss:  ℓ_G = -mean(C(G(z))).

    Inputs:
    - scores_fake: PyTorch Tensor of shape (N,) or (N, 1) giving critic scores for the fake data.

    Returns:
    - loss: A scalar PyTorch Tensor.
    """
    loss = None
    # TODO: Implement the formula above.
    # *****START OF YOUR CODE (DO NOT DELETE/MODIFY THIS LINE)*****
    loss = -scores_fake.mean()
    # *****END OF YOUR CODE (DO NOT DELETE/MODIFY THIS LINE)*****
    return loss


def gradient_penalty(D, real_data, fake_data):
    """The WGAN-GP gradient penalty (Gulrajani et al., 2017):

      x_hat = eps * x + (1 - eps) * G(z),   eps ~ U[0, 1] drawn once per example
      GP    = mean over the batch of (||∇_{x_hat} D(x_hat)||_2 - 1)^2

    It must stay differentiable in D's parameters: added to the critic loss, it trains D towards norm 1.

    Inputs:
    - D: the critic, a PyTorch model mapping a batch shaped like real_data to scores (N, 1).
    - real_data: PyTorch Tensor (N, ...) of real images.
    - fake_data: PyTorch Tensor of the same shape, generated images (already detached from G).

    Returns:
    - penalty: A scalar PyTorch Tensor.
    """
    penalty = None
    # TODO: Interpolate, take the gradient of D's scores with torch.autograd.grad
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
              batch_size=128, noise_size=96, num_epochs=10, *, num_iters=None, critic_steps=1, gp_weight=0.0,
              on_step=None):
    """Train a GAN: for each minibatch, one discriminator step, then one generator step.

    As in the classic loop, batches whose size is not batch_size are skipped (the DCGAN discriminator
    needs a fixed size), and after the generator steps numbered 0, show_every, 2*show_every, ... the
    losses are printed and a snapshot of 16 samples is kept.

    Inputs:
    - D, G: the discriminator (critic) and generator, PyTorch models on the device to train on.
    - D_solver, G_solver: their torch.optim optimizers.
    - discriminator_loss, generator_loss: functions computing the losses from scores.
    - loader_train: iterable of (images (N, 1, 28, 28) in [0, 1], labels) batches, one pass per epoch.
    - show_every, batch_size: as above; noise_size: the generator's input size; num_epochs: passes.
    Optional, keyword-only (the defaults give the classic loop):
    - num_iters: stop after this many generator steps, keeping a snapshot of the last one too.
    - critic_steps: discriminator steps per generator step (5 for WGAN-GP).
    - gp_weight: weight of gradient_penalty in the discriminator loss (10 for WGAN-GP).
    - on_step: called as on_step(iter_count, d_loss, g_loss, snapshot) after every generator step, with
      the two losses as floats and the snapshot kept at this step (None if none was kept).

    Returns:
    - images: list of the kept snapshots, numpy arrays (16, 784) in (-1, 1).
    """
    device = next(G.parameters()).device
    images = []
    iter_count = 0
    d_step = 0
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
            # The gradient flows through D into G, but D's own weights get none: only G steps here
            # (and D's next step starts from zero_grad), so computing them would be wasted work.
            frozen = [p for p in D.parameters() if p.requires_grad]
            for p in frozen:
                p.requires_grad_(False)
            try:
                gen_logits_fake = D(fake_images.view(batch_size, 1, 28, 28))
                g_error = generator_loss(gen_logits_fake)
                g_error.backward()
            finally:
                for p in frozen:
                    p.requires_grad_(True)
            G_solver.step()

            d_loss, g_loss = d_total_error.item(), g_error.item()
            last = num_iters is not None and iter_count + 1 >= num_iters
            snapshot = None
            if iter_count % show_every == 0 or last:
                print(f"Iter: {iter_count}, D: {d_loss:.4}, G: {g_loss:.4}")
                snapshot = fake_images.detach().cpu().numpy()[:16]
                images.append(snapshot)
            if on_step is not None:
                on_step(iter_count, d_loss, g_loss, snapshot)
            iter_count += 1
            if last:
                return images
    return images


# Classic helpers ----------------------------------------------------------------------------------


class ChunkSampler(torch.utils.data.sampler.Sampler):
    """Samples num_samples elements sequentially, starting from the offset start."""

    def __init__(self, num_samples, start=0):
        self.num_samples, self.start = num_samples, start

    def __iter__(self):
        return iter(range(self.start, self.start + self.num_samples))

    def __len__(self):
        return self.num_samples


class Flatten(nn.Module):
    def forward(self, x):
        N = x.shape[0]
        return x.reshape(N, -1)  # "flatten" the C * H * W values into a single vector per image


class Unflatten(nn.Module):
    """Reshapes an input of shape (N, C*H*W) to an output of shape (N, C, H, W)."""

    def __init__(self, N=-1, C=128, H=7, W=7):
        super().__init__()
        self.N, self.C, self.H, self.W = N, C, H, W

    def forward(self, x):
        return x.reshape(self.N, self.C, self.H, self.W)


def initialize_weights(m):
    """Xavier-uniform weights for Linear and ConvTranspose2d layers, biases left at PyTorch's default
    (use with model.apply)."""
    if isinstance(m, (nn.Linear, nn.ConvTranspose2d)):
        nn.init.xavier_uniform_(m.weight.data)


def preprocess_img(x):
    """Map images from [0, 1] to [-1, 1], the range of the generators' tanh."""
    return 2 * x - 1.0


def deprocess_img(x):
    """Map images from [-1, 1] back to [0, 1]."""
    return (x + 1.0) / 2.0


def count_params(model):
    """Count the number of parameters in the model."""
    return sum(int(np.prod(p.size())) for p in model.parameters())


def show_images(images, title=None):
    """Show a square grid of images (N, 784) given in [0, 1] (call deprocess_img on generator output)."""
    import matplotlib.pyplot as plt  # only when drawing: the tests and the grader import this module

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
