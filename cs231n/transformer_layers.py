"""Building blocks of Transformers, in PyTorch: positional encodings, multi-head attention, the
feed-forward block, the decoder layer of the captioning model, and the patch embedding and encoder
layer of the Vision Transformer."""

import math

import torch
import torch.nn as nn
import torch.nn.functional as F

# What `from cs231n.transformer_layers import *` gives: the layers, and the names the classic
# module's star import gave (the classic notebook calls torch.manual_seed and torch.randn without
# importing torch itself).
__all__ = ["F", "FeedForwardNetwork", "MultiHeadAttention", "PatchEmbedding", "PositionalEncoding",
           "TransformerDecoderLayer", "TransformerEncoderLayer", "math", "nn", "torch"]


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



class FeedForwardNetwork(nn.Module):
    """The position-wise feed-forward block of a Transformer layer: the same two-layer MLP applied to
    every token on its own, fc2(dropout(GELU(fc1(x))))."""

    def __init__(self, embed_dim, ffn_dim, dropout=0.1):
        """
        Inputs:
        - embed_dim: dimension of the token embeddings, D (the input and output width)
        - ffn_dim: width of the hidden layer
        - dropout: dropout probability applied to the hidden layer
        """
        super().__init__()
        self.fc1 = nn.Linear(embed_dim, ffn_dim)
        self.gelu = nn.GELU()
        self.dropout = nn.Dropout(dropout)
        self.fc2 = nn.Linear(ffn_dim, embed_dim)

    def forward(self, x):
        """
        Inputs:
        - x: input tensor of shape (N, T, D)

        Returns:
        - out: output tensor of the same shape as x
        """
        return self.fc2(self.dropout(self.gelu(self.fc1(x))))


class TransformerDecoderLayer(nn.Module):
    """A single layer of a Transformer decoder, to be used with TransformerDecoder.

    Post-norm, as in "Attention Is All You Need" and torch.nn.TransformerDecoderLayer: three blocks,
    masked self-attention, cross-attention to the memory, and the feed-forward network, each computed
    as
        x = norm(x + dropout(block(x)))
    with its own LayerNorm and dropout.
    """

    def __init__(self, input_dim, num_heads, dim_feedforward=2048, dropout=0.1):
        """Construct a TransformerDecoderLayer instance.

        Inputs:
        - input_dim: number of expected features in the input, D
        - num_heads: number of attention heads
        - dim_feedforward: width of the hidden layer of the feed-forward network
        - dropout: the dropout probability
        """
        super().__init__()
        self.self_attn = MultiHeadAttention(input_dim, num_heads, dropout)
        self.cross_attn = MultiHeadAttention(input_dim, num_heads, dropout)
        self.ffn = FeedForwardNetwork(input_dim, dim_feedforward, dropout)

        self.norm_self = nn.LayerNorm(input_dim)
        self.norm_cross = nn.LayerNorm(input_dim)
        self.norm_ffn = nn.LayerNorm(input_dim)

        self.dropout_self = nn.Dropout(dropout)
        self.dropout_cross = nn.Dropout(dropout)
        self.dropout_ffn = nn.Dropout(dropout)

    def forward(self, tgt, memory, tgt_mask=None):
        """Pass the inputs (and mask) through the decoder layer.

        Inputs:
        - tgt: the sequence to the decoder layer, of shape (N, T, D): the embeddings of the caption so
          far; it attends to itself under tgt_mask
        - memory: the sequence from the last layer of the encoder, of shape (N, S, D): here the
          projected image features; tgt attends to it without a mask
        - tgt_mask: the parts of the target sequence to mask, of shape (T, T), 0 = may not attend

        Returns:
        - out: the Transformer features, of shape (N, T, D)
        """
        # Self-attention block (given): attention, dropout, residual connection, LayerNorm.
        shortcut = tgt
        tgt = self.self_attn(query=tgt, key=tgt, value=tgt, attn_mask=tgt_mask)
        tgt = self.dropout_self(tgt)
        tgt = tgt + shortcut
        tgt = self.norm_self(tgt)

        # TODO: Complete the layer with its two other blocks, each built like the self-attention
        # block above: (1) cross-attention, whose queries come from tgt and whose keys and values
        # come from memory (no mask), with dropout_cross and norm_cross; (2) the feed-forward
        # network self.ffn, with dropout_ffn and norm_ffn.
        # *****START OF YOUR CODE (DO NOT DELETE/MODIFY THIS LINE)*****
        attended = self.cross_attn(query=tgt, key=memory, value=memory)  # (N, T, D)
        tgt = self.norm_cross(tgt + self.dropout_cross(attended))
        transformed = self.ffn(tgt)  # (N, T, D)
        tgt = self.norm_ffn(tgt + self.dropout_ffn(transformed))
        # *****END OF YOUR CODE (DO NOT DELETE/MODIFY THIS LINE)*****
        return tgt


