"""Solutions written to the classic specification pass every test and notebook check that covers them.

Each entry below is our own classic-style variant of the functions a student writes: the way published
classic solutions write them (loops instead of vectorised code, in-place updates of the arrays a backward
pass receives, float64 temporaries, words written after <END>, a plain gradient step, a loop that runs
until the model is fooled). The variants of one entry replace ours in a temporary copy of the package
(tests/_variants.py); the unit tests named in the entry and the notebook check cells (tagged `check`)
then run against that copy in a fresh process, and every one of them must pass.
"""

import pytest

from _variants import package_with, run_notebook_checks, run_pytest

# Each entry: replacements {module file: {function or Class.method: source}}, the test files that
# cover them, and the notebooks whose check cells cover them.
VARIANTS = {}

# --------------------------------------------------------------------------------------------------
# Captioning, numpy (rnn_layers.py, classifiers/rnn.py)
# --------------------------------------------------------------------------------------------------

_CAPTIONING_COVER = {"tests": ["tests/test_rnn_layers.py", "tests/test_captioning_rnn.py",
                               "tests/test_captioning_metrics.py"],
                     "notebooks": ["RNN_Captioning.ipynb", "LSTM_Captioning.ipynb"]}

# The way published classic solutions write them: loops over time calling the step functions with a
# list of caches, backward passes that update the arrays they receive (dnext_h *= ..., dnext_c += ...,
# dh[:, t] += ...), embeddings by loops, the LSTM in float64 temporaries (float64 out for float32 in).
_NUMPY_LAYERS_CLASSIC = {
    "rnn_step_forward": '''
def rnn_step_forward(x, prev_h, Wx, Wh, b):
    next_h = np.tanh(np.dot(x, Wx) + np.dot(prev_h, Wh) + b)
    cache = (x, prev_h, Wx, Wh, next_h)
    return next_h, cache
''',
    "rnn_step_backward": '''
def rnn_step_backward(dnext_h, cache):
    x, prev_h, Wx, Wh, next_h = cache
    dnext_h *= 1 - next_h ** 2  # in place, on the array received
    dx = dnext_h.dot(Wx.T)
    dprev_h = dnext_h.dot(Wh.T)
    dWx = x.T.dot(dnext_h)
    dWh = prev_h.T.dot(dnext_h)
    db = np.sum(dnext_h, axis=0)
    return dx, dprev_h, dWx, dWh, db
''',
    "rnn_forward": '''
def rnn_forward(x, h0, Wx, Wh, b):
    N, T, D = x.shape
    H = h0.shape[1]
    h = np.zeros((N, T, H))
    cache = []
    prev_h = h0
    for t in range(T):
        prev_h, cache_t = rnn_step_forward(x[:, t, :], prev_h, Wx, Wh, b)
        h[:, t, :] = prev_h
        cache.append(cache_t)
    return h, cache
''',
    "rnn_backward": '''
def rnn_backward(dh, cache):
    N, T, H = dh.shape
    D = cache[0][0].shape[1]
    dx = np.zeros((N, T, D))
    dWx, dWh, db = np.zeros((D, H)), np.zeros((H, H)), np.zeros(H)
    dprev_h = np.zeros((N, H))
    for t in reversed(range(T)):
        dh[:, t, :] += dprev_h  # in place, on the array received
        dx_t, dprev_h, dWx_t, dWh_t, db_t = rnn_step_backward(dh[:, t, :], cache[t])
        dx[:, t, :] = dx_t
        dWx += dWx_t
        dWh += dWh_t
        db += db_t
    dh0 = dprev_h
    return dx, dh0, dWx, dWh, db
''',
    "word_embedding_forward": '''
def word_embedding_forward(x, W):
    N, T = x.shape
    out = np.zeros((N, T, W.shape[1]))
    for n in range(N):
        for t in range(T):
            out[n, t] = W[x[n, t]]
    cache = (x, W)
    return out, cache
''',
    "word_embedding_backward": '''
def word_embedding_backward(dout, cache):
    x, W = cache
    dW = np.zeros_like(W, dtype=np.float64)
    N, T = x.shape
    for n in range(N):
        for t in range(T):
            dW[x[n, t]] += dout[n, t]
    return dW
''',
    "lstm_step_forward": '''
def lstm_step_forward(x, prev_h, prev_c, Wx, Wh, b):
    H = prev_h.shape[1]
    a = np.dot(x, Wx).astype(np.float64) + np.dot(prev_h, Wh) + b  # float64 temporaries
    i = sigmoid(a[:, :H])
    f = sigmoid(a[:, H:2 * H])
    o = sigmoid(a[:, 2 * H:3 * H])
    g = np.tanh(a[:, 3 * H:])
    next_c = f * prev_c + i * g
    next_h = o * np.tanh(next_c)
    cache = (x, prev_h, prev_c, Wx, Wh, i, f, o, g, next_c)
    return next_h, next_c, cache
''',
    "lstm_step_backward": '''
def lstm_step_backward(dnext_h, dnext_c, cache):
    x, prev_h, prev_c, Wx, Wh, i, f, o, g, next_c = cache
    dnext_c += dnext_h * o * (1 - np.tanh(next_c) ** 2)  # in place, as in a published solution
    di = dnext_c * g
    df = dnext_c * prev_c
    do = dnext_h * np.tanh(next_c)
    dg = dnext_c * i
    dprev_c = dnext_c * f
    da = np.hstack((di * i * (1 - i), df * f * (1 - f), do * o * (1 - o), dg * (1 - g ** 2)))
    dx = da.dot(Wx.T)
    dprev_h = da.dot(Wh.T)
    dWx = x.T.dot(da)
    dWh = prev_h.T.dot(da)
    db = np.sum(da, axis=0)
    return dx, dprev_h, dprev_c, dWx, dWh, db
''',
    "lstm_forward": '''
def lstm_forward(x, h0, Wx, Wh, b):
    N, T, D = x.shape
    H = h0.shape[1]
    h = np.zeros((N, T, H))  # float64, whatever the inputs
    prev_h, prev_c = h0, np.zeros((N, H))
    cache = []
    for t in range(T):
        prev_h, prev_c, cache_t = lstm_step_forward(x[:, t, :], prev_h, prev_c, Wx, Wh, b)
        h[:, t, :] = prev_h
        cache.append(cache_t)
    return h, cache
''',
    "lstm_backward": '''
def lstm_backward(dh, cache):
    N, T, H = dh.shape
    D = cache[0][0].shape[1]
    dx = np.zeros((N, T, D))
    dWx, dWh, db = np.zeros((D, 4 * H)), np.zeros((H, 4 * H)), np.zeros(4 * H)
    dprev_h, dprev_c = np.zeros((N, H)), np.zeros((N, H))
    for t in reversed(range(T)):
        dh[:, t, :] += dprev_h  # in place, on the array received
        dx[:, t, :], dprev_h, dprev_c, dWx_t, dWh_t, db_t = lstm_step_backward(dh[:, t, :], dprev_c, cache[t])
        dWx += dWx_t
        dWh += dWh_t
        db += db_t
    return dx, dprev_h, dWx, dWh, db
''',
}

