"""The denoising network of the DDPM notebook: a U-Net conditioned on the time step and a text embedding,
with classifier-free guidance (the 2025 CS231n names and signatures).

Shapes: images (B, C, H, W); the context vector that conditions every residual block is (B, 4 * dim).
H and W must be divisible by 2 ** len(dim_mults).
"""

import math

import torch
import torch.nn.functional as F
from torch import nn


def Upsample(dim, dim_out=None):
    """Double the resolution: bilinear upsampling, then a 3x3 convolution from dim to dim_out channels."""
    return nn.Sequential(nn.Upsample(scale_factor=2, mode="bilinear"),
                         nn.Conv2d(dim, dim_out or dim, 3, padding=1))


def Downsample(dim, dim_out=None):
    """Halve the resolution with a 2x2 convolution of stride 2 from dim to dim_out channels."""
    return nn.Conv2d(dim, dim_out or dim, kernel_size=2, stride=2)


class RMSNorm(nn.Module):
    """Scale each pixel's channel vector to unit root-mean-square, then by a learned per-channel gain."""

    def __init__(self, dim):
        super().__init__()
        self.scale = dim ** 0.5
        self.g = nn.Parameter(torch.ones(1, dim, 1, 1))

    def forward(self, x):
        return F.normalize(x, dim=1) * self.g * self.scale  # F.normalize: unit L2 norm over channels


class SinusoidalPosEmb(nn.Module):
    """Embed integer time steps (B,) as (B, dim) sines and cosines of geometrically spaced frequencies."""

    def __init__(self, dim):
        super().__init__()
        self.dim = dim

    def forward(self, x):
        half = self.dim // 2
        freqs = torch.exp(torch.arange(half, device=x.device) * -(math.log(10000) / (half - 1)))  # (half,)
        angles = x[:, None] * freqs[None, :]  # (B, half)
        return torch.cat((angles.sin(), angles.cos()), dim=-1)  # (B, dim)


class Block(nn.Module):
    """3x3 convolution, RMSNorm, an optional feature-wise scale and shift, GELU."""

    def __init__(self, dim, dim_out):
        super().__init__()
        self.proj = nn.Conv2d(dim, dim_out, 3, padding=1)
        self.norm = RMSNorm(dim_out)
        self.act = nn.GELU()

    def forward(self, x, scale_shift=None):
        x = self.norm(self.proj(x))
        if scale_shift is not None:
            scale, shift = scale_shift  # each (B, dim_out, 1, 1)
            x = x * (scale + 1) + shift
        return self.act(x)


class ResnetBlock(nn.Module):
    """Two Blocks with a residual connection; the context vector sets the first Block's scale and shift.

    Inputs to forward: x (B, dim, H, W) and context (B, context_dim) or None. Output: (B, dim_out, H, W).
    """

    def __init__(self, dim, dim_out, context_dim):
        super().__init__()
        self.dim = dim
        self.dim_out = dim_out
        self.context_dim = context_dim
        self.mlp = nn.Sequential(nn.GELU(), nn.Linear(context_dim, dim_out * 2)) if context_dim is not None else None
        self.block1 = Block(dim, dim_out)
        self.block2 = Block(dim_out, dim_out)
        self.res_conv = nn.Conv2d(dim, dim_out, 1) if dim != dim_out else nn.Identity()
        self.dropout = nn.Dropout(0.1)

    def forward(self, x, context=None):
        scale_shift = None
        if self.mlp is not None and context is not None:
            context = self.mlp(context)[:, :, None, None]  # (B, 2 * dim_out, 1, 1)
            scale_shift = context.chunk(2, dim=1)
        h = self.block1(x, scale_shift=scale_shift)
        h = self.dropout(h)
        h = self.block2(h)
        return h + self.res_conv(x)


