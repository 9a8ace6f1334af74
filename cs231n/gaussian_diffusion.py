"""Denoising diffusion (Ho et al. 2020, "DDPM"): the forward noising process, the denoising loss and the
reverse sampling step, with the names and signatures of the 2025 CS231n assignment.

Notation (the paper's): beta_t is the noise added at step t, alpha_t = 1 - beta_t, abar_t the product of
alpha_1..alpha_t. Time steps are 0-based here: t = 0 is the first noising step, t = T - 1 the last.
Images live in [-1, 1] inside the model (`normalize`), in [0, 1] outside it (`unnormalize`).
"""

import math

import torch
import torch.nn as nn
import torch.nn.functional as F
from tqdm.auto import tqdm


class GaussianDiffusion(nn.Module):
    """A denoising model wrapped with its noise schedule.

    Inputs to the constructor:
    - model: a network called as model(x_t, t, model_kwargs) that returns a tensor shaped like x_t (the
      predicted noise or the predicted clean image, see `objective`); None for the schedule alone.
    - image_size: side of the square images the model generates.
    - timesteps: number of diffusion steps T.
    - objective: "pred_noise" (the network predicts the noise eps) or "pred_x_start" (it predicts x_0).
    - beta_schedule: "linear", "cosine" or "sigmoid".
    """

    def __init__(self, model, *, image_size, timesteps=1000, objective="pred_noise", beta_schedule="sigmoid"):
        super().__init__()
        if objective not in ("pred_noise", "pred_x_start"):
            raise ValueError(f"objective must be 'pred_noise' or 'pred_x_start', got {objective!r}")
        self.model = model
        self.channels = getattr(model, "channels", 3)
        self.image_size = image_size
        self.objective = objective

        # Every coefficient is computed in float64 and stored as a float32 buffer, so that it follows
        # the module to the model's device.
        betas = get_beta_schedule(beta_schedule, timesteps)
        self.num_timesteps = int(betas.shape[0])
        alphas = 1.0 - betas
        alphas_cumprod = torch.cumprod(alphas, dim=0)  # abar_t
        alphas_cumprod_prev = F.pad(alphas_cumprod[:-1], (1, 0), value=1.0)  # abar_{t-1}, with abar_{-1} = 1

        def buffer(name, value):
            self.register_buffer(name, value.float())

        buffer("betas", betas)
        buffer("alphas", alphas)
        buffer("alphas_cumprod", alphas_cumprod)
        # q(x_t | x_0) = N(sqrt(abar_t) x_0, (1 - abar_t) I)
        buffer("sqrt_alphas_cumprod", torch.sqrt(alphas_cumprod))
        buffer("sqrt_one_minus_alphas_cumprod", torch.sqrt(1.0 - alphas_cumprod))
        # q(x_{t-1} | x_t, x_0) = N(coef1 x_0 + coef2 x_t, std^2 I), Eq. (6) and (7) of the paper
        buffer("posterior_mean_coef1", betas * torch.sqrt(alphas_cumprod_prev) / (1.0 - alphas_cumprod))
        buffer("posterior_mean_coef2", (1.0 - alphas_cumprod_prev) * torch.sqrt(alphas) / (1.0 - alphas_cumprod))
        posterior_var = betas * (1.0 - alphas_cumprod_prev) / (1.0 - alphas_cumprod)
        buffer("posterior_std", torch.sqrt(posterior_var.clamp(min=1e-20)))
        # The loss weight per step: 1 for the noise, the signal-to-noise ratio abar / (1 - abar) for x_0
        # (the notebook's Inline Question 1 asks why).
        snr = alphas_cumprod / (1.0 - alphas_cumprod)
        buffer("loss_weight", torch.ones_like(snr) if objective == "pred_noise" else snr)

    def normalize(self, img):
        """Images in [0, 1] to the model's range [-1, 1]."""
        return img * 2 - 1

    def unnormalize(self, img):
        """The model's range [-1, 1] back to [0, 1]."""
        return (img + 1) * 0.5

    def predict_start_from_noise(self, x_t, t, noise):
        """
        The clean image x_0 that, noised with `noise` up to step t, gives x_t (Eq. (4) solved for x_0).

        Inputs:
        - x_t: noisy images of shape (B, C, H, W).
        - t: time steps of shape (B,), integers in [0, T).
        - noise: the noise of shape (B, C, H, W) that was added.

        Returns:
        - x_start: tensor of shape (B, C, H, W), (x_t - sqrt(1 - abar_t) noise) / sqrt(abar_t).
        """
        x_start = None
        ####################################################################
        # TODO: Solve x_t = sqrt(abar_t) x_0 + sqrt(1 - abar_t) noise for x_0. Read the coefficients
        # from the buffers set up in __init__ with `extract`.
        ####################################################################
        # *****START OF YOUR CODE (DO NOT DELETE/MODIFY THIS LINE)*****
        sqrt_abar = extract(self.sqrt_alphas_cumprod, t, x_t.shape)  # (B, 1, 1, 1)
        sqrt_one_minus_abar = extract(self.sqrt_one_minus_alphas_cumprod, t, x_t.shape)
        x_start = (x_t - sqrt_one_minus_abar * noise) / sqrt_abar
        # *****END OF YOUR CODE (DO NOT DELETE/MODIFY THIS LINE)*****
        return x_start

    def predict_noise_from_start(self, x_t, t, x_start):
        """
        The noise that turns the clean image x_start into x_t at step t (Eq. (4) solved for the noise).

        Inputs:
        - x_t: noisy images of shape (B, C, H, W).
        - t: time steps of shape (B,), integers in [0, T).
        - x_start: clean images of shape (B, C, H, W).

        Returns:
        - pred_noise: tensor of shape (B, C, H, W), (x_t - sqrt(abar_t) x_start) / sqrt(1 - abar_t).
        """
        pred_noise = None
        ####################################################################
        # TODO: Solve x_t = sqrt(abar_t) x_0 + sqrt(1 - abar_t) noise for the noise, with `extract`.
        ####################################################################
        # *****START OF YOUR CODE (DO NOT DELETE/MODIFY THIS LINE)*****
        signal = extract(self.sqrt_alphas_cumprod, t, x_t.shape) * x_start
        pred_noise = (x_t - signal) / extract(self.sqrt_one_minus_alphas_cumprod, t, x_t.shape)
        # *****END OF YOUR CODE (DO NOT DELETE/MODIFY THIS LINE)*****
        return pred_noise

    def q_posterior(self, x_start, x_t, t):
        """Mean and standard deviation of q(x_{t-1} | x_t, x_0), Eq. (6) and (7) of the paper.

        Inputs: x_start and x_t of shape (B, C, H, W), t of shape (B,).
        Returns: posterior_mean (B, C, H, W) and posterior_std (B, 1, 1, 1).
        """
        c1 = extract(self.posterior_mean_coef1, t, x_t.shape)
        c2 = extract(self.posterior_mean_coef2, t, x_t.shape)
        posterior_mean = c1 * x_start + c2 * x_t
        posterior_std = extract(self.posterior_std, t, x_t.shape)
        return posterior_mean, posterior_std

    @torch.no_grad()
    def p_sample(self, x_t, t: int, model_kwargs={}):  # noqa: B006  (the 2025 signature; never mutated)
        """
        One step of the reverse process: draw x_{t-1} from p(x_{t-1} | x_t), Eq. (6) of the paper, with
        the model's estimate of x_0 in place of the unknown x_0. Used only for sampling.

        Inputs:
        - x_t: noisy images of shape (B, C, H, W).
        - t: the current time step, one int for the whole batch, in [0, T).
        - model_kwargs: extra inputs of the model (the text embedding, a guidance scale).

        Returns:
        - x_tm1: tensor of shape (B, C, H, W), a sample of x_{t-1}.
        """
        t = torch.full((x_t.shape[0],), t, device=x_t.device, dtype=torch.long)  # (B,)
        x_tm1 = None
        ####################################################################
        # TODO: Implement one reverse step:
        # 1. call self.model on x_t, t and model_kwargs;
        # 2. if the model predicts noise (self.objective), turn its output into an estimate of x_0;
        # 3. clamp the estimate of x_0 to [-1, 1] (the range of real images) for stable sampling;
        # 4. take the posterior's mean and std from self.q_posterior and draw x_{t-1} from it with
        #    fresh standard normal noise (torch.randn_like).
        ####################################################################
        # *****START OF YOUR CODE (DO NOT DELETE/MODIFY THIS LINE)*****
        model_out = self.model(x_t, t, model_kwargs)
        if self.objective == "pred_noise":
            model_out = self.predict_start_from_noise(x_t, t, model_out)
        x0_hat = model_out.clamp(-1.0, 1.0)
        mean, std = self.q_posterior(x0_hat, x_t, t)
        x_tm1 = mean + std * torch.randn_like(x_t)
        # *****END OF YOUR CODE (DO NOT DELETE/MODIFY THIS LINE)*****
        return x_tm1

    @torch.no_grad()
    def sample(self, batch_size=16, return_all_timesteps=False, model_kwargs={}):  # noqa: B006
        """Generate images from pure noise with T calls of p_sample.

        Returns images in [0, 1] of shape (B, C, H, W), or (B, T + 1, C, H, W) with every intermediate
        x_t (from x_T to x_0) when return_all_timesteps.
        """
        shape = (batch_size, self.channels, self.image_size, self.image_size)
        img = torch.randn(shape, device=self.betas.device)
        imgs = [img]
        steps = reversed(range(self.num_timesteps))
        for t in tqdm(steps, desc="sampling loop time step", total=self.num_timesteps, leave=False):
            img = self.p_sample(img, t, model_kwargs=model_kwargs)
            imgs.append(img)
        res = torch.stack(imgs, dim=1) if return_all_timesteps else img
        return self.unnormalize(res)

    def q_sample(self, x_start, t, noise):
        """
        Noise clean images up to step t in one go: draw x_t from q(x_t | x_0), Eq. (4) of the paper.

        Inputs:
        - x_start: clean images of shape (B, C, H, W).
        - t: time steps of shape (B,), integers in [0, T).
        - noise: standard normal noise of shape (B, C, H, W).

        Returns:
        - x_t: tensor of shape (B, C, H, W), sqrt(abar_t) x_start + sqrt(1 - abar_t) noise.
        """
        x_t = None
        ####################################################################
        # TODO: Implement q_sample with the coefficients set up in __init__ and `extract` (about 3
        # lines). A sample of N(mu, sigma^2) is mu + sigma * noise.
        ####################################################################
        # *****START OF YOUR CODE (DO NOT DELETE/MODIFY THIS LINE)*****
        mean_coef = extract(self.sqrt_alphas_cumprod, t, x_start.shape)  # (B, 1, 1, 1)
        std = extract(self.sqrt_one_minus_alphas_cumprod, t, x_start.shape)
        x_t = mean_coef * x_start + std * noise
        # *****END OF YOUR CODE (DO NOT DELETE/MODIFY THIS LINE)*****
        return x_t

    def p_losses(self, x_start, model_kwargs={}):  # noqa: B006
        """
        The denoising loss of a batch (Eq. (14) of the paper): noise each image to a random step, let
        the model predict the noise (or the clean image), and average the weighted squared error.

        Inputs:
        - x_start: clean images in [0, 1] of shape (B, C, H, W).
        - model_kwargs: extra inputs of the model (the text embedding).

        Returns:
        - loss: scalar tensor, the mean over every element of loss_weight_t * (target - prediction)^2.
        """
        b, nts = x_start.shape[0], self.num_timesteps
        t = torch.randint(0, nts, (b,), device=x_start.device).long()  # (B,)
        x_start = self.normalize(x_start)  # (B, C, H, W) in [-1, 1]
        noise = torch.randn_like(x_start)  # (B, C, H, W)
        target = noise if self.objective == "pred_noise" else x_start
        loss_weight = extract(self.loss_weight, t, target.shape)  # (B, 1, 1, 1)
        loss = None
        ####################################################################
        # TODO: Noise x_start to step t with q_sample, call self.model on the result, t and
        # model_kwargs, and return the mean of the weighted squared error (about 3 lines).
        ####################################################################
        # *****START OF YOUR CODE (DO NOT DELETE/MODIFY THIS LINE)*****
        noisy = self.q_sample(x_start, t, noise)
        prediction = self.model(noisy, t, model_kwargs)
        loss = torch.mean(loss_weight * (prediction - target) ** 2)
        # *****END OF YOUR CODE (DO NOT DELETE/MODIFY THIS LINE)*****
        return loss