# A sampler that never stops: it writes a word at every step, after <END> too (the classic says
# stopping is optional), and a _decode_step in the classic's style.
_CAPTIONING_RNN_CLASSIC = {
    "CaptioningRNN.sample": '''
def sample(self, features, max_length=30, beam_size=1):
    if beam_size > 1:
        return self._beam_search(features, max_length, beam_size)
    N = features.shape[0]
    captions = self._null * np.ones((N, max_length), dtype=np.int32)
    W_proj, b_proj = self.params["W_proj"], self.params["b_proj"]
    W_embed = self.params["W_embed"]
    Wx, Wh, b = self.params["Wx"], self.params["Wh"], self.params["b"]
    W_vocab, b_vocab = self.params["W_vocab"], self.params["b_vocab"]
    prev_h = features.dot(W_proj) + b_proj
    prev_c = np.zeros(prev_h.shape)
    word = self._start * np.ones(N, dtype=np.int32)
    for t in range(max_length):
        x = W_embed[word]
        if self.cell_type == "rnn":
            prev_h, _ = rnn_step_forward(x, prev_h, Wx, Wh, b)
        else:
            prev_h, prev_c, _ = lstm_step_forward(x, prev_h, prev_c, Wx, Wh, b)
        scores = prev_h.dot(W_vocab) + b_vocab
        word = np.argmax(scores, axis=1)
        captions[:, t] = word
    return captions
''',
    "CaptioningRNN._decode_step": '''
def _decode_step(self, words, prev_h, prev_c):
    x = self.params["W_embed"][words, :]
    if self.cell_type == "lstm":
        next_h, next_c, _ = lstm_step_forward(x, prev_h, prev_c, self.params["Wx"], self.params["Wh"], self.params["b"])
    else:
        next_h, _ = rnn_step_forward(x, prev_h, self.params["Wx"], self.params["Wh"], self.params["b"])
        next_c = prev_c
    scores = next_h.dot(self.params["W_vocab"]) + self.params["b_vocab"]
    return scores, next_h, next_c
''',
}

VARIANTS["captioning numpy: loops, in-place backward passes, float64 LSTM, sampling past <END>"] = {
    "replacements": {"rnn_layers.py": _NUMPY_LAYERS_CLASSIC, "classifiers/rnn.py": _CAPTIONING_RNN_CLASSIC},
    **_CAPTIONING_COVER,
}

# The word embedding alone, with `N, T = x.shape` as its docstring allows, under our sample,
# _decode_step and beam search: the given decoding calls it with (N, 1) words, never (N,).
_WORD_EMBEDDING_NT = {name: _NUMPY_LAYERS_CLASSIC[name] for name in ("word_embedding_forward", "word_embedding_backward")}
VARIANTS["captioning numpy: word embedding that unpacks N, T = x.shape, with the given decoding"] = {
    "replacements": {"rnn_layers.py": _WORD_EMBEDDING_NT},
    **_CAPTIONING_COVER,
}

# Wrong solutions must still fail: (replacements, test files, notebook, what the failure names).
_CAPTIONING_WRONG = {
    "rnn_step_backward without the tanh derivative": (
        {"rnn_layers.py": {"rnn_step_backward": _NUMPY_LAYERS_CLASSIC["rnn_step_backward"].replace(
            "dnext_h *= 1 - next_h ** 2  # in place, on the array received", "pass")}},
        "RNN_Captioning.ipynb", "rnn_step_backward dx"),
    "lstm_step_backward without the path through next_h into the cell": (
        {"rnn_layers.py": {"lstm_step_backward": _NUMPY_LAYERS_CLASSIC["lstm_step_backward"].replace(
            "dnext_c += dnext_h * o * (1 - np.tanh(next_c) ** 2)  # in place, as in a published solution", "pass")}},
        "LSTM_Captioning.ipynb", "lstm_step_backward dx"),
    "sample feeding <START> at every step": (
        {"classifiers/rnn.py": {"CaptioningRNN.sample": _CAPTIONING_RNN_CLASSIC["CaptioningRNN.sample"].replace(
            "word = np.argmax(scores, axis=1)\n        captions[:, t] = word",
            "captions[:, t] = np.argmax(scores, axis=1)")}},
        "RNN_Captioning.ipynb", "CaptioningRNN.sample vs the stored greedy captions"),
    "_decode_step without b_vocab": (
        {"classifiers/rnn.py": {"CaptioningRNN._decode_step": _CAPTIONING_RNN_CLASSIC["CaptioningRNN._decode_step"].replace(
            ' + self.params["b_vocab"]', "")}},
        "LSTM_Captioning.ipynb", "CaptioningRNN._decode_step (lstm) log-probabilities"),
    "word embedding with N, T = x.shape whose backward keeps one gradient per repeated word": (
        {"rnn_layers.py": dict(_WORD_EMBEDDING_NT, word_embedding_backward='''
def word_embedding_backward(dout, cache):
    x, W = cache
    dW = np.zeros_like(W, dtype=np.float64)
    dW[x] += dout  # buffered: a repeated word keeps one of its gradients
    return dW
''')},
        "RNN_Captioning.ipynb", "word_embedding_backward dW"),
    "_decode_step scaling its scores (a temperature: the same greedy words, other log-probabilities)": (
        {"classifiers/rnn.py": {"CaptioningRNN._decode_step": _CAPTIONING_RNN_CLASSIC["CaptioningRNN._decode_step"].replace(
            'scores = next_h.dot(self.params["W_vocab"]) + self.params["b_vocab"]',
            'scores = 0.5 * (next_h.dot(self.params["W_vocab"]) + self.params["b_vocab"])')}},
        "RNN_Captioning.ipynb", "CaptioningRNN._decode_step log-probabilities"),
}


@pytest.mark.slow
@pytest.mark.parametrize("name", sorted(_CAPTIONING_WRONG))
def test_wrong_captioning_variant_fails_its_tests_and_notebook_checks(name, tmp_path):
    replacements, notebook, failing_check = _CAPTIONING_WRONG[name]
    root = package_with(replacements, tmp_path)
    ok, out = run_pytest(root, _CAPTIONING_COVER["tests"], first_failure=True)
    assert not ok, f"a wrong variant ('{name}') passes {_CAPTIONING_COVER['tests']}:\n{out}"
    ok, out = run_notebook_checks(root, notebook)
    assert not ok and f"{failing_check}:" in out and "FAIL" in out, (
        f"a wrong variant ('{name}') passes the check cells of {notebook}, or fails elsewhere:\n{out}")


