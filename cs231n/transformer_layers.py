"""Building blocks of a Transformer decoder, in PyTorch: positional encodings and multi-head attention."""

import math

import torch
import torch.nn as nn
import torch.nn.functional as F


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
        ############################################################################
        # TODO: Fill pe with the sine and cosine encodings of the docstring.       #
        # Build a column of positions i (max_len, 1) and a row of even dimension   #
        # indices j (D / 2,), then write the sines into the even dimensions and    #
        # the cosines into the odd ones. Avoid Python loops over positions.        #
        ############################################################################
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
        ############################################################################
        # TODO: Index into your array of positional encodings, add them to x and   #
        # apply dropout (self.dropout).                                            #
        ############################################################################
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

        # The layers students use; the names match the classic assignment so checkpoints carry over.
        self.key = nn.Linear(embed_dim, embed_dim)
        self.query = nn.Linear(embed_dim, embed_dim)
        self.value = nn.Linear(embed_dim, embed_dim)
        self.proj = nn.Linear(embed_dim, embed_dim)

        self.attn_drop = nn.Dropout(dropout)

        self.n_head = num_heads
        self.emd_dim = embed_dim
        self.head_dim = self.emd_dim // self.n_head

        # The weights of the latest forward pass, kept so that notebooks can plot them.
        self.attn_weights = None

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

        Also stores self.attn_weights, of shape (N, H, S, T): the attention weights of every head
        after masking and softmax, before dropout (each row sums to 1), detached from the graph.
        """
        N, S, E = query.shape
        N, T, E = value.shape
        ############################################################################
        # TODO: Implement multi-head attention with the formula of the class       #
        # docstring. Some hints:                                                   #
        #  1) Split each projected (N, S, E) tensor into H heads of size E/H,     #
        #     giving (N, H, S, E/H); view() and transpose() do this without loops. #
        #  2) torch.matmul broadcasts over the leading (N, H) dimensions.          #
        #  3) Apply the mask with masked_fill before the softmax: a weight of      #
        #     -inf becomes 0 after it.                                             #
        #  4) Store the softmax output in self.attn_weights (detached), then      #
        #     apply self.attn_drop to it before multiplying with the values.       #
        #  5) Merge the heads back into (N, S, E) and apply self.proj.             #
        ############################################################################
        # *****START OF YOUR CODE (DO NOT DELETE/MODIFY THIS LINE)*****
        H, Dh = self.n_head, self.head_dim
        q = self.query(query).view(N, S, H, Dh).transpose(1, 2)  # (N, H, S, Dh)
        k = self.key(key).view(N, T, H, Dh).transpose(1, 2)  # (N, H, T, Dh)
        v = self.value(value).view(N, T, H, Dh).transpose(1, 2)  # (N, H, T, Dh)

        scores = torch.matmul(q, k.transpose(-2, -1)) / math.sqrt(Dh)  # (N, H, S, T)
        if attn_mask is not None:
            scores = scores.masked_fill(attn_mask.to(scores.device) == 0, float("-inf"))
        weights = F.softmax(scores, dim=-1)  # (N, H, S, T)
        self.attn_weights = weights.detach()

        y = torch.matmul(self.attn_drop(weights), v)  # (N, H, S, Dh)
        y = y.transpose(1, 2).reshape(N, S, E)  # (N, S, E): heads side by side
        output = self.proj(y)
        # *****END OF YOUR CODE (DO NOT DELETE/MODIFY THIS LINE)*****
        return output


def torch_reference_attention(mha):
    """A torch.nn.MultiheadAttention holding the same weights as our MultiHeadAttention `mha`.

    PyTorch packs the query, key and value projections into one (3E, E) matrix, in that order,
    and calls the output projection out_proj. Call the result as
    ``ref(q, k, v, attn_mask=~mask.bool(), average_attn_weights=False)``: its boolean mask is
    True where attention is NOT allowed, the opposite of ours.
    """
    E = mha.emd_dim
    ref = nn.MultiheadAttention(E, mha.n_head, dropout=mha.attn_drop.p, batch_first=True)
    ref = ref.to(device=mha.query.weight.device, dtype=mha.query.weight.dtype)
    with torch.no_grad():
        ref.in_proj_weight.copy_(torch.cat([mha.query.weight, mha.key.weight, mha.value.weight]))
        ref.in_proj_bias.copy_(torch.cat([mha.query.bias, mha.key.bias, mha.value.bias]))
        ref.out_proj.weight.copy_(mha.proj.weight)
        ref.out_proj.bias.copy_(mha.proj.bias)
    return ref


def reference_positional_encoding(max_len, embed_dim):
    """The sine/cosine table of PositionalEncoding, computed directly from the formula in float64.

    Returns a tensor of shape (1, max_len, embed_dim): an independent reference for checks.
    """
    pe = torch.zeros(1, max_len, embed_dim, dtype=torch.float64)
    for j in range(embed_dim):
        rate = 10000.0 ** (-(j - j % 2) / embed_dim)
        angles = torch.arange(max_len, dtype=torch.float64) * rate
        pe[0, :, j] = torch.sin(angles) if j % 2 == 0 else torch.cos(angles)
    return pe


def attention_dropout_probe(p, num_heads=2, seq_len=4, num_draws=8000, seed=0):
    """Read the dropped-out attention weights of a MultiHeadAttention straight off its output.

    Builds a MultiHeadAttention with identity value and output projections and feeds it one-hot
    values in which token t is written twice per head (at offsets t and seq_len + t), so that the
    output holds every head's attention weights twice. One random input is repeated num_draws
    times: in training mode each copy is an independent dropout draw.

    Returns (dropped, copy, clean), each of shape (num_draws, num_heads, seq_len, seq_len):
    the weights read in training mode from the first and the second offset, and in eval mode.
    Dropout on the attention weights makes the two training-mode readings identical.
    """
    g = torch.Generator().manual_seed(seed)
    T, H = seq_len, num_heads
    E = H * 2 * T
    mha = MultiHeadAttention(E, H, dropout=p)
    with torch.no_grad():
        for layer in (mha.key, mha.query):
            layer.weight.copy_(torch.randn(E, E, generator=g) / math.sqrt(E))
        for layer in (mha.value, mha.proj):
            layer.weight.copy_(torch.eye(E))
            layer.bias.zero_()
    one_hot = torch.eye(T).repeat(1, 2)  # (T, 2T): token t -> [e_t, e_t]
    v = one_hot.repeat(1, H).expand(num_draws, T, E)  # (num_draws, T, E)
    x = torch.randn(1, T, E, generator=g).expand(num_draws, T, E)
    with torch.no_grad():
        clean = mha.eval()(x, x, v).view(num_draws, T, H, 2, T)
        dropped = mha.train()(x, x, v).view(num_draws, T, H, 2, T)
    # (num_draws, S, H, 2, T) -> (num_draws, H, S, T) for each reading
    return (dropped[:, :, :, 0].transpose(1, 2), dropped[:, :, :, 1].transpose(1, 2),
            clean[:, :, :, 0].transpose(1, 2))
