"""A tiny Vision Transformer with DINO's interface: the offline stand-in for DINO ViT-S/8.

`get_intermediate_layers(x, n=1)` and `get_last_selfattention(x)` behave like those of the models
torch hub's `facebookresearch/dino` builds (tokens (B, 1 + P, D) after the final norm; attention
weights (B, heads, 1 + P, 1 + P) of the last block), so the notebook reads both models the same way.
`forward` returns the [CLS] token's features. `DINOHead` is DINO's projection head (an MLP, an
L2-normalised bottleneck, a weight-normalised last layer), here small.

Images of 32x32 pixels cut into 4x4 patches: an 8x8 grid of 64 patch tokens, as ViT-S/8 cuts a
480x480 frame into a 60x60 grid.
"""

import torch
import torch.nn as nn
import torch.nn.functional as F


class _Block(nn.Module):
    """Pre-norm transformer block that can also return its attention weights."""

    def __init__(self, dim, num_heads, mlp_ratio=2):
        super().__init__()
        self.num_heads = num_heads
        self.norm1 = nn.LayerNorm(dim)
        self.qkv = nn.Linear(dim, 3 * dim)
        self.proj = nn.Linear(dim, dim)
        self.norm2 = nn.LayerNorm(dim)
        self.mlp = nn.Sequential(nn.Linear(dim, mlp_ratio * dim), nn.GELU(), nn.Linear(mlp_ratio * dim, dim))

    def attention(self, x):
        B, N, D = x.shape
        q, k, v = self.qkv(x).reshape(B, N, 3, self.num_heads, D // self.num_heads).permute(2, 0, 3, 1, 4)
        attn = (q @ k.transpose(-2, -1) * (D // self.num_heads) ** -0.5).softmax(dim=-1)  # (B, H, N, N)
        out = (attn @ v).transpose(1, 2).reshape(B, N, D)
        return self.proj(out), attn

    def forward(self, x, return_attention=False):
        y, attn = self.attention(self.norm1(x))
        if return_attention:
            return attn
        x = x + y
        return x + self.mlp(self.norm2(x))


class TinyViT(nn.Module):
    """ViT on (B, 3, 32, 32) images with 4x4 patches, a [CLS] token and learned positions."""

    def __init__(self, img_size=32, patch_size=4, embed_dim=48, depth=3, num_heads=4):
        super().__init__()
        self.patch_size = patch_size
        self.embed_dim = embed_dim
        self.patch_embed = nn.Conv2d(3, embed_dim, patch_size, stride=patch_size)
        self.cls_token = nn.Parameter(torch.zeros(1, 1, embed_dim))
        self.pos_embed = nn.Parameter(torch.randn(1, 1 + (img_size // patch_size) ** 2, embed_dim) * 0.02)
        self.blocks = nn.ModuleList(_Block(embed_dim, num_heads) for _ in range(depth))
        self.norm = nn.LayerNorm(embed_dim)

    def prepare_tokens(self, x):
        B, _, H, W = x.shape
        patches = self.patch_embed(x).flatten(2).transpose(1, 2)  # (B, P, D)
        tokens = torch.cat([self.cls_token.expand(B, -1, -1), patches], dim=1)  # (B, 1 + P, D)
        return tokens + self._positions(H // self.patch_size, W // self.patch_size)

    def _positions(self, h, w):
        """Position embeddings for an h x w grid: the learned 8x8 grid, resized for smaller crops."""
        cls, grid = self.pos_embed[:, :1], self.pos_embed[:, 1:]
        g = int(grid.shape[1] ** 0.5)
        if (h, w) != (g, g):
            grid = grid.reshape(1, g, g, -1).permute(0, 3, 1, 2)
            grid = F.interpolate(grid, size=(h, w), mode="bicubic", align_corners=False)
            grid = grid.permute(0, 2, 3, 1).reshape(1, h * w, -1)
        return torch.cat([cls, grid], dim=1)

    def forward(self, x):
        """(B, 3, H, W) -> the [CLS] features (B, D)."""
        x = self.prepare_tokens(x)
        for block in self.blocks:
            x = block(x)
        return self.norm(x)[:, 0]

    def get_intermediate_layers(self, x, n=1):
        """The normalised tokens (B, 1 + P, D) of the last n blocks, as a list (oldest first)."""
        x = self.prepare_tokens(x)
        output = []
        for i, block in enumerate(self.blocks):
            x = block(x)
            if len(self.blocks) - i <= n:
                output.append(self.norm(x))
        return output

    def get_last_selfattention(self, x):
        """The last block's attention weights (B, heads, 1 + P, 1 + P)."""
        x = self.prepare_tokens(x)
        for block in self.blocks[:-1]:
            x = block(x)
        return self.blocks[-1](x, return_attention=True)


class DINOHead(nn.Module):
    """MLP -> L2-normalised bottleneck -> weight-normalised linear layer to out_dim logits."""

    def __init__(self, in_dim, out_dim=64, hidden_dim=96, bottleneck_dim=32):
        super().__init__()
        self.mlp = nn.Sequential(nn.Linear(in_dim, hidden_dim), nn.GELU(), nn.Linear(hidden_dim, bottleneck_dim))
        self.last_layer = nn.utils.parametrizations.weight_norm(nn.Linear(bottleneck_dim, out_dim, bias=False))

    def forward(self, x):
        return self.last_layer(F.normalize(self.mlp(x), dim=-1))


class DINOModel(nn.Module):
    """Backbone then head: what the student and the teacher of DINO each are."""

    def __init__(self, backbone, head):
        super().__init__()
        self.backbone, self.head = backbone, head

    def forward(self, x):
        return self.head(self.backbone(x))
