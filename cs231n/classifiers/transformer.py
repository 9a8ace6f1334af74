"""Transformers built from the layers of transformer_layers.py: a decoder that captions images (the
modern counterpart of CaptioningRNN) and a Vision Transformer that classifies them."""

import copy

import numpy as np
import torch
import torch.nn as nn

from cs231n.transformer_layers import (
    MultiHeadAttention,
    PatchEmbedding,
    PositionalEncoding,
    TransformerDecoderLayer,
    TransformerEncoderLayer,
)


class CaptioningTransformer(nn.Module):
    """A CaptioningTransformer produces captions from image features using a Transformer decoder.

    The decoder reads the caption so far (word embeddings plus positional encodings) through
    causal self-attention, and the image through cross-attention to a memory made of the projected
    image feature vector. It works on sequences of length T over a vocabulary of size V, with
    word vectors of dimension W, and operates on minibatches of size N.
    """

    def __init__(self, word_to_idx, input_dim, wordvec_dim, num_heads=4, num_layers=2, max_length=50,
                 dim_feedforward=2048, decoder_layer_class=TransformerDecoderLayer):
        """Construct a new CaptioningTransformer instance.

        Inputs:
        - word_to_idx: a dictionary giving the vocabulary. It contains V entries and maps each
          string to a unique integer in the range [0, V).
        - input_dim: dimension D of the input image feature vectors
        - wordvec_dim: dimension W of the word vectors (also the width of the decoder)
        - num_heads: number of attention heads
        - num_layers: number of transformer decoder layers
        - max_length: the longest sequence the positional encodings cover
        - dim_feedforward: width of the hidden layer of each feed-forward block
        - decoder_layer_class: the class of the decoder layers, built as
          decoder_layer_class(input_dim=W, num_heads=..., dim_feedforward=...):
          TransformerDecoderLayer (transformer_layers.py, the 2025 layer: GELU feed-forward network,
          cross_attn, norm_self/norm_cross/norm_ffn) or ClassicTransformerDecoderLayer (the 2021-2024
          given layer: ReLU, multihead_attn, linear1/linear2, norm1-norm3)
        """
        super().__init__()

        vocab_size = len(word_to_idx)
        self.vocab_size = vocab_size
        self._null = word_to_idx["<NULL>"]
        self._start = word_to_idx.get("<START>", None)
        self._end = word_to_idx.get("<END>", None)

        self.visual_projection = nn.Linear(input_dim, wordvec_dim)
        self.embedding = nn.Embedding(vocab_size, wordvec_dim, padding_idx=self._null)
        self.positional_encoding = PositionalEncoding(wordvec_dim, max_len=max_length)

        decoder_layer = decoder_layer_class(input_dim=wordvec_dim, num_heads=num_heads,
                                            dim_feedforward=dim_feedforward)
        self.transformer = TransformerDecoder(decoder_layer, num_layers=num_layers)
        self.apply(self._init_weights)

        self.output = nn.Linear(wordvec_dim, vocab_size)

    def _init_weights(self, module):
        """Small normal weights and zero biases, as in GPT-2; LayerNorm starts as the identity."""
        if isinstance(module, (nn.Linear, nn.Embedding)):
            module.weight.data.normal_(mean=0.0, std=0.02)
            if isinstance(module, nn.Linear) and module.bias is not None:
                module.bias.data.zero_()
        elif isinstance(module, nn.LayerNorm):
            module.bias.data.zero_()
            module.weight.data.fill_(1.0)

    def forward(self, features, captions):
        """Given image features and caption tokens, return a distribution over the possible tokens
        for each timestep. Note that since the entire sequence of captions is provided all at once,
        we mask out future timesteps.

        Inputs:
        - features: image features, of shape (N, D)
        - captions: ground truth captions, of shape (N, T), int64

        Returns:
        - scores: score for each token at each timestep, of shape (N, T, V); the scores at step t
          depend only on the image and on captions[:, :t + 1]

        Hints:
        1) Embed the captions and add the positional encodings. Project the image features into
           the same dimension, as a memory of one token: (N, 1, W).
        2) Build a causal mask (tgt_mask) of shape (T, T) that stops each position from attending
           to later positions (0 = may not attend), on the same device as the captions.
        3) Apply the decoder (self.transformer) and map its output to scores over the vocabulary
           with self.output.
        """
        N, T = captions.shape
        scores = None
        # TODO: Implement the forward pass of CaptioningTransformer (see the hints above).
        # *****START OF YOUR CODE (DO NOT DELETE/MODIFY THIS LINE)*****
        caption_embeddings = self.positional_encoding(self.embedding(captions))  # (N, T, W)
        memory = self.visual_projection(features).unsqueeze(1)  # (N, 1, W)
        tgt_mask = torch.tril(torch.ones(T, T, dtype=torch.bool, device=captions.device))  # (T, T)
        decoded = self.transformer(tgt=caption_embeddings, memory=memory, tgt_mask=tgt_mask)  # (N, T, W)
        scores = self.output(decoded)  # (N, T, V)
        # *****END OF YOUR CODE (DO NOT DELETE/MODIFY THIS LINE)*****
        return scores

    def sample(self, features, max_length=30, beam_size=1):
        """Given image features, generate captions with the model in evaluation mode.

        Inputs:
        - features: image features, of shape (N, D); a numpy array or a tensor
        - max_length: the number of words to generate per image
        - beam_size: 1 for greedy decoding (the most likely word at each step); k > 1 for beam
          search, which keeps the k most probable partial captions at each step and returns the
          most probable complete one (highest sum of log-probabilities)

        Returns:
        - captions: numpy int64 array of shape (N, max_length) holding word indices, without
          <START>; every position after the first <END> holds <NULL>
        """
        was_training = self.training
        self.eval()  # dropout off: sampling is deterministic
        try:
            with torch.no_grad():
                weight = self.output.weight
                if not torch.is_tensor(features):
                    features = torch.from_numpy(np.asarray(features))
                features = features.to(device=weight.device, dtype=weight.dtype)
                if beam_size <= 1:
                    captions = self._greedy(features, max_length)
                else:
                    captions = self._beam_search(features, max_length, beam_size)
        finally:
            self.train(was_training)
        return captions.cpu().numpy()

    def _greedy(self, features, max_length):
        N = features.shape[0]
        partial = torch.full((N, 1), self._start, dtype=torch.long, device=features.device)
        finished = torch.zeros(N, dtype=torch.bool, device=features.device)
        for _ in range(max_length):
            logits = self.forward(features, partial)[:, -1, :]  # (N, V): scores of the next word
            word = torch.argmax(logits, dim=1)
            word = word.masked_fill(finished, self._null)
            finished |= word == self._end
            partial = torch.cat([partial, word.unsqueeze(1)], dim=1)
            if bool(finished.all()):
                break
        return self._pad(partial[:, 1:], max_length)

    def _beam_search(self, features, max_length, k):
        """Beam search for all N images at once: N * k partial captions run as one batch."""
        N, V, device = features.shape[0], self.vocab_size, features.device
        seqs = torch.full((N, k, 1), self._start, dtype=torch.long, device=device)
        # Only the first beam is live at the start, so the k beams do not all grow the same prefix.
        scores = torch.full((N, k), float("-inf"), device=device, dtype=features.dtype)
        scores[:, 0] = 0.0
        finished = torch.zeros(N, k, dtype=torch.bool, device=device)
        feats = features.repeat_interleave(k, dim=0)  # (N * k, D)
        for _ in range(max_length):
            logits = self.forward(feats, seqs.view(N * k, -1))[:, -1, :]  # (N * k, V)
            logp = torch.log_softmax(logits, dim=-1).view(N, k, V)
            # A finished caption can only be extended by <NULL>, at no cost to its score.
            done_row = torch.full((V,), float("-inf"), device=device, dtype=logp.dtype)
            done_row[self._null] = 0.0
            logp = torch.where(finished.unsqueeze(-1), done_row, logp)
            total = (scores.unsqueeze(-1) + logp).view(N, k * V)  # (N, k * V)
            scores, flat = torch.topk(total, k, dim=1)  # (N, k)
            beam, word = flat // V, flat % V
            seqs = torch.cat([torch.gather(seqs, 1, beam.unsqueeze(-1).expand(-1, -1, seqs.shape[2])),
                              word.unsqueeze(-1)], dim=2)
            finished = torch.gather(finished, 1, beam) | (word == self._end)
            if bool(finished[:, 0].all()):
                # Every image's best caption has ended; the others' scores can only fall further.
                break
        return self._pad(seqs[:, 0, 1:], max_length)  # topk sorts the beams: 0 is the most probable

    def _pad(self, captions, max_length):
        N, T = captions.shape
        if T < max_length:
            pad = torch.full((N, max_length - T), self._null, dtype=torch.long, device=captions.device)
            captions = torch.cat([captions, pad], dim=1)
        return captions