class Unet(nn.Module):
    """
    A U-Net that predicts noise (or a clean image) from a noisy image, its time step and a condition.

    Inputs to the constructor:
    - dim: channels after the first convolution; level i works with dim * dim_mults[i] channels.
    - condition_dim: size of the condition vector (the text embedding), model_kwargs["text_emb"].
    - dim_mults: channel multipliers of the levels; one halving of the resolution per level.
    - channels: image channels (3 for RGB).
    - uncond_prob: probability of dropping the condition of an example in training (replacing it with
      zeros), so that the same network also learns the unconditional model guidance needs.
    """

    def __init__(self, dim, condition_dim, dim_mults=(1, 2, 4, 8), channels=3, uncond_prob=0.2):
        super().__init__()
        self.init_conv = nn.Conv2d(channels, dim, 3, padding=1)
        self.channels = channels

        dims = [dim] + [dim * m for m in dim_mults]  # channels at each level: [d0, d1, ..., dn]
        in_out = list(zip(dims[:-1], dims[1:]))  # downsampling levels: [(d0, d1), (d1, d2), ...]
        in_out_ups = [(b, a) for a, b in reversed(in_out)]  # upsampling levels: [(dn, dn-1), ..., (d1, d0)]

        # The context: an embedding of the time step plus one of the condition, both context_dim long.
        context_dim = dim * 4
        self.time_mlp = nn.Sequential(SinusoidalPosEmb(dim), nn.Linear(dim, context_dim), nn.GELU(),
                                      nn.Linear(context_dim, context_dim))
        self.condition_dim = condition_dim
        self.condition_mlp = nn.Sequential(nn.Linear(condition_dim, context_dim), nn.GELU(),
                                           nn.Linear(context_dim, context_dim))
        self.uncond_prob = uncond_prob

        self.downs = nn.ModuleList([])  # one ModuleList per level
        self.ups = nn.ModuleList([])  # one ModuleList per level

        for dim_in, dim_out in in_out:
            down_block = None
            ##################################################################
            # TODO: Build one downsampling level as an nn.ModuleList of three modules, in this order
            # (a pretrained checkpoint is loaded by these names): a ResnetBlock from dim_in to dim_in
            # channels, a second one from dim_in to dim_in, both with context_dim, and a Downsample
            # from dim_in to dim_out channels.
            ##################################################################
            # *****START OF YOUR CODE (DO NOT DELETE/MODIFY THIS LINE)*****
            down_block = nn.ModuleList([
                ResnetBlock(dim_in, dim_in, context_dim),
                ResnetBlock(dim_in, dim_in, context_dim),
                Downsample(dim_in, dim_out),
            ])
            # *****END OF YOUR CODE (DO NOT DELETE/MODIFY THIS LINE)*****
            self.downs.append(down_block)

        mid_dim = dims[-1]
        self.mid_block1 = ResnetBlock(mid_dim, mid_dim, context_dim)
        self.mid_block2 = ResnetBlock(mid_dim, mid_dim, context_dim)

        for dim_in, dim_out in in_out_ups:
            up_block = None
            ##################################################################
            # TODO: Build one upsampling level, the mirror of a downsampling one, as an nn.ModuleList
            # of three modules in this order: an Upsample from dim_in to dim_out channels, then two
            # ResnetBlocks to dim_out channels with context_dim. Each ResnetBlock also receives a skip
            # connection of dim_out channels concatenated to its input: 2 * dim_out channels in.
            ##################################################################
            # *****START OF YOUR CODE (DO NOT DELETE/MODIFY THIS LINE)*****
            up_block = nn.ModuleList([
                Upsample(dim_in, dim_out),
                ResnetBlock(2 * dim_out, dim_out, context_dim),
                ResnetBlock(2 * dim_out, dim_out, context_dim),
            ])
            # *****END OF YOUR CODE (DO NOT DELETE/MODIFY THIS LINE)*****
            self.ups.append(up_block)

        self.final_conv = nn.Conv2d(dim, channels, 1)

    def cfg_forward(self, x, time, model_kwargs={}):  # noqa: B006  (the 2025 signature; never mutated)
        """
        Classifier-free guidance (Ho and Salimans 2022, Eq. (6)): (s + 1) f(x, t, c) - s f(x, t, empty).

        Inputs:
        - x, time: as for forward.
        - model_kwargs: "text_emb" (B, condition_dim), the condition c, and "cfg_scale", the guidance
          scale s (a float). The caller's dictionary is left unchanged.

        Returns:
        - x: tensor of shape (B, C, H, W), the guided prediction.
        """
        model_kwargs = dict(model_kwargs)  # a copy: sample() passes the same dict at every step
        cfg_scale = model_kwargs.pop("cfg_scale")
        ##################################################################
        # TODO: Call self.forward twice, first with the condition (model_kwargs as it is now, without
        # "cfg_scale"), then without it ("text_emb" set to None), and combine the two predictions.
        ##################################################################
        # *****START OF YOUR CODE (DO NOT DELETE/MODIFY THIS LINE)*****
        pred_cond = self.forward(x, time, model_kwargs)
        pred_uncond = self.forward(x, time, {**model_kwargs, "text_emb": None})
        x = pred_cond + cfg_scale * (pred_cond - pred_uncond)
        # *****END OF YOUR CODE (DO NOT DELETE/MODIFY THIS LINE)*****
        return x

    def forward(self, x, time, model_kwargs={}):  # noqa: B006
        """
        Predict the noise (or the clean image) of x.

        Inputs:
        - x: noisy images of shape (B, C, H, W).
        - time: time steps of shape (B,).
        - model_kwargs: "text_emb", the condition (B, condition_dim) or None for none; with "cfg_scale"
          the call goes to cfg_forward.

        Returns:
        - x: tensor of shape (B, C, H, W).
        """
        if "cfg_scale" in model_kwargs:
            return self.cfg_forward(x, time, model_kwargs)

        context = self.time_mlp(time)  # (B, context_dim)
        cond_emb = model_kwargs.get("text_emb")
        if cond_emb is None:
            cond_emb = torch.zeros(x.shape[0], self.condition_dim, device=x.device)
        if self.training:  # drop the condition of each example with probability uncond_prob
            keep = (torch.rand(cond_emb.shape[0]) > self.uncond_prob).float()
            cond_emb = cond_emb * keep[:, None].to(cond_emb.device)
        context = context + self.condition_mlp(cond_emb)  # (B, context_dim)

        x = self.init_conv(x)  # (B, dim, H, W)
        ##################################################################
        # TODO: Run x through the U-Net, passing the context to every ResnetBlock.
        # 1. Down: for each level, keep the output of each of its two ResnetBlocks for the skip
        #    connections, then apply its Downsample.
        # 2. Middle: self.mid_block1, then self.mid_block2.
        # 3. Up: for each level, apply its Upsample, then before each of its two ResnetBlocks
        #    concatenate (along the channels, after x) the matching skip: the most recent one kept
        #    and not used yet, so the last kept is the first used.
        ##################################################################
        # *****START OF YOUR CODE (DO NOT DELETE/MODIFY THIS LINE)*****
        skips = []
        for res1, res2, down in self.downs:
            x = res1(x, context)
            skips.append(x)
            x = res2(x, context)
            skips.append(x)
            x = down(x)  # (B, dim_out, H / 2, W / 2)
        x = self.mid_block1(x, context)
        x = self.mid_block2(x, context)
        for up, res1, res2 in self.ups:
            x = up(x)  # (B, dim_out, 2 H, 2 W)
            x = res1(torch.cat((x, skips.pop()), dim=1), context)
            x = res2(torch.cat((x, skips.pop()), dim=1), context)
        # *****END OF YOUR CODE (DO NOT DELETE/MODIFY THIS LINE)*****
        return self.final_conv(x)