# --------------------------------------------------------------------------------------------------
# Transformer (transformer_layers.py, classifiers/transformer.py)
# --------------------------------------------------------------------------------------------------

_TRANSFORMER_COVER = {"tests": ["tests/test_transformer_layers.py", "tests/test_captioning_transformer.py",
                                *(f"tests/test_classic_api_transformer.py::test_transformer_{name}" for name in (
                                    "layers_have_the_classic_attributes", "official_attention_and_encoding_cells_run",
                                    "official_forward_cell_runs", "official_solver_and_sample_calls_work"))],
                      "notebooks": ["Transformer_Captioning.ipynb"]}

# The way the 2021-2024 solutions write them: view/permute into heads, masked_fill with -inf, softmax,
# self.attn_drop; the encoding table filled by a loop over positions; the decoder mask a float tril
# built on the CPU; the classic's torch.empty placeholders left in; no stored attention weights.
VARIANTS["transformer: view/permute, -inf mask, loop over positions, float tril mask"] = {
    "replacements": {
        "transformer_layers.py": {
            "PositionalEncoding.__init__": '''
def __init__(self, embed_dim, dropout=0.1, max_len=5000):
    super().__init__()
    self.dropout = nn.Dropout(p=dropout)
    assert embed_dim % 2 == 0
    pe = torch.zeros(1, max_len, embed_dim)
    div_term = torch.pow(10000.0, -torch.arange(0, embed_dim, 2) / embed_dim)
    for i in range(max_len):
        pe[0, i, 0::2] = torch.sin(i * div_term)
        pe[0, i, 1::2] = torch.cos(i * div_term)
    self.register_buffer('pe', pe)
''',
            "PositionalEncoding.forward": '''
def forward(self, x):
    N, S, D = x.shape
    output = torch.empty((N, S, D))
    output = x + self.pe[:, :S, :]
    output = self.dropout(output)
    return output
''',
            "MultiHeadAttention.forward": '''
def forward(self, query, key, value, attn_mask=None):
    N, S, E = query.shape
    N, T, E = value.shape
    output = torch.empty((N, S, E))
    H = self.n_head
    Q = self.query(query).view(N, S, H, E // H).permute(0, 2, 1, 3)
    K = self.key(key).view(N, T, H, E // H).permute(0, 2, 1, 3)
    V = self.value(value).view(N, T, H, E // H).permute(0, 2, 1, 3)
    dot = torch.matmul(Q, K.permute(0, 1, 3, 2)) / math.sqrt(self.head_dim)
    if attn_mask is not None:
        dot = dot.masked_fill(attn_mask == 0, float('-inf'))
    attn = self.attn_drop(F.softmax(dot, dim=-1))
    output = torch.matmul(attn, V).permute(0, 2, 1, 3).reshape(N, S, E)
    output = self.proj(output)
    return output
''',
        },
        "classifiers/transformer.py": {
            "CaptioningTransformer.forward": '''
def forward(self, features, captions):
    N, T = captions.shape
    scores = torch.empty((N, T, self.vocab_size))
    caption_embeddings = self.embedding(captions)
    caption_embeddings = self.positional_encoding(caption_embeddings)
    projected_features = self.visual_projection(features).unsqueeze(1)
    tgt_mask = torch.tril(torch.ones(T, T))
    features = self.transformer(caption_embeddings, projected_features, tgt_mask)
    scores = self.output(features)
    return scores
''',
        },
    },
    **_TRANSFORMER_COVER,
}

# Loops instead of vectorised code: one head at a time with bmm, a large negative number instead of
# -inf (via logical_not, which also reads 0/1 masks), the table from math.sin/cos in two nested loops.
VARIANTS["transformer: loop over heads, -1e9 mask, nested loops, bool mask on the device"] = {
    "replacements": {
        "transformer_layers.py": {
            "PositionalEncoding.__init__": '''
def __init__(self, embed_dim, dropout=0.1, max_len=5000):
    super().__init__()
    self.dropout = nn.Dropout(p=dropout)
    assert embed_dim % 2 == 0
    pe = torch.zeros(1, max_len, embed_dim)
    for i in range(max_len):
        for j in range(0, embed_dim, 2):
            angle = i * 10000 ** (-j / embed_dim)
            pe[0, i, j] = math.sin(angle)
            pe[0, i, j + 1] = math.cos(angle)
    self.register_buffer('pe', pe)
''',
            "PositionalEncoding.forward": '''
def forward(self, x):
    S = x.shape[1]
    return self.dropout(x + self.pe[0, :S])
''',
            "MultiHeadAttention.forward": '''
def forward(self, query, key, value, attn_mask=None):
    q, k, v = self.query(query), self.key(key), self.value(value)
    heads = []
    for h in range(self.n_head):
        cols = slice(h * self.head_dim, (h + 1) * self.head_dim)
        scores = torch.bmm(q[:, :, cols], k[:, :, cols].transpose(1, 2)) / (self.head_dim ** 0.5)
        if attn_mask is not None:
            scores = scores.masked_fill(attn_mask.logical_not(), -1e9)
        weights = torch.softmax(scores, dim=2)
        heads.append(torch.bmm(self.attn_drop(weights), v[:, :, cols]))
    return self.proj(torch.cat(heads, dim=2))
''',
        },
        "classifiers/transformer.py": {
            "CaptioningTransformer.forward": '''
def forward(self, features, captions):
    N, T = captions.shape
    memory = self.visual_projection(features)[:, None, :]
    tgt = self.positional_encoding(self.embedding(captions))
    tgt_mask = torch.ones(T, T, device=captions.device).tril() == 1
    out = self.transformer(tgt=tgt, memory=memory, tgt_mask=tgt_mask)
    return self.output(out)
''',
        },
    },
    **_TRANSFORMER_COVER,
}