class PatchEmbedding(nn.Module):
    """The input layer of a Vision Transformer: cut the image into non-overlapping square patches
    and project each flattened patch to an embedding vector.

    Patches are numbered row by row over the grid (patch k sits in grid row k // (W / p) and column
    k % (W / p)), and each is flattened in (C, p, p) order: channel first, then the row, then the
    column within the patch, the order of x[n, :, rows, cols].reshape(-1).
    """

    def __init__(self, img_size, patch_size, in_channels=3, embed_dim=128):
        """
        Inputs:
        - img_size: height and width of the (square) input image
        - patch_size: height and width of each (square) patch, p; must divide img_size
        - in_channels: number of image channels, C
        - embed_dim: dimension of the patch embeddings, D
        """
        super().__init__()
        self.img_size = img_size
        self.patch_size = patch_size
        self.in_channels = in_channels
        self.embed_dim = embed_dim
        assert img_size % patch_size == 0, \
            f"patch_size={patch_size} must divide img_size={img_size}: the patches must tile the image"

        self.num_patches = (img_size // patch_size) ** 2
        self.patch_dim = patch_size * patch_size * in_channels

        # Linear projection of the flattened patches to the embedding dimension.
        self.proj = nn.Linear(self.patch_dim, embed_dim)

    def forward(self, x):
        """Embed the patches of a batch of images.

        Inputs:
        - x: input images of shape (N, C, H, W) with H = W = img_size

        Returns:
        - out: patch embeddings of shape (N, num_patches, embed_dim), patches in the order of the
          class docstring
        """
        N, C, H, W = x.shape
        assert H == self.img_size and W == self.img_size, \
            f"PatchEmbedding expects images of size ({self.img_size}, {self.img_size}), got ({H}, {W})"
        out = None
        # TODO: Cut the images into patches of shape (C, patch_size, patch_size), arrange them into a
        # tensor of shape (N, num_patches, patch_dim) in the order of the class docstring, and embed
        # them with self.proj. No loops: reshape and permute do it (a reshape keeps the order of the
        # elements in memory, so permute the axes into the order you need first).
        # *****START OF YOUR CODE (DO NOT DELETE/MODIFY THIS LINE)*****
        p = self.patch_size
        grid = x.reshape(N, C, H // p, p, W // p, p)  # (N, C, grid row, row in patch, grid col, col in patch)
        grid = grid.permute(0, 2, 4, 1, 3, 5)  # (N, grid row, grid col, C, p, p)
        patches = grid.reshape(N, self.num_patches, self.patch_dim)  # (N, num_patches, C * p * p)
        out = self.proj(patches)  # (N, num_patches, D)
        # *****END OF YOUR CODE (DO NOT DELETE/MODIFY THIS LINE)*****
        return out


class TransformerEncoderLayer(nn.Module):
    """A single layer of a Transformer encoder, to be used with TransformerEncoder.

    The decoder layer without its cross-attention, post-norm like it: self-attention and the
    feed-forward network, each computed as x = norm(x + dropout(block(x))).
    """

    def __init__(self, input_dim, num_heads, dim_feedforward=2048, dropout=0.1):
        """Construct a TransformerEncoderLayer instance.

        Inputs:
        - input_dim: number of expected features in the input, D
        - num_heads: number of attention heads
        - dim_feedforward: width of the hidden layer of the feed-forward network
        - dropout: the dropout probability
        """
        super().__init__()
        self.self_attn = MultiHeadAttention(input_dim, num_heads, dropout)
        self.ffn = FeedForwardNetwork(input_dim, dim_feedforward, dropout)

        self.norm_self = nn.LayerNorm(input_dim)
        self.norm_ffn = nn.LayerNorm(input_dim)

        self.dropout_self = nn.Dropout(dropout)
        self.dropout_ffn = nn.Dropout(dropout)

    def forward(self, src, src_mask=None):
        """Pass the inputs (and mask) through the encoder layer.

        Inputs:
        - src: the sequence to the encoder layer, of shape (N, S, D)
        - src_mask: the parts of the source sequence to mask, of shape (S, S), 0 = may not attend;
          None (the Vision Transformer's case) lets every token attend to every token

        Returns:
        - out: the Transformer features, of shape (N, S, D)
        """
        # TODO: Implement the encoder layer: a self-attention block (with src_mask, dropout_self and
        # norm_self) followed by a feed-forward block (self.ffn, dropout_ffn and norm_ffn), each
        # built like the blocks of TransformerDecoderLayer. Leave the result in src.
        # *****START OF YOUR CODE (DO NOT DELETE/MODIFY THIS LINE)*****
        context = self.self_attn(query=src, key=src, value=src, attn_mask=src_mask)  # (N, S, D)
        src = self.norm_self(src + self.dropout_self(context))
        src = self.norm_ffn(src + self.dropout_ffn(self.ffn(src)))  # (N, S, D)
        # *****END OF YOUR CODE (DO NOT DELETE/MODIFY THIS LINE)*****
        return src
