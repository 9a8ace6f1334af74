"""Building blocks of a Transformer decoder, in PyTorch: positional encodings and multi-head attention."""

import math

import torch
import torch.nn as nn
import torch.nn.functional as F

# What `from cs231n.transformer_layers import *` gives: the two layers, and the names the classic
# module's star import gave (the classic notebook calls torch.manual_seed and torch.randn without
# importing torch itself).
__all__ = ["F", "MultiHeadAttention", "PositionalEncoding", "math", "nn", "torch"]


class PositionalEncoding(nn.Module):
    """Adds to each token embedding a fixed vector that encodes its position in the sequence."""

    def __init__(self, embed_dim, dropout=0.1, max_len=5000):
        """Precompute the table of encodings, one row per position.

        Inputs:
        - embed_dim: the size of the embedding vectors, D; must be even
        - dropout: the dropout probability applied to the sum of embeddings and encodings
        - max_len: the number of positions the table holds (the longest sequence it can encode)

        Sets the buffer self.pe of shape (1, max_len, D), float32, where for position i and
        dimension j
            pe[0, i, j] = sin(i * 10000^(-j / D))        if j is even,
            pe[0, i, j] = cos(i * 10000^(-(j - 1) / D))  if j is odd.
        """
        super().__init__()
        self.dropout = nn.Dropout(p=dropout)
        assert embed_dim % 2 == 0, f"PositionalEncoding needs an even embed_dim, got {embed_dim}"
        pe = torch.zeros(1, max_len, embed_dim)
        # TODO: Fill pe with the sine and cosine encodings of the docstring. Build a column of
        # positions i (max_len, 1) and a row of even dimension indices j (D / 2,), then write the
        # sines into the even dimensions and the cosines into the odd ones, without Python loops.
        # *****START OF YOUR CODE (DO NOT DELETE/MODIFY THIS LINE)*****
        position = torch.arange(max_len, dtype=torch.float32).unsqueeze(1)  # (max_len, 1)
        even_dims = torch.arange(0, embed_dim, 2, dtype=torch.float32)  # (D / 2,)
        angle = position * torch.pow(10000.0, -even_dims / embed_dim)  # (max_len, D / 2)
        pe[0, :, 0::2] = torch.sin(angle)
        pe[0, :, 1::2] = torch.cos(angle)
        # *****END OF YOUR CODE (DO NOT DELETE/MODIFY THIS LINE)*****

        # A buffer moves with .to(device) and is saved with the model, but is not trained.
        self.register_buffer("pe", pe)

    def forward(self, x):
        """Add the positional encodings to a batch of sequences, then apply dropout.

        Inputs:
        - x: the sequence fed to the positional encoder model, of shape (N, S, D), where N is the
          batch size, S the sequence length (S <= max_len) and D the embedding dimension

        Returns:
        - output: the input sequence plus positional encodings, after dropout, of shape (N, S, D)
        """
        N, S, D = x.shape
        output = None
        # TODO: Index into your array of positional encodings, add them to x and apply dropout
        # (self.dropout).
        # *****START OF YOUR CODE (DO NOT DELETE/MODIFY THIS LINE)*****
        output = self.dropout(x + self.pe[:, :S, :])  # (N, S, D); pe broadcasts over the batch
        # *****END OF YOUR CODE (DO NOT DELETE/MODIFY THIS LINE)*****
        return output


class MultiHeadAttention(nn.Module):
    """Multi-head scaled dot-product attention, with dropout on the attention weights.

    Each of the H heads projects the queries, keys and values into its own subspace of size
    E / H, attends there, and the heads' outputs are concatenated and projected back:

        Y_h = dropout(softmax(Q_h K_h^T / sqrt(E / H) + M)) V_h,    Y = [Y_1; ...; Y_H] W_proj

    where M is 0 where attention is allowed and -inf where the mask forbids it.
    """

    def __init__(self, embed_dim, num_heads, dropout=0.1):
        """Set up the four projections.

        Inputs:
        - embed_dim: dimension of the token embeddings, E
        - num_heads: number of attention heads, H; must divide E
        - dropout: dropout probability applied to the attention weights
        """
        super().__init__()
        assert embed_dim % num_heads == 0, f"num_heads={num_heads} must divide embed_dim={embed_dim}"

        self.key = nn.Linear(embed_dim, embed_dim)
        self.query = nn.Linear(embed_dim, embed_dim)
        self.value = nn.Linear(embed_dim, embed_dim)
        self.proj = nn.Linear(embed_dim, embed_dim)

        self.attn_drop = nn.Dropout(dropout)

        # The classic attribute names, emd_dim's typo included: the classic module gives them here,
        # and forward passes written for it read them.
        self.n_head = num_heads
        self.emd_dim = embed_dim
        self.head_dim = self.emd_dim // self.n_head

    def forward(self, query, key, value, attn_mask=None):
        """Compute the attention output of the queries over the keys and values.

        Inputs:
        - query: input data to be used as the query, of shape (N, S, E)
        - key: input data to be used as the key, of shape (N, T, E)
        - value: input data to be used as the value, of shape (N, T, E)
        - attn_mask: array of shape (S, T) where attn_mask[i, j] == 0 means query i may not
          attend to key j (bool or 0/1 numbers), or None for no mask

        Returns:
        - output: tensor of shape (N, S, E), the attention output projected by self.proj

        Hints:
        1) Split each projected (N, S, E) tensor into H heads of size E/H, giving (N, H, S, E/H);
           view() and transpose() do this without loops.
        2) torch.matmul broadcasts over the leading (N, H) dimensions.
        3) Apply the mask with masked_fill before the softmax: a score of -inf becomes a weight of
           exactly 0.
        4) Apply self.attn_drop to the weights (after the softmax), before multiplying them with
           the values.
        5) Merge the heads back into (N, S, E) and apply self.proj.
        """
        N, S, E = query.shape
        N, T, E = value.shape
        output = None
        # TODO: Implement multi-head attention with the formula of the class docstring (see the
        # hints above).
        # *****START OF YOUR CODE (DO NOT DELETE/MODIFY THIS LINE)*****
        H, Dh = self.n_head, self.head_dim
        q = self.query(query).view(N, S, H, Dh).transpose(1, 2)  # (N, H, S, Dh)
        k = self.key(key).view(N, T, H, Dh).transpose(1, 2)  # (N, H, T, Dh)
        v = self.value(value).view(N, T, H, Dh).transpose(1, 2)  # (N, H, T, Dh)

        scores = torch.matmul(q, k.transpose(-2, -1)) / math.sqrt(Dh)  # (N, H, S, T)
        if attn_mask is not None:
            scores = scores.masked_fill(attn_mask.to(scores.device) == 0, float("-inf"))
        weights = F.softmax(scores, dim=-1)  # (N, H, S, T)

        y = torch.matmul(self.attn_drop(weights), v)  # (N, H, S, Dh)
        y = y.transpose(1, 2).reshape(N, S, E)  # (N, S, E): heads side by side
        output = self.proj(y)
        # *****END OF YOUR CODE (DO NOT DELETE/MODIFY THIS LINE)*****
        return output