# The 2025 course's way (public 2025 solutions are written so): each block as shortcut, sublayer,
# dropout, sum, norm on successive lines; patches cut with unfold; torch.mean over the patches.
VARIANTS["vision transformer: 2025 style, shortcut variables, unfold patches"] = {
    "replacements": {
        "transformer_layers.py": {
            "TransformerDecoderLayer.forward": '''
def forward(self, tgt, memory, tgt_mask=None):
    shortcut = tgt
    tgt = self.self_attn(query=tgt, key=tgt, value=tgt, attn_mask=tgt_mask)
    tgt = self.dropout_self(tgt)
    tgt = tgt + shortcut
    tgt = self.norm_self(tgt)
    shortcut = tgt
    tgt = self.cross_attn(query=tgt, key=memory, value=memory, attn_mask=None)
    tgt = self.dropout_cross(tgt)
    tgt = tgt + shortcut
    tgt = self.norm_cross(tgt)
    shortcut = tgt
    tgt = self.ffn(tgt)
    tgt = self.dropout_ffn(tgt)
    tgt = tgt + shortcut
    tgt = self.norm_ffn(tgt)
    return tgt
''',
            "PatchEmbedding.forward": '''
def forward(self, x):
    N, C, H, W = x.shape
    assert H == self.img_size and W == self.img_size, \\
        f"PatchEmbedding expects images of size ({self.img_size}, {self.img_size}), got ({H}, {W})"
    out = torch.zeros(N, self.embed_dim)
    patches = x.unfold(2, self.patch_size, self.patch_size).unfold(3, self.patch_size, self.patch_size)
    patches = patches.permute(0, 2, 3, 1, 4, 5).reshape(N, self.num_patches, self.patch_dim)
    out = self.proj(patches)
    return out
''',
            "TransformerEncoderLayer.forward": '''
def forward(self, src, src_mask=None):
    shortcut = src
    src = self.self_attn(query=src, key=src, value=src, attn_mask=src_mask)
    src = self.dropout_self(src)
    src = src + shortcut
    src = self.norm_self(src)
    shortcut = src
    src = self.ffn(src)
    src = self.dropout_ffn(src)
    src = src + shortcut
    src = self.norm_ffn(src)
    return src
''',
        },
        "classifiers/transformer.py": {
            "VisionTransformer.forward": '''
def forward(self, x):
    N = x.size(0)
    logits = torch.zeros(N, self.num_classes, device=x.device)
    x = self.patch_embed(x)
    x = self.positional_encoding(x)
    x = self.transformer(x)
    x = torch.mean(x, dim=1)
    logits = self.head(x)
    return logits
''',
        },
    },
    "tests": ["tests/test_vit.py", "tests/test_decoder_layer.py", "tests/test_captioning_transformer.py"],
    "notebooks": ["Vision_Transformer.ipynb"],
    # The checks up to overfitting one batch; the full training run (cells tagged training) runs in nbval
    # on our solutions, and the variant's training is already shown by the overfit check.
    "skip": ["training"],
}

# Wrong solutions: each must fail both the unit tests named and the notebook's check cells.
_ATTENTION_FORWARD = VARIANTS["transformer: view/permute, -inf mask, loop over positions, float tril mask"][
    "replacements"]["transformer_layers.py"]["MultiHeadAttention.forward"]
_PE_FORWARD = VARIANTS["transformer: view/permute, -inf mask, loop over positions, float tril mask"][
    "replacements"]["transformer_layers.py"]["PositionalEncoding.forward"]
WRONG_TRANSFORMER = {
    "attention scaled by sqrt(E), not sqrt(E/H)": (
        {"transformer_layers.py": {"MultiHeadAttention.forward": _ATTENTION_FORWARD.replace(
            "math.sqrt(self.head_dim)", "math.sqrt(E)")}}, "tests/test_transformer_layers.py"),
    "dropout on the attention output, not the weights": (
        {"transformer_layers.py": {"MultiHeadAttention.forward": _ATTENTION_FORWARD.replace(
            "attn = self.attn_drop(F.softmax(dot, dim=-1))", "attn = F.softmax(dot, dim=-1)").replace(
            "output = self.proj(output)", "output = self.proj(self.attn_drop(output))")}},
        "tests/test_transformer_layers.py"),
    "cosines with the exponent of their own (odd) dimension": (
        {"transformer_layers.py": {"PositionalEncoding.__init__": '''
def __init__(self, embed_dim, dropout=0.1, max_len=5000):
    super().__init__()
    self.dropout = nn.Dropout(p=dropout)
    pe = torch.zeros(1, max_len, embed_dim)
    for i in range(max_len):
        for j in range(embed_dim):
            rate = 10000 ** (-j / embed_dim)
            pe[0, i, j] = math.sin(i * rate) if j % 2 == 0 else math.cos(i * rate)
    self.register_buffer('pe', pe)
'''}}, "tests/test_transformer_layers.py"),
    "dropout before the encodings are added": (
        {"transformer_layers.py": {"PositionalEncoding.forward": _PE_FORWARD.replace(
            "output = x + self.pe[:, :S, :]\n    output = self.dropout(output)",
            "output = self.dropout(x) + self.pe[:, :S, :]")}}, "tests/test_transformer_layers.py"),
    "decoder without the causal mask": (
        {"classifiers/transformer.py": {"CaptioningTransformer.forward": '''
def forward(self, features, captions):
    memory = self.visual_projection(features).unsqueeze(1)
    return self.output(self.transformer(self.positional_encoding(self.embedding(captions)), memory))
'''}}, "tests/test_captioning_transformer.py"),
}


@pytest.mark.slow
@pytest.mark.parametrize("name", sorted(WRONG_TRANSFORMER))
def test_wrong_transformer_variant_fails_its_tests_and_notebook_checks(name, tmp_path):
    replacements, test_file = WRONG_TRANSFORMER[name]
    root = package_with(replacements, tmp_path)
    ok, out = run_pytest(root, [test_file], first_failure=True)
    assert not ok, f"wrong variant '{name}' passes {test_file}:\n{out}"
    ok, out = run_notebook_checks(root, "Transformer_Captioning.ipynb")
    assert not ok, f"wrong variant '{name}' passes the check cells of Transformer_Captioning.ipynb:\n{out}"


def _unimplemented(qualname, path):
    """A method that raises as the student edition's blanks do."""
    return f'''
def {qualname.split(".")[-1]}(self, *args, **kwargs):
    raise NotImplementedError("{qualname} in {path}: fill in the code between the START/END markers")
'''


@pytest.mark.slow
@pytest.mark.notebook
def test_transformer_notebook_comparison_leaves_out_an_unimplemented_rnn(tmp_path):
    """The LSTM was optional in several editions: the three-model comparison (cells tagged
    `comparison`) must run with CaptioningRNN still blank, leave its rows out and say why."""
    path = "cs231n/classifiers/rnn.py"
    root = package_with({"classifiers/rnn.py": {q: _unimplemented(q, path)
                                                 for q in ("CaptioningRNN.loss", "CaptioningRNN.sample")}}, tmp_path)
    ok, out = run_notebook_checks(root, "Transformer_Captioning.ipynb", tags=("setup", "comparison"))
    assert ok, f"the Transformer notebook's comparison stops when CaptioningRNN is not implemented:\n{out}"
    for line in ("RNN left out, not implemented yet", "LSTM left out, not implemented yet", "| Transformer"):
        assert line in out, f"the comparison without CaptioningRNN should print '{line}':\n{out}"


# --------------------------------------------------------------------------------------------------
# Network visualization (net_visualization_pytorch.py)
# --------------------------------------------------------------------------------------------------