def extract(a, t, x_shape):
    """The entries a[t] of a per-step coefficient a (T,) for time steps t (B,), shaped (B, 1, 1, ...) so
    that they broadcast against a tensor of shape x_shape."""
    out = a.gather(-1, t)  # (B,)
    return out.reshape(t.shape[0], *((1,) * (len(x_shape) - 1)))


def linear_beta_schedule(timesteps):
    """The DDPM paper's schedule: betas from 1e-4 to 0.02 for T = 1000, scaled for other T."""
    scale = 1000 / timesteps
    return torch.linspace(scale * 0.0001, scale * 0.02, timesteps, dtype=torch.float64)


def _betas_from_alphas_cumprod(alphas_cumprod):
    alphas_cumprod = alphas_cumprod / alphas_cumprod[0]
    return torch.clip(1 - alphas_cumprod[1:] / alphas_cumprod[:-1], 0, 0.999)


def cosine_beta_schedule(timesteps, s=0.008):
    """Nichol and Dhariwal's schedule (2021): abar_t follows cos^2 of t / T, offset by s."""
    t = torch.linspace(0, timesteps, timesteps + 1, dtype=torch.float64) / timesteps
    return _betas_from_alphas_cumprod(torch.cos((t + s) / (1 + s) * math.pi * 0.5) ** 2)


def sigmoid_beta_schedule(timesteps, start=-3, end=3, tau=1):
    """Jabri et al.'s schedule (2022): abar_t follows a sigmoid of t / T over [start, end], temperature tau."""
    t = torch.linspace(0, timesteps, timesteps + 1, dtype=torch.float64) / timesteps
    # the end points in float32, as the 2025 code computes them (its check values depend on it)
    v_start = torch.tensor(start / tau, dtype=torch.float32).sigmoid()
    v_end = torch.tensor(end / tau, dtype=torch.float32).sigmoid()
    alphas_cumprod = (v_end - ((t * (end - start) + start) / tau).sigmoid()) / (v_end - v_start)
    return _betas_from_alphas_cumprod(alphas_cumprod)


def get_beta_schedule(beta_schedule, timesteps):
    """The betas (T,) float64 of the schedule named "linear", "cosine" or "sigmoid"."""
    schedules = {"linear": linear_beta_schedule, "cosine": cosine_beta_schedule, "sigmoid": sigmoid_beta_schedule}
    if beta_schedule not in schedules:
        raise ValueError(f"unknown beta schedule {beta_schedule!r}; expected one of {sorted(schedules)}")
    return schedules[beta_schedule](timesteps)