class ClassicTransformerDecoderLayer(nn.Module):
    """The decoder layer the 2021-2024 assignments gave, complete: the same post-norm layer as
    TransformerDecoderLayer (transformer_layers.py) under the classic attribute names, with a ReLU
    feed-forward block. Code written for the classic layer (reading multihead_attn, linear1, norm1,
    ...) runs on a CaptioningTransformer built with decoder_layer_class=ClassicTransformerDecoderLayer.

    Self-attention, cross-attention and a feed-forward block, each followed by dropout, a residual
    connection and LayerNorm.
    """

    def __init__(self, input_dim, num_heads, dim_feedforward=2048, dropout=0.1):
        """Construct a TransformerDecoderLayer instance.

        Inputs:
        - input_dim: number of expected features in the input
        - num_heads: number of attention heads
        - dim_feedforward: dimension of the feedforward network model
        - dropout: the dropout value
        """
        super().__init__()
        self.self_attn = MultiHeadAttention(input_dim, num_heads, dropout)
        self.multihead_attn = MultiHeadAttention(input_dim, num_heads, dropout)
        self.linear1 = nn.Linear(input_dim, dim_feedforward)
        self.dropout = nn.Dropout(dropout)
        self.linear2 = nn.Linear(dim_feedforward, input_dim)

        self.norm1 = nn.LayerNorm(input_dim)
        self.norm2 = nn.LayerNorm(input_dim)
        self.norm3 = nn.LayerNorm(input_dim)
        self.dropout1 = nn.Dropout(dropout)
        self.dropout2 = nn.Dropout(dropout)
        self.dropout3 = nn.Dropout(dropout)

        self.activation = nn.ReLU()

    def forward(self, tgt, memory, tgt_mask=None):
        """Pass the inputs (and mask) through the decoder layer.

        Inputs:
        - tgt: the sequence to the decoder layer, of shape (N, T, W)
        - memory: the sequence from the last layer of the encoder, of shape (N, S, W)
        - tgt_mask: the parts of the target sequence to mask, of shape (T, T), 0 = may not attend

        Returns:
        - out: the Transformer features, of shape (N, T, W)
        """
        # Self-attention over the caption so far.
        tgt2 = self.self_attn(query=tgt, key=tgt, value=tgt, attn_mask=tgt_mask)
        tgt = self.norm1(tgt + self.dropout1(tgt2))

        # Cross-attention from the caption to the image memory.
        tgt2 = self.multihead_attn(query=tgt, key=memory, value=memory)
        tgt = self.norm2(tgt + self.dropout2(tgt2))

        # Position-wise feed-forward block.
        tgt2 = self.linear2(self.dropout(self.activation(self.linear1(tgt))))
        tgt = self.norm3(tgt + self.dropout3(tgt2))
        return tgt