_NETVIS_COVER = {"tests": ["tests/test_net_visualization.py", "tests/test_mistakes_net_visualization.py",
                           "tests/test_real_model_path.py"],
                 "notebooks": ["Network_Visualization.ipynb"]}

# The way published classic solutions write the four blanks (the given code around them unchanged):
# gather then backward with X.grad; a `while True` loop until the model is fooled, updating .data and
# zeroing .grad; the plain gradient step `img.data += learning_rate * img.grad` on the score with
# l2_reg * img.norm() ** 2; Grad-CAM by loops over images and channels, upsampled with nn.Upsample.
_NETVIS_CLASSIC = {
    "compute_saliency_maps": '''
def compute_saliency_maps(X, y, model):
    X = X.detach().clone().requires_grad_(True)
    saliency = None
    scores = model(X)
    scores = scores.gather(1, y.view(-1, 1)).squeeze()
    scores.backward(torch.ones_like(scores))
    saliency, _ = torch.max(X.grad.data.abs(), dim=1)
    return saliency.detach()
''',
    "make_fooling_image": '''
def make_fooling_image(X, target_y, model, *, learning_rate=1.0, max_iter=100):
    X_fooling = X.detach().clone().requires_grad_(True)
    target_y = int(target_y)
    while True:
        scores = model.forward(X_fooling)
        _, pred = scores.max(1)
        if pred.item() == target_y:
            break
        scores[0, target_y].backward()
        g = X_fooling.grad.data
        dX = learning_rate * g / g.norm()
        X_fooling.data += dX
        X_fooling.grad.data.zero_()
    X_fooling = X_fooling.detach()
    with torch.no_grad():
        predicted = model(X_fooling).argmax(dim=1).item()
    if predicted != target_y:
        raise RuntimeError(
            f"make_fooling_image stopped (max_iter={max_iter}) before the model was fooled: it still "
            f"predicts class {predicted}, not the target {target_y}. Allow more steps (max_iter) or "
            f"larger ones (learning_rate)."
        )
    return X_fooling
''',
    "class_visualization_update_step": '''
def class_visualization_update_step(img, model, target_y, l2_reg, learning_rate):
    score = model(img)[0, target_y] - l2_reg * img.norm() ** 2
    score.backward()
    img.data += learning_rate * img.grad.data
    img.grad.data.zero_()
''',
    "grad_cam": '''
def grad_cam(X, y, model, layer):
    activations = []
    handle = layer.register_forward_hook(lambda module, inputs, output: activations.append(output))
    try:
        scores = model(X.detach().clone().requires_grad_(True))
    finally:
        handle.remove()
    A = activations[0]
    cam = None
    N, K, h, w = A.shape
    cams = []
    for n in range(N):
        grads = torch.autograd.grad(scores[n, y[n]], A, retain_graph=True)[0][n]  # (K, h, w)
        weights = grads.mean(dim=(1, 2))  # (K,)
        cam_n = torch.zeros(h, w, dtype=A.dtype, device=A.device)
        for k in range(K):
            cam_n = cam_n + weights[k] * A[n, k]
        cams.append(torch.relu(cam_n))
    cam = torch.stack(cams).unsqueeze(1)  # (N, 1, h, w)
    cam = torch.nn.Upsample(size=tuple(X.shape[2:]), mode="bilinear", align_corners=False)(cam).squeeze(1)
    cam = cam.detach()
    peak = cam.flatten(1).amax(dim=1).clamp_min(1e-12).view(-1, 1, 1)
    return cam / peak
''',
}

VARIANTS["network visualization: gather and backward, while True until fooled, plain step, Grad-CAM by loops"] = {
    "replacements": {"net_visualization_pytorch.py": _NETVIS_CLASSIC},
    **_NETVIS_COVER,
}

# The other classic loop: `while pred != target`, the prediction taken before each step, no max_iter, and
# the classic's own check (no message of ours when it is not fooled: it simply loops until it is).
_FOOLING_WHILE_PRED = '''
def make_fooling_image(X, target_y, model, *, learning_rate=1.0, max_iter=100):
    X_fooling = X.clone()
    X_fooling = X_fooling.requires_grad_()
    _, pred = torch.max(model(X_fooling), 1)
    while pred.item() != target_y:
        score = model(X_fooling)[0, target_y]
        score.backward()
        with torch.no_grad():
            X_fooling += learning_rate * X_fooling.grad / X_fooling.grad.norm()
            X_fooling.grad.zero_()
        _, pred = torch.max(model(X_fooling), 1)
    return X_fooling.detach()
'''
VARIANTS["network visualization: while pred != target, no max_iter"] = {
    "replacements": {"net_visualization_pytorch.py": {"make_fooling_image": _FOOLING_WHILE_PRED}},
    **_NETVIS_COVER,
}

# Wrong solutions must still fail, in the unit tests and in the notebook: (function, wrong source, what
# the notebook output then says).
_NETVIS_WRONG = {
    "saliency without the absolute value": (
        "compute_saliency_maps", ("X.grad.data.abs()", "X.grad.data"), "compute_saliency_maps vs stored maps"),
    "fooling by gradient descent, which never fools": (
        "make_fooling_image", ("X_fooling.data += dX", "X_fooling.data -= dX"),
        "make_fooling_image called the model 1000 times without stopping"),
    "class visualization step with the L2 term's sign flipped": (
        "class_visualization_update_step", ("- l2_reg * img.norm() ** 2", "+ l2_reg * img.norm() ** 2"),
        "class_visualization_update_step direction: "),
    "Grad-CAM with max-pooled instead of averaged gradients": (
        "grad_cam", ("grads.mean(dim=(1, 2))", "grads.amax(dim=(1, 2))"), "grad_cam vs stored maps"),
}


@pytest.mark.slow
@pytest.mark.parametrize("name", sorted(_NETVIS_WRONG))
def test_wrong_net_visualization_variant_fails_its_tests_and_notebook_checks(name, tmp_path):
    function, (right, wrong), failure = _NETVIS_WRONG[name]
    assert _NETVIS_CLASSIC[function].count(right) == 1, f"test set-up: '{right}' not found once in {function}"
    root = package_with({"net_visualization_pytorch.py": {function: _NETVIS_CLASSIC[function].replace(right, wrong)}},
                        tmp_path)
    ok, out = run_pytest(root, _NETVIS_COVER["tests"], first_failure=True)
    assert not ok, f"a wrong variant ('{name}') passes {_NETVIS_COVER['tests']}:\n{out}"
    ok, out = run_notebook_checks(root, "Network_Visualization.ipynb")
    assert not ok and failure in out, (
        f"a wrong variant ('{name}') passes the check cells of Network_Visualization.ipynb, or fails elsewhere:\n{out}")


