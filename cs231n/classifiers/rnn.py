"""CaptioningRNN: an image captioning model built from the numpy layers in cs231n.rnn_layers."""

import numpy as np

from cs231n.rnn_layers import (
    affine_backward,
    affine_forward,
    lstm_backward,
    lstm_forward,
    lstm_step_forward,
    rnn_backward,
    rnn_forward,
    rnn_step_forward,
    temporal_affine_backward,
    temporal_affine_forward,
    temporal_softmax_loss,
    word_embedding_backward,
    word_embedding_forward,
)


class CaptioningRNN:
    """A CaptioningRNN produces captions from image features using a recurrent neural network.

    The RNN receives input vectors of size D, has a vocab size of V, works on sequences of
    length T, has an RNN hidden dimension of H, uses word vectors of dimension W, and operates on
    minibatches of size N.

    The image features, projected to size H, are the initial hidden state h0. At every step the
    network reads the embedding of the previous word and scores every word of the vocabulary as
    the next one.

    Note that we don't use any regularization for the CaptioningRNN.
    """

    def __init__(
        self,
        word_to_idx,
        input_dim=512,
        wordvec_dim=128,
        hidden_dim=128,
        cell_type="rnn",
        dtype=np.float32,
    ):
        """Construct a new CaptioningRNN instance.

        Inputs:
        - word_to_idx: A dictionary giving the vocabulary. It contains V entries, and maps each
          string to a unique integer in the range [0, V).
        - input_dim: Dimension D of input image feature vectors.
        - wordvec_dim: Dimension W of word vectors.
        - hidden_dim: Dimension H for the hidden state of the RNN.
        - cell_type: What type of RNN to use; either 'rnn' or 'lstm'.
        - dtype: numpy datatype to use; use float32 for training and float64 for numeric
          gradient checking.
        """
        if cell_type not in {"rnn", "lstm"}:
            raise ValueError(f'Invalid cell_type "{cell_type}": use "rnn" or "lstm"')

        self.cell_type = cell_type
        self.dtype = dtype
        self.word_to_idx = word_to_idx
        self.idx_to_word = {i: w for w, i in word_to_idx.items()}
        self.params = {}

        vocab_size = len(word_to_idx)

        self._null = word_to_idx["<NULL>"]
        self._start = word_to_idx.get("<START>", None)
        self._end = word_to_idx.get("<END>", None)

        # Initialize word vectors
        self.params["W_embed"] = np.random.randn(vocab_size, wordvec_dim)
        self.params["W_embed"] /= 100

        # Initialize CNN -> hidden state projection parameters
        self.params["W_proj"] = np.random.randn(input_dim, hidden_dim)
        self.params["W_proj"] /= np.sqrt(input_dim)
        self.params["b_proj"] = np.zeros(hidden_dim)

        # Initialize parameters for the RNN: the LSTM stacks its four gates side by side
        dim_mul = {"lstm": 4, "rnn": 1}[cell_type]
        self.params["Wx"] = np.random.randn(wordvec_dim, dim_mul * hidden_dim)
        self.params["Wx"] /= np.sqrt(wordvec_dim)
        self.params["Wh"] = np.random.randn(hidden_dim, dim_mul * hidden_dim)
        self.params["Wh"] /= np.sqrt(hidden_dim)
        self.params["b"] = np.zeros(dim_mul * hidden_dim)

        # Initialize output to vocab weights
        self.params["W_vocab"] = np.random.randn(hidden_dim, vocab_size)
        self.params["W_vocab"] /= np.sqrt(hidden_dim)
        self.params["b_vocab"] = np.zeros(vocab_size)

        # Cast parameters to correct dtype
        for k, v in self.params.items():
            self.params[k] = v.astype(self.dtype)

    def loss(self, features, captions):
        """Compute training-time loss for the RNN.

        We input image features and ground-truth captions for those images, and use an RNN (or
        LSTM) to compute loss and gradients on all parameters.

        The forward pass, in five steps:
        (1) An affine transformation of the image features gives the initial hidden state, (N, H).
        (2) A word embedding layer turns the words of captions_in from indices into vectors,
            (N, T, W).
        (3) A vanilla RNN or an LSTM (self.cell_type) runs over the word vectors and gives the
            hidden states of all timesteps, (N, T, H).
        (4) A temporal affine transformation of the hidden states gives scores over the
            vocabulary at every timestep, (N, T, V).
        (5) A temporal softmax gives the loss against captions_out, ignoring the positions where
            the target word is <NULL> (the mask).
        The backward pass then goes through the same layers in reverse order, giving the gradient
        of the loss for every parameter: grads[k] is the gradient of self.params[k].

        Inputs:
        - features: Input image features, of shape (N, D).
        - captions: Ground-truth captions; an integer array of shape (N, T + 1) where each
          element is in the range 0 <= y[i, t] < V.

        Returns a tuple of:
        - loss: Scalar loss.
        - grads: Dictionary of gradients parallel to self.params.
        """
        # Cut captions into two pieces: captions_in has everything but the last word and will be
        # input to the RNN; captions_out has everything but the first word and this is what we
        # will expect the RNN to generate. These are offset by one relative to each other because
        # the RNN should produce word (t+1) after receiving word t. The first element of
        # captions_in will be the START token, and the first element of captions_out will be the
        # first word.
        captions_in = captions[:, :-1]
        captions_out = captions[:, 1:]

        # You'll need this: <NULL> targets do not count in the loss.
        mask = captions_out != self._null

        # Weight and bias for the affine transform from image features to initial hidden state
        W_proj, b_proj = self.params["W_proj"], self.params["b_proj"]

        # Word embedding matrix
        W_embed = self.params["W_embed"]

        # Input-to-hidden, hidden-to-hidden, and biases for the RNN
        Wx, Wh, b = self.params["Wx"], self.params["Wh"], self.params["b"]

        # Weight and bias for the hidden-to-vocab transformation.
        W_vocab, b_vocab = self.params["W_vocab"], self.params["b_vocab"]

        loss, grads = 0.0, {}
        # TODO: Implement the forward pass (steps (1)-(5) of the docstring) and the backward pass,
        # with the layers of cs231n.rnn_layers. Store the loss in loss and the gradient of
        # self.params[k] in grads[k].
        # *****START OF YOUR CODE (DO NOT DELETE/MODIFY THIS LINE)*****
        if self.cell_type == "rnn":
            recurrent_forward, recurrent_backward = rnn_forward, rnn_backward
        else:
            recurrent_forward, recurrent_backward = lstm_forward, lstm_backward

        h0, cache_proj = affine_forward(features, W_proj, b_proj)  # (1) (N, H)
        words, cache_embed = word_embedding_forward(captions_in, W_embed)  # (2) (N, T, W)
        h, cache_rnn = recurrent_forward(words, h0, Wx, Wh, b)  # (3) (N, T, H)
        scores, cache_vocab = temporal_affine_forward(h, W_vocab, b_vocab)  # (4) (N, T, V)
        loss, dscores = temporal_softmax_loss(scores, captions_out, mask)  # (5)

        dh, grads["W_vocab"], grads["b_vocab"] = temporal_affine_backward(dscores, cache_vocab)
        dwords, dh0, grads["Wx"], grads["Wh"], grads["b"] = recurrent_backward(dh, cache_rnn)
        grads["W_embed"] = word_embedding_backward(dwords, cache_embed)
        _, grads["W_proj"], grads["b_proj"] = affine_backward(dh0, cache_proj)
        # *****END OF YOUR CODE (DO NOT DELETE/MODIFY THIS LINE)*****
        return loss, grads

    def sample(self, features, max_length=30, beam_size=1):
        """Run a test-time forward pass for the model, sampling captions for input feature vectors.

        The initial hidden state is the learned affine transform of the image features (for an
        LSTM the initial cell state is zero), and the first word fed in is <START> (self._start).
        Then, at each timestep:
        (1) Embed the previous word with the learned word embeddings.
        (2) Make an RNN (or LSTM) step from the previous hidden state and the embedded word, giving
            the next hidden state.
        (3) Apply the learned affine transformation to the next hidden state, giving scores for
            every word of the vocabulary.
        (4) Select the word with the highest score as the next word, writing its index to the
            captions array (column t at step t).
        Steps (1)-(3) are one call of self._decode_step, which beam search uses too. Work on the
        whole minibatch at once, and for an LSTM carry the cell state from step to step.

        What follows a caption's first <END> is ignored: you may stop writing that caption (its
        remaining positions stay <NULL>) or keep going; captions are compared up to <END>.

        Inputs:
        - features: Array of input image features of shape (N, D).
        - max_length: Maximum length T of generated captions.
        - beam_size: 1 for greedy decoding; B > 1 keeps the B most probable partial captions
          per image at every step (beam search, see _beam_search) and returns the most
          probable finished one.

        Returns:
        - captions: Array of shape (N, max_length) giving sampled captions, where each element
          is an integer in the range [0, V). The first element of captions should be the first
          sampled word, not the <START> token.
        """
        if beam_size > 1:
            return self._beam_search(features, max_length, beam_size)

        N = features.shape[0]
        captions = self._null * np.ones((N, max_length), dtype=np.int32)

        W_proj, b_proj = self.params["W_proj"], self.params["b_proj"]

        # TODO: Implement test-time sampling, steps (1)-(4) of the docstring. Implement
        # self._decode_step (below) first.
        # *****START OF YOUR CODE (DO NOT DELETE/MODIFY THIS LINE)*****
        h, _ = affine_forward(features, W_proj, b_proj)  # (N, H)
        c = np.zeros_like(h)
        words = np.full(N, self._start)
        ended = np.zeros(N, dtype=bool)
        for t in range(max_length):
            scores, h, c = self._decode_step(words, h, c)  # (1)-(3): (N, V)
            words = scores.argmax(axis=1)  # (4)
            captions[~ended, t] = words[~ended]
            ended |= words == self._end
            if ended.all():
                break
        # *****END OF YOUR CODE (DO NOT DELETE/MODIFY THIS LINE)*****
        return captions

    def _decode_step(self, words, prev_h, prev_c):
        """One step of test-time decoding: read one word per caption, score the next word.

        Inputs:
        - words: Integer array of shape (N,), the previous word of every caption.
        - prev_h: Hidden states, of shape (N, H).
        - prev_c: Cell states, of shape (N, H); only the LSTM uses them (pass anything of that
          shape for the vanilla RNN, and you get it back unchanged).

        Returns a tuple of:
        - scores: Scores (unnormalized log-probabilities) of every vocabulary word as the next
          word, of shape (N, V).
        - next_h: Next hidden states, of shape (N, H).
        - next_c: Next cell states, of shape (N, H) (prev_c itself for the vanilla RNN).
        """
        Wx, Wh, b = self.params["Wx"], self.params["Wh"], self.params["b"]
        scores, next_h, next_c = None, None, prev_c
        # TODO: Embed the words, advance the RNN or LSTM (self.cell_type) by one step with the
        # *_step_forward functions, and score the vocabulary with W_vocab and b_vocab.
        # word_embedding_forward takes words of shape (N, T), not (N,).
        # *****START OF YOUR CODE (DO NOT DELETE/MODIFY THIS LINE)*****
        # word_embedding_forward takes (N, T) words: read them as N captions of one word each.
        x, _ = word_embedding_forward(words[:, None], self.params["W_embed"])  # (N, 1, W)
        x = x[:, 0]  # (N, W)
        if self.cell_type == "rnn":
            next_h, _ = rnn_step_forward(x, prev_h, Wx, Wh, b)
        else:
            next_h, next_c, _ = lstm_step_forward(x, prev_h, prev_c, Wx, Wh, b)
        scores, _ = affine_forward(next_h, self.params["W_vocab"], self.params["b_vocab"])
        # *****END OF YOUR CODE (DO NOT DELETE/MODIFY THIS LINE)*****
        return scores, next_h, next_c

    def _beam_search(self, features, max_length, beam_size):
        """Beam search: keep the beam_size most probable partial captions of every image.

        A caption's score is the sum of its words' log-probabilities (its log-probability under
        the model). At each step every kept caption is extended by every word of the vocabulary
        and the beam_size best of these N x (B * V) candidates survive. A caption that has ended
        stays in the beam unchanged (it is extended only by <NULL>, at no cost), so it competes
        with the longer captions still growing. With beam_size = 1 this is greedy decoding.

        Returns the best caption of every image, of shape (N, max_length), as sample() does.
        """
        N, B = features.shape[0], beam_size
        h, _ = affine_forward(features, self.params["W_proj"], self.params["b_proj"])  # (N, H)
        h = np.repeat(h, B, axis=0)  # (N*B, H): beam b of image n in row n*B + b
        c = np.zeros_like(h)
        words = np.full(N * B, self._start)
        tokens = np.full((N, B, max_length), self._null, dtype=np.int32)
        # Every beam starts as the same empty caption: keep only one copy alive at first.
        beam_scores = np.full((N, B), -np.inf)
        beam_scores[:, 0] = 0.0
        ended = np.zeros((N, B), dtype=bool)
        rows = np.arange(N)[:, None]
        for t in range(max_length):
            scores, h, c = self._decode_step(words, h, c)  # (N*B, V)
            V = scores.shape[1]
            scores -= scores.max(axis=1, keepdims=True)  # log-softmax, without overflow
            log_probs = scores - np.log(np.exp(scores).sum(axis=1, keepdims=True))
            log_probs = log_probs.reshape(N, B, V)
            log_probs[ended] = -np.inf  # an ended caption only continues with <NULL>, for free
            log_probs[ended, self._null] = 0.0
            candidates = (beam_scores[:, :, None] + log_probs).reshape(N, B * V)
            best = np.argsort(-candidates, axis=1, kind="stable")[:, :B]  # (N, B)
            parent, word = best // V, best % V
            beam_scores = candidates[rows, best]
            tokens = tokens[rows, parent]
            ended = ended[rows, parent]
            tokens[:, :, t] = np.where(ended, self._null, word)
            ended |= word == self._end
            parent_rows = (rows * B + parent).reshape(-1)
            h, c = h[parent_rows], c[parent_rows]
            words = word.reshape(-1)
            if ended.all():
                break
        return tokens[:, 0]  # beams are kept sorted by score, best first