def clones(module, N):
    """Produce N identical layers."""
    return nn.ModuleList([copy.deepcopy(module) for _ in range(N)])


class TransformerDecoder(nn.Module):
    """A stack of num_layers decoder layers, each with its own weights."""

    def __init__(self, decoder_layer, num_layers):
        super().__init__()
        self.layers = clones(decoder_layer, num_layers)
        self.num_layers = num_layers

    def forward(self, tgt, memory, tgt_mask=None):
        if tgt_mask is not None:
            # Classic solutions build the causal mask on the CPU; it goes where the model runs.
            tgt_mask = tgt_mask.to(tgt.device)
        output = tgt
        for mod in self.layers:
            output = mod(output, memory, tgt_mask=tgt_mask)
        return output



class TransformerEncoder(nn.Module):
    """A stack of num_layers encoder layers, each with its own weights."""

    def __init__(self, encoder_layer, num_layers):
        super().__init__()
        self.layers = clones(encoder_layer, num_layers)
        self.num_layers = num_layers

    def forward(self, src, src_mask=None):
        output = src
        for mod in self.layers:
            output = mod(output, src_mask=src_mask)
        return output


class VisionTransformer(nn.Module):
    """A Vision Transformer (ViT) that classifies images from their patches.

    The image becomes a sequence of patch embeddings (PatchEmbedding) with positional encodings; a
    Transformer encoder lets every patch attend to every other; the average of the encoded patches
    is the image's feature vector, and a linear layer maps it to class scores. Unlike the original
    ViT there is no class token: the mean over patches plays its part.
    """

    def __init__(self, img_size=32, patch_size=8, in_channels=3, embed_dim=128, num_layers=6, num_heads=4,
                 dim_feedforward=256, num_classes=10, dropout=0.1):
        """
        Inputs:
        - img_size: height and width of the (square) input images
        - patch_size: height and width of each (square) patch
        - in_channels: number of image channels
        - embed_dim: dimension of the patch embeddings, D
        - num_layers: number of Transformer encoder layers
        - num_heads: number of attention heads
        - dim_feedforward: width of the hidden layer of the feed-forward networks
        - num_classes: number of classes
        - dropout: dropout probability
        """
        super().__init__()
        self.num_classes = num_classes
        self.patch_embed = PatchEmbedding(img_size, patch_size, in_channels, embed_dim)
        self.positional_encoding = PositionalEncoding(embed_dim, dropout=dropout)

        encoder_layer = TransformerEncoderLayer(embed_dim, num_heads, dim_feedforward, dropout)
        self.transformer = TransformerEncoder(encoder_layer, num_layers=num_layers)

        # The classifier: class scores from the average of the encoded patches.
        self.head = nn.Linear(embed_dim, num_classes)

        self.apply(self._init_weights)

    def _init_weights(self, module):
        """Small normal weights and zero biases; LayerNorm starts as the identity."""
        if isinstance(module, (nn.Linear, nn.Embedding)):
            module.weight.data.normal_(mean=0.0, std=0.02)
            if isinstance(module, nn.Linear) and module.bias is not None:
                module.bias.data.zero_()
        elif isinstance(module, nn.LayerNorm):
            module.bias.data.zero_()
            module.weight.data.fill_(1.0)

    def forward(self, x):
        """Class scores for a batch of images.

        Inputs:
        - x: input images of shape (N, C, H, W)

        Returns:
        - logits: class scores of shape (N, num_classes)
        """
        N = x.size(0)
        logits = torch.zeros(N, self.num_classes, device=x.device)
        # TODO: Implement the forward pass of the Vision Transformer:
        # 1. Turn the images into sequences of patch embeddings (self.patch_embed).
        # 2. Add the positional encodings (self.positional_encoding), so that the encoder can tell
        #    the patches' places apart.
        # 3. Pass the sequences through the Transformer encoder (self.transformer), without a mask.
        # 4. Average the encoded patches of each image into one feature vector (torch.mean).
        # 5. Map the feature vectors to class scores with self.head.
        # *****START OF YOUR CODE (DO NOT DELETE/MODIFY THIS LINE)*****
        tokens = self.positional_encoding(self.patch_embed(x))  # (N, num_patches, D)
        encoded = self.transformer(tokens)  # (N, num_patches, D)
        logits = self.head(encoded.mean(dim=1))  # (N, num_classes)
        # *****END OF YOUR CODE (DO NOT DELETE/MODIFY THIS LINE)*****
        return logits