# --------------------------------------------------------------------------------------------------
# Style transfer (style_transfer_pytorch.py)
# --------------------------------------------------------------------------------------------------

VARIANTS["style transfer: loops, one-element float32 style loss, sums of squares"] = {
    "replacements": {"style_transfer_pytorch.py": {
        "content_loss": '''
def content_loss(content_weight, content_current, content_original):
    loss = content_weight * torch.sum(torch.pow(content_current - content_original, 2))
    return loss
''',
        "gram_matrix": '''
def gram_matrix(features, normalize=True):
    N, C, H, W = features.size()
    gram = torch.zeros(N, C, C, dtype=features.dtype, device=features.device)
    for n in range(N):  # one image at a time
        f = features[n].view(C, -1)
        gram[n] = torch.mm(f, f.t())
    if normalize:
        gram /= (H * W * C)
    return gram
''',
        "style_loss": '''
def style_loss(feats, style_layers, style_targets, style_weights):
    loss = torch.zeros(1).type(dtype)  # shape (1,), float32: the classic module's dtype
    for i in range(len(style_layers)):
        G = gram_matrix(feats[style_layers[i]])
        loss += style_weights[i] * torch.sum((G - style_targets[i]) ** 2)
    return loss
''',
        "tv_loss": '''
def tv_loss(img, tv_weight):
    h_var = torch.sum(torch.pow(img[:, :, :-1, :] - img[:, :, 1:, :], 2))
    w_var = torch.sum(torch.pow(img[:, :, :, :-1] - img[:, :, :, 1:], 2))
    loss = tv_weight * (h_var + w_var)
    return loss
''',
    }},
    "tests": ["tests/test_style_transfer.py", "tests/test_classic_api_style_transfer.py::test_style_transfer_classic_signatures"],
    "notebooks": ["Style_Transfer.ipynb"],
}


@pytest.mark.slow
def test_style_transfer_wrong_variants_still_fail(tmp_path):
    # Each classic-looking mistake must be caught by the unit tests and by the notebook's checks.
    wrong = {
        "style_loss": '''
def style_loss(feats, style_layers, style_targets, style_weights):
    loss = torch.zeros(1).type(dtype)
    for i in range(len(style_layers)):
        G = gram_matrix(feats[style_layers[i]], normalize=False)  # wrong: the targets are normalised
        loss += style_weights[i] * torch.sum((G - style_targets[i]) ** 2)
    return loss
''',
        "tv_loss": '''
def tv_loss(img, tv_weight):
    h_var = torch.mean(torch.pow(img[:, :, :-1, :] - img[:, :, 1:, :], 2))  # wrong: mean, not sum
    w_var = torch.sum(torch.pow(img[:, :, :, :-1] - img[:, :, :, 1:], 2))
    return tv_weight * (h_var + w_var)
''',
    }
    root = package_with({"style_transfer_pytorch.py": wrong}, tmp_path)
    for test in ("test_style_loss_and_its_gradient_match_stored_values",
                 "test_tv_loss_and_its_gradient_match_stored_values"):
        ok, out = run_pytest(root, [f"tests/test_style_transfer.py::{test}"], first_failure=True)
        assert not ok, f"a wrong style_loss/tv_loss passes {test}:\n{out}"
    ok, out = run_notebook_checks(root, "Style_Transfer.ipynb")
    assert not ok and "style_loss value" in out and "FAIL" in out, (
        f"a wrong style_loss passes the notebook's checks:\n{out}")


# A float32 Gram matrix (the classic pipeline is float32; a classic solution builds it with .type(dtype))
# passes, within float32 rounding; the same float32 code with a mistake near it still fails.
_GRAM_FLOAT32 = '''
def gram_matrix(features, normalize=True):
    N, C, H, W = features.size()
    flat = features.view(N, C, H * W).type(dtype)  # float32, whatever comes in
    gram = torch.bmm(flat, flat.transpose(1, 2))
    if normalize:
        gram = gram / (H * W * C)
    return gram
'''
VARIANTS["style transfer: a float32 Gram matrix"] = {
    "replacements": {"style_transfer_pytorch.py": {"gram_matrix": _GRAM_FLOAT32}},
    "tests": ["tests/test_style_transfer.py"],
    "notebooks": ["Style_Transfer.ipynb"],
}

# Mistakes that keep every value and break only the gradient an optimiser follows, or keep float32 rounding
# and miss the normalisation: (replacements, a test that must fail, what the notebook must print).
_STYLE_WRONG = {
    "float32 Gram matrix divided by H*W only": (
        {"gram_matrix": _GRAM_FLOAT32.replace("gram / (H * W * C)", "gram / (H * W)")},
        "test_gram_matrix_matches_stored_values_on_non_square_batch", "gram_matrix(normalize=True)"),
    "style loss whose Gram matrices are detached": (
        {"style_loss": '''
def style_loss(feats, style_layers, style_targets, style_weights):
    loss = 0
    for i, layer in enumerate(style_layers):
        G = gram_matrix(feats[layer]).detach()  # the value stays, the gradient is gone
        loss = loss + style_weights[i] * torch.sum((G - style_targets[i]) ** 2)
    return loss + 0 * feats[style_layers[0]].sum()
'''}, "test_style_loss_and_its_gradient_match_stored_values", "style_loss gradient w.r.t. the features of layer 0"),
    "tv loss with one direction detached": (
        {"tv_loss": '''
def tv_loss(img, tv_weight):
    h_var = torch.sum((img[:, :, 1:, :] - img[:, :, :-1, :]) ** 2)
    w_var = torch.sum((img[:, :, :, 1:] - img[:, :, :, :-1]) ** 2).detach()
    return tv_weight * (h_var + w_var)
'''}, "test_tv_loss_and_its_gradient_match_stored_values", "tv_loss gradient w.r.t. the image"),
}


@pytest.mark.slow
@pytest.mark.parametrize("name", sorted(_STYLE_WRONG))
def test_style_transfer_wrong_variant_near_a_right_one_fails(name, tmp_path):
    replacements, test, failing_check = _STYLE_WRONG[name]
    root = package_with({"style_transfer_pytorch.py": replacements}, tmp_path)
    ok, out = run_pytest(root, [f"tests/test_style_transfer.py::{test}"], first_failure=True)
    assert not ok, f"a wrong variant ('{name}') passes {test}:\n{out}"
    ok, out = run_notebook_checks(root, "Style_Transfer.ipynb")
    assert not ok and f"{failing_check}" in out and "FAIL" in out, (
        f"a wrong variant ('{name}') passes the check cells of Style_Transfer.ipynb, or fails elsewhere:\n{out}")


# --------------------------------------------------------------------------------------------------
# GANs (gan_pytorch.py)
# --------------------------------------------------------------------------------------------------

# Written the way classic solutions write them: nn.Sequential with torch's own Flatten, labels built with
# torch.ones(...).type(dtype), the classic bce_loss given in the 2019 notebook ((1 + exp).log(), no log1p),
# noise via torch.rand * 2 - 1, and the WGAN-GP penalty of the reference implementation (one alpha per
# example expanded over the pixels, autograd.grad with grad_outputs, create_graph and retain_graph).
_GAN_CLASSIC = {
    "sample_noise": """def sample_noise(batch_size, dim, seed=None):
    if seed is not None:
        torch.manual_seed(seed)
    return torch.rand(batch_size, dim) * 2 - 1
""",
    "discriminator": """def discriminator(seed=None):
    if seed is not None:
        torch.manual_seed(seed)
    model = nn.Sequential(
        nn.Flatten(),
        nn.Linear(784, 256),
        nn.LeakyReLU(0.01, inplace=True),
        nn.Linear(256, 256),
        nn.LeakyReLU(0.01, inplace=True),
        nn.Linear(256, 1),
    )
    return model
""",
    "generator": """def generator(noise_dim=NOISE_DIM, seed=None):
    if seed is not None:
        torch.manual_seed(seed)
    model = nn.Sequential(
        nn.Linear(noise_dim, 1024),
        nn.ReLU(inplace=True),
        nn.Linear(1024, 1024),
        nn.ReLU(inplace=True),
        nn.Linear(1024, 784),
        nn.Tanh(),
    )
    return model
""",
    "bce_loss": """def bce_loss(input, target):
    neg_abs = -input.abs()
    loss = input.clamp(min=0) - input * target + (1 + neg_abs.exp()).log()
    return loss.mean()
""",
    "discriminator_loss": """def discriminator_loss(logits_real, logits_fake):
    N = logits_real.size()
    true_labels = torch.ones(N).type(dtype)
    loss = bce_loss(logits_real, true_labels) + bce_loss(logits_fake, 1 - true_labels)
    return loss
""",
    "generator_loss": """def generator_loss(logits_fake):
    N = logits_fake.size()
    true_labels = torch.ones(N).type(dtype)
    loss = bce_loss(logits_fake, true_labels)
    return loss
""",
    "ls_discriminator_loss": """def ls_discriminator_loss(scores_real, scores_fake):
    loss = 0.5 * torch.mean((scores_real - 1) ** 2) + 0.5 * torch.mean(scores_fake ** 2)
    return loss
""",
    "ls_generator_loss": """def ls_generator_loss(scores_fake):
    loss = 0.5 * torch.mean((scores_fake - 1) ** 2)
    return loss
""",
    "get_optimizer": """def get_optimizer(model):
    optimizer = torch.optim.Adam(model.parameters(), lr=1e-3, betas=(0.5, 0.999))
    return optimizer
""",
    "build_dc_classifier": """def build_dc_classifier(batch_size):
    return nn.Sequential(
        Unflatten(batch_size, 1, 28, 28),
        nn.Conv2d(1, 32, 5, 1),
        nn.LeakyReLU(0.01),
        nn.MaxPool2d(2, 2),
        nn.Conv2d(32, 64, 5, 1),
        nn.LeakyReLU(0.01),
        nn.MaxPool2d(2, 2),
        nn.Flatten(),
        nn.Linear(4 * 4 * 64, 4 * 4 * 64),
        nn.LeakyReLU(0.01),
        nn.Linear(4 * 4 * 64, 1),
    )
""",
    "build_dc_generator": """def build_dc_generator(noise_dim=NOISE_DIM):
    return nn.Sequential(
        nn.Linear(noise_dim, 1024),
        nn.ReLU(inplace=True),
        nn.BatchNorm1d(1024),
        nn.Linear(1024, 7 * 7 * 128),
        nn.ReLU(inplace=True),
        nn.BatchNorm1d(7 * 7 * 128),
        Unflatten(),
        nn.ConvTranspose2d(128, 64, 4, 2, 1),
        nn.ReLU(inplace=True),
        nn.BatchNorm2d(64),
        nn.ConvTranspose2d(64, 1, 4, 2, 1),
        nn.Tanh(),
        Flatten(),
    )
""",
    "wgan_critic_loss": """def wgan_critic_loss(scores_real, scores_fake):
    return torch.mean(scores_fake) - torch.mean(scores_real)
""",
    "wgan_generator_loss": """def wgan_generator_loss(scores_fake):
    return -torch.mean(scores_fake)
""",
    "gradient_penalty": """def gradient_penalty(D, real_data, fake_data):
    batch_size = real_data.size(0)
    alpha = torch.rand(batch_size, 1)
    alpha = alpha.expand(batch_size, real_data.nelement() // batch_size).contiguous().view(real_data.size())
    alpha = alpha.to(real_data.device, real_data.dtype)
    interpolates = alpha * real_data + ((1 - alpha) * fake_data)
    interpolates = interpolates.detach().requires_grad_(True)
    disc_interpolates = D(interpolates)
    gradients = torch.autograd.grad(outputs=disc_interpolates, inputs=interpolates,
                                    grad_outputs=torch.ones(disc_interpolates.size(), dtype=disc_interpolates.dtype,
                                                            device=disc_interpolates.device),
                                    create_graph=True, retain_graph=True, only_inputs=True)[0]
    gradients = gradients.view(gradients.size(0), -1)
    return ((gradients.norm(2, dim=1) - 1) ** 2).mean()
""",
}
_GAN_COVER = {"tests": ["tests/test_gan.py", "tests/test_mistakes_gan.py",
                        "tests/test_classic_api_gan.py::test_gan_classic_return_types"],
              "notebooks": ["Generative_Adversarial_Networks.ipynb"]}
VARIANTS["gan: classic-style solutions"] = {"replacements": {"gan_pytorch.py": _GAN_CLASSIC}, **_GAN_COVER}

# The 2022-2024 editions: bce_loss is given as BCEWithLogitsLoss on input.squeeze() (so targets are (N,)),
# the losses build (N,) targets as the classic docstring's (N,) logits ask, and the DCGAN discriminator
# has no Unflatten (run_a_gan hands it (N, 1, 28, 28)).
_GAN_2022 = {
    "bce_loss": """def bce_loss(input, target):
    bce = nn.BCEWithLogitsLoss()
    return bce(input.squeeze(), target)
""",
    "discriminator_loss": """def discriminator_loss(logits_real, logits_fake):
    N = logits_real.shape[0]
    real_labels = torch.ones(N).type(dtype)
    fake_labels = torch.zeros(N).type(dtype)
    return bce_loss(logits_real, real_labels) + bce_loss(logits_fake, fake_labels)
""",
    "generator_loss": """def generator_loss(logits_fake):
    N = logits_fake.shape[0]
    return bce_loss(logits_fake, torch.ones(N).type(dtype))
""",
    "build_dc_classifier": """def build_dc_classifier(batch_size):
    return nn.Sequential(
        nn.Conv2d(1, 32, kernel_size=5, stride=1),
        nn.LeakyReLU(0.01),
        nn.MaxPool2d(kernel_size=2, stride=2),
        nn.Conv2d(32, 64, kernel_size=5, stride=1),
        nn.LeakyReLU(0.01),
        nn.MaxPool2d(kernel_size=2, stride=2),
        Flatten(),
        nn.Linear(4 * 4 * 64, 4 * 4 * 64),
        nn.LeakyReLU(0.01),
        nn.Linear(4 * 4 * 64, 1),
    )
""",
}
VARIANTS["gan: the 2022-2024 given bce_loss, (N,) targets, DCGAN discriminator without Unflatten"] = {
    "replacements": {"gan_pytorch.py": _GAN_2022}, **_GAN_COVER}

# Wrong networks and noise next to the right ones: each must fail the notebook's checks (and test_gan.py).
def _swap(src, old, new):
    """src with old replaced by new; old must occur exactly once (a wrong variant differs from the right one)."""
    assert src.count(old) == 1, f"test set-up: {old!r} occurs {src.count(old)} times"
    return src.replace(old, new)


_GAN_WRONG_NEAR = {
    "generator without Tanh": (
        {"generator": _swap(_GAN_CLASSIC["generator"], "        nn.Linear(1024, 784),\n        nn.Tanh(),\n",
                            "        nn.Linear(1024, 784),\n")},
        "generator(4) layers"),
    "discriminator with ReLU instead of LeakyReLU": (
        {"discriminator": _swap(_GAN_CLASSIC["discriminator"], "nn.Linear(784, 256),\n        nn.LeakyReLU(0.01, inplace=True)",
                                "nn.Linear(784, 256),\n        nn.ReLU()")},
        "discriminator() layers"),
    "DCGAN generator with BatchNorm before ReLU": (
        {"build_dc_generator": _swap(
            _GAN_CLASSIC["build_dc_generator"], "        nn.ReLU(inplace=True),\n        nn.BatchNorm2d(64),", "        nn.BatchNorm2d(64),\n        nn.ReLU(inplace=True),")},
        "build_dc_generator layers"),
    "2022-2024 DCGAN discriminator with ReLU": (
        {"build_dc_classifier": _swap(_GAN_2022["build_dc_classifier"], "nn.Conv2d(1, 32, kernel_size=5, stride=1),\n        nn.LeakyReLU(0.01)",
                                      "nn.Conv2d(1, 32, kernel_size=5, stride=1),\n        nn.ReLU()")},
        "build_dc_classifier layers"),
    "noise clamp(randn, -1, 1)": (
        {"sample_noise": _swap(_GAN_CLASSIC["sample_noise"], "torch.rand(batch_size, dim) * 2 - 1",
                               "torch.clamp(torch.randn(batch_size, dim), -1, 1)")},
        "sample_noise is uniform"),
    "2022-2024 losses with the labels swapped": (
        {**_GAN_2022, "discriminator_loss": _swap(_GAN_2022["discriminator_loss"],
            "bce_loss(logits_real, real_labels) + bce_loss(logits_fake, fake_labels)",
            "bce_loss(logits_real, fake_labels) + bce_loss(logits_fake, real_labels)")},
        "discriminator_loss vs classic value"),
    "discriminator loss with the fake logits detached": (
        {"discriminator_loss": _swap(_GAN_CLASSIC["discriminator_loss"],
            "bce_loss(logits_fake, 1 - true_labels)", "bce_loss(logits_fake.detach(), 1 - true_labels)")},
        "d discriminator_loss / d logits_fake"),
}


@pytest.mark.slow
@pytest.mark.parametrize("name", sorted(_GAN_WRONG_NEAR))
def test_gan_wrong_variant_near_a_right_one_fails(name, tmp_path):
    replacements, failing_check = _GAN_WRONG_NEAR[name]
    root = package_with({"gan_pytorch.py": replacements}, tmp_path)
    ok, out = run_pytest(root, _GAN_COVER["tests"], first_failure=True)
    assert not ok, f"a wrong variant ('{name}') passes {_GAN_COVER['tests']}:\n{out}"
    ok, out = run_notebook_checks(root, "Generative_Adversarial_Networks.ipynb")
    assert not ok and f"{failing_check}:" in out and "FAIL" in out, (
        f"a wrong variant ('{name}') passes the check cells of the GAN notebook, or fails elsewhere:\n{out}")

# Wrong solutions the notebook's checks must catch (issue 11, G3): a penalty that the critic cannot
# learn from (no create_graph) and one interpolation weight for the whole batch.
_GAN_WRONG = {
    "gan: penalty without create_graph": """def gradient_penalty(D, real_data, fake_data):
    eps = torch.rand(real_data.size(0), *([1] * (real_data.dim() - 1)), dtype=real_data.dtype)
    x_hat = (eps * real_data + (1 - eps) * fake_data).requires_grad_(True)
    (grads,) = torch.autograd.grad(D(x_hat).sum(), x_hat)
    return ((grads.reshape(len(grads), -1).norm(2, dim=1) - 1) ** 2).mean()
""",
    "gan: one eps for the batch": """def gradient_penalty(D, real_data, fake_data):
    eps = torch.rand(1).item()
    x_hat = (eps * real_data + (1 - eps) * fake_data).requires_grad_(True)
    (grads,) = torch.autograd.grad(D(x_hat).sum(), x_hat, create_graph=True)
    return ((grads.reshape(len(grads), -1).norm(2, dim=1) - 1) ** 2).mean()
""",
}


@pytest.mark.slow
def test_gan_wrong_gradient_penalties_fail_the_notebook_checks(tmp_path):
    for i, (name, src) in enumerate(_GAN_WRONG.items()):
        root = package_with({"gan_pytorch.py": {"gradient_penalty": src}}, tmp_path / str(i))
        ok, out = run_notebook_checks(root, "Generative_Adversarial_Networks.ipynb")
        assert not ok and "gradient_penalty" in out and "FAIL" in out, f"'{name}' passes the notebook checks:\n{out}"


@pytest.mark.slow
@pytest.mark.parametrize("name", sorted(VARIANTS))
def test_classic_variant_passes_its_tests_and_notebook_checks(name, tmp_path):
    entry = VARIANTS[name]
    root = package_with(entry["replacements"], tmp_path)
    ok, out = run_pytest(root, entry["tests"])
    assert ok, f"classic variant '{name}' fails the unit tests that cover it:\n{out}"
    for notebook in entry.get("notebooks", []):
        ok, out = run_notebook_checks(root, notebook, skip=entry.get("skip", ()))
        assert ok, f"classic variant '{name}' fails the check cells of {notebook}:\n{out}"
