"""Realistic student mistakes, five or more per blanked function, for tools/mutants.py.

CATALOGUE[(module, function)] is a list of (kind, old, new) or (kind, old, new, reason): `old` must
occur exactly once in the function's solution region and becomes `new`. A fourth element marks the
mutant equivalent (a solution the classic specification allows, reference/classic_api.md) with the
reason; it is listed, not run. When a solution region changes, refresh the entries that `make
mutants` (or `python tools/mutants.py --list`) reports as stale.

Instructor-only: these are wrong solutions next to right ones.
"""

RNN = "cs231n/rnn_layers.py"
CLS = "cs231n/classifiers/rnn.py"
TRF = "cs231n/classifiers/transformer.py"
TL = "cs231n/transformer_layers.py"
NV = "cs231n/net_visualization_pytorch.py"
ST = "cs231n/style_transfer_pytorch.py"
GAN = "cs231n/gan_pytorch.py"

FLOAT64_BACKWARD = "the classic allows backward passes that return float64 for float32 inputs"
SAME_VALUES_FLOAT64 = ("the classic notebooks compare values, never dtypes: float64 gives the same values "
                       "(and torch or numpy promotes what follows)")

CATALOGUE = {
    # ------------------------------------------------------------------------------------------
    # RNN and LSTM layers (numpy)
    (RNN, "rnn_step_forward"): [
        ("wrong sign", "x @ Wx + prev_h @ Wh + b", "x @ Wx - prev_h @ Wh + b"),
        ("missing bias", "x @ Wx + prev_h @ Wh + b)", "x @ Wx + prev_h @ Wh)"),
        ("wrong activation", "np.tanh(x @ Wx", "sigmoid(x @ Wx"),
        ("dropped term", "x @ Wx + prev_h @ Wh + b", "x @ Wx + b"),
        ("transpose", "prev_h @ Wh", "prev_h @ Wh.T"),
        ("dtype promoted to float64", "np.tanh(x @ Wx + prev_h @ Wh + b)",
         "np.tanh(x @ Wx + prev_h @ Wh + b).astype(np.float64)", SAME_VALUES_FLOAT64),
    ],
    (RNN, "rnn_step_backward"): [
        ("wrong tanh derivative", "(1 - next_h * next_h)", "(1 - next_h)"),
        ("wrong sign", "(1 - next_h * next_h)", "(1 + next_h * next_h)"),
        ("dropped nonlinearity", "da = dnext_h * (1 - next_h * next_h)", "da = dnext_h"),
        ("transpose", "dprev_h = da @ Wh.T", "dprev_h = da @ Wh"),
        ("wrong term", "dWh = prev_h.T @ da", "dWh = next_h.T @ da"),
        ("wrong normalisation", "db = da.sum(axis=0)", "db = da.mean(axis=0)"),
        ("dtype promoted to float64", "db = da.sum(axis=0)", "db = da.sum(axis=0).astype(np.float64)",
         FLOAT64_BACKWARD),
    ],
    (RNN, "rnn_forward"): [
        ("missing bias", "h += b", "pass"),
        ("wrong sign", "a += prev_h @ Wh", "a -= prev_h @ Wh"),
        ("ignores h0", "prev_h = h0", "prev_h = np.zeros_like(h0)"),
        ("off-by-one loop", "for t in range(T):", "for t in range(T - 1):"),
        ("wrong activation", "np.tanh(a, out=a)", "np.maximum(a, 0, out=a)"),
        ("transpose", "a += prev_h @ Wh", "a += prev_h @ Wh.T"),
    ],
    (RNN, "rnn_backward"): [
        ("dropped upstream gradient", "np.add(dh[:, t], dprev_h, out=da_t)", "np.copyto(da_t, dh[:, t])"),
        ("wrong tanh derivative", "da_t *= 1 - h[:, t] * h[:, t]", "da_t *= 1 - h[:, t]"),
        ("dh0 dropped", "dh0 = dprev_h", "dh0 = np.zeros_like(h0)"),
        ("wrong time order", "for t in reversed(range(T)):", "for t in range(T):"),
        ("off-by-one previous state", "h_prev = np.concatenate([h0[:, None, :], h[:, :-1]], axis=1)", "h_prev = h"),
        ("wrong normalisation", "db = da2.sum(axis=0)", "db = da2.mean(axis=0)"),
        ("transpose", "dprev_h = da_t @ Wh.T", "dprev_h = da_t @ Wh"),
    ],
    (RNN, "word_embedding_forward"): [
        ("off-by-one index", "out = W[x]", "out = W[x - 1]"),
        ("extra mask on <NULL>", "out = W[x]", "out = W[x] * (x > 0)[..., None]"),
        ("wrong normalisation", "out = W[x]", "out = W[x] / W.shape[0]"),
        ("reversed time", "out = W[x]", "out = W[x[:, ::-1]]"),
        ("dtype promoted to float64", "out = W[x]", "out = W[x].astype(np.float64)", SAME_VALUES_FLOAT64),
    ],
    (RNN, "word_embedding_backward"): [
        ("no accumulation for repeated words", "np.add.at(dW, x, dout)", "dW[x] += dout"),
        ("wrong normalisation", "np.add.at(dW, x, dout)", "np.add.at(dW, x, dout / x.shape[0])"),
        ("wrong initialisation", "dW = np.zeros(W_shape, dtype=dout.dtype)", "dW = np.ones(W_shape, dtype=dout.dtype)"),
        ("off-by-one index", "np.add.at(dW, x, dout)", "np.add.at(dW, x - 1, dout)"),
        ("wrong sign", "np.add.at(dW, x, dout)", "np.subtract.at(dW, x, dout)"),
        ("dtype promoted to float64", "dtype=dout.dtype", "dtype=np.float64", FLOAT64_BACKWARD),
    ],
    (RNN, "lstm_step_forward"): [
        ("wrong gate order", "f = sigmoid(a[:, H:2 * H])", "f = sigmoid(a[:, :H])"),
        ("wrong activation", "g = np.tanh(a[:, 3 * H:])", "g = sigmoid(a[:, 3 * H:])"),
        ("wrong gate", "next_c = f * prev_c + i * g", "next_c = f * prev_c + o * g"),
        ("missing tanh", "next_h = o * tanh_c", "next_h = o * next_c"),
        ("missing bias", "a = x @ Wx + prev_h @ Wh + b", "a = x @ Wx + prev_h @ Wh"),
        ("dropped forget gate", "next_c = f * prev_c + i * g", "next_c = prev_c + i * g"),
    ],
    (RNN, "lstm_step_backward"): [
        ("dropped dnext_c", "dc = dnext_c + dnext_h * o", "dc = dnext_h * o"),
        ("wrong sigmoid derivative", "dc * prev_c * f * (1 - f)", "dc * prev_c * f"),
        ("wrong tanh derivative", "dc * i * (1 - g * g)", "dc * i * (1 - g)"),
        ("dropped forget factor", "dprev_c = dc * f", "dprev_c = dc"),
        ("wrong gate order", "dc * g * i * (1 - i),  # input gate", "dc * prev_c * f * (1 - f),  # input gate"),
        ("wrong term", "dWh = prev_h.T @ da", "dWh = x.T @ da"),
        ("dtype promoted to float64", "db = da.sum(axis=0)", "db = da.sum(axis=0).astype(np.float64)",
         FLOAT64_BACKWARD),
    ],
    (RNN, "lstm_forward"): [
        ("missing bias", "gates += b", "pass"),
        ("wrong initial cell", "prev_h, prev_c = h0, np.zeros_like(h0)", "prev_h, prev_c = h0, h0"),
        ("wrong gate order", "np.multiply(f, prev_c, out=next_c)", "np.multiply(i, prev_c, out=next_c)"),
        ("wrong gate", "next_c += i * g", "next_c += o * g"),
        ("off-by-one loop", "for t in range(T):", "for t in range(1, T):"),
        ("missing tanh", "np.multiply(o, tanh_c[:, t], out=h[:, t])", "np.multiply(o, next_c, out=h[:, t])"),
        ("wrong activation", "sigmoid(a[:, :3 * H], out=a[:, :3 * H])", "np.tanh(a[:, :3 * H], out=a[:, :3 * H])"),
    ],
    (RNN, "lstm_backward"): [
        ("dropped upstream dh", "dnext_h = dh[:, t] + dprev_h", "dnext_h = dh[:, t]"),
        ("dropped upstream dc", "dnext_c += dprev_c", "pass"),
        ("wrong sigmoid derivative", "da_f *= f * (1 - f)", "da_f *= f"),
        ("wrong tanh derivative", "da_g *= 1 - g * g", "da_g *= 1 - g"),
        ("off-by-one previous cell", "prev_c = c[:, t - 1] if t > 0 else np.zeros_like(h0)", "prev_c = c[:, t]"),
        ("dropped forget factor", "dprev_c = dnext_c * f", "dprev_c = dnext_c"),
        ("wrong axis", "db = da2.sum(axis=0)", "db = da2.sum(axis=1)"),
    ],
    # ------------------------------------------------------------------------------------------
    # CaptioningRNN
    (CLS, "CaptioningRNN.loss"): [
        ("wrong label", "temporal_softmax_loss(scores, captions_out, mask)",
         "temporal_softmax_loss(scores, captions_in, mask)"),
        ("missing mask", "temporal_softmax_loss(scores, captions_out, mask)",
         "temporal_softmax_loss(scores, captions_out, np.ones_like(mask))"),
        ("missing bias", "affine_forward(features, W_proj, b_proj)", "affine_forward(features, W_proj, 0 * b_proj)"),
        ("dropped gradient", "affine_backward(dh0, cache_proj)", "affine_backward(np.zeros_like(dh0), cache_proj)"),
        ("ignores cell_type", "recurrent_forward, recurrent_backward = lstm_forward, lstm_backward",
         "recurrent_forward, recurrent_backward = rnn_forward, rnn_backward"),
        ("wrong normalisation", "loss, dscores = temporal_softmax_loss(scores, captions_out, mask)",
         "loss, dscores = temporal_softmax_loss(scores, captions_out, mask)\n        loss = loss / captions.shape[1]"),
    ],
    (CLS, "CaptioningRNN.sample"): [
        ("wrong start token", "words = np.full(N, self._start)", "words = np.full(N, self._null)"),
        ("wrong initial cell", "c = np.zeros_like(h)", "c = h.copy()"),
        ("wrong axis", "words = scores.argmax(axis=1)", "words = scores.argmax(axis=0)"),
        ("off-by-one loop", "for t in range(max_length):", "for t in range(max_length - 1):"),
        ("missing bias", "affine_forward(features, W_proj, b_proj)", "affine_forward(features, W_proj, 0 * b_proj)"),
        ("words after <END> kept", "captions[~ended, t] = words[~ended]", "captions[:, t] = words",
         "the classic allows sampling to go on after <END>; captions are compared up to the first <END>"),
    ],
    (CLS, "CaptioningRNN._decode_step"): [
        ("missing bias", "rnn_step_forward(x, prev_h, Wx, Wh, b)", "rnn_step_forward(x, prev_h, Wx, Wh, 0 * b)"),
        ("off-by-one state", "affine_forward(next_h, self.params", "affine_forward(prev_h, self.params"),
        ("feeds <START> every step", "word_embedding_forward(words[:, None], self.params",
         "word_embedding_forward(words[:, None] * 0 + self._start, self.params"),
        ("dropped cell state", "lstm_step_forward(x, prev_h, prev_c, Wx, Wh, b)",
         "lstm_step_forward(x, prev_h, np.zeros_like(prev_c), Wx, Wh, b)"),
        ("missing vocabulary bias", 'self.params["W_vocab"], self.params["b_vocab"])',
         'self.params["W_vocab"], 0 * self.params["b_vocab"])'),
        # Beam search ranks by the log-softmax of the scores: these keep every argmax (greedy decoding
        # is unchanged) but not the log-probabilities.
        ("temperature", 'scores, _ = affine_forward(next_h, self.params["W_vocab"], self.params["b_vocab"])',
         'scores, _ = affine_forward(next_h, self.params["W_vocab"], self.params["b_vocab"])\n'
         '        scores = scores / 2.0'),
        ("probabilities instead of scores",
         'scores, _ = affine_forward(next_h, self.params["W_vocab"], self.params["b_vocab"])',
         'scores, _ = affine_forward(next_h, self.params["W_vocab"], self.params["b_vocab"])\n'
         '        scores = np.exp(scores - scores.max(axis=1, keepdims=True))\n'
         '        scores /= scores.sum(axis=1, keepdims=True)'),
        ("constant added to each row", 'scores, _ = affine_forward(next_h, self.params["W_vocab"], self.params["b_vocab"])',
         'scores, _ = affine_forward(next_h, self.params["W_vocab"], self.params["b_vocab"])\n'
         '        scores = scores - scores.max(axis=1, keepdims=True)',
         "a constant per row changes no probability: the scores are unnormalized log-probabilities"),
    ],
    # ------------------------------------------------------------------------------------------
    # Transformer
    (TRF, "CaptioningTransformer.forward"): [
        ("wrong mask (future)", "tgt_mask = torch.tril(", "tgt_mask = torch.triu("),
        ("missing mask", "tgt_mask=tgt_mask)", "tgt_mask=None)"),
        ("dropped positional encoding", "self.positional_encoding(self.embedding(captions))", "self.embedding(captions)"),
        ("dropped image features", "memory = self.visual_projection(features).unsqueeze(1)",
         "memory = 0 * self.visual_projection(features).unsqueeze(1)"),
        ("softmax instead of scores", "scores = self.output(decoded)", "scores = torch.softmax(self.output(decoded), dim=-1)"),
    ],
    (TL, "PositionalEncoding.__init__"): [
        ("sin and cos swapped", "pe[0, :, 0::2] = torch.sin(angle)", "pe[0, :, 0::2] = torch.cos(angle)"),
        ("wrong sign of exponent", "torch.pow(10000.0, -even_dims / embed_dim)", "torch.pow(10000.0, even_dims / embed_dim)"),
        ("i instead of 2i", "even_dims = torch.arange(0, embed_dim, 2, dtype=torch.float32)",
         "even_dims = torch.arange(0, embed_dim // 2, dtype=torch.float32)"),
        ("off-by-one position", "position = torch.arange(max_len, dtype=torch.float32)",
         "position = torch.arange(1, max_len + 1, dtype=torch.float32)"),
        ("cos replaced by sin", "pe[0, :, 1::2] = torch.cos(angle)", "pe[0, :, 1::2] = torch.sin(angle)"),
    ],
    (TL, "PositionalEncoding.forward"): [
        ("missing dropout", "self.dropout(x + self.pe[:, :S, :])", "x + self.pe[:, :S, :]"),
        ("dropout in the wrong place", "self.dropout(x + self.pe[:, :S, :])", "self.dropout(x) + self.pe[:, :S, :]"),
        ("off-by-one slice", "self.pe[:, :S, :]", "self.pe[:, 1:S + 1, :]"),
        ("wrong operation", "x + self.pe[:, :S, :]", "x * self.pe[:, :S, :]"),
        ("dtype promoted to float64", "x + self.pe[:, :S, :]", "x + self.pe[:, :S, :].double()"),
    ],
    (TL, "MultiHeadAttention.forward"): [
        ("wrong normalisation", "/ math.sqrt(Dh)", "/ math.sqrt(E)"),
        ("wrong mask value", "attn_mask.to(scores.device) == 0", "attn_mask.to(scores.device) == 1"),
        ("wrong axis", "weights = F.softmax(scores, dim=-1)", "weights = F.softmax(scores, dim=-2)"),
        ("missing dropout", "torch.matmul(self.attn_drop(weights), v)", "torch.matmul(weights, v)"),
        ("missing transpose", "y = y.transpose(1, 2).reshape(N, S, E)", "y = y.reshape(N, S, E)"),
        ("wrong input", "k = self.key(key)", "k = self.key(query)"),
        ("missing projection", "output = self.proj(y)", "output = y"),
    ],
    # ------------------------------------------------------------------------------------------
    # Network visualization
    (NV, "compute_saliency_maps"): [
        ("missing abs", "dX.abs().amax(dim=1)", "dX.amax(dim=1)"),
        ("wrong reduction", "dX.abs().amax(dim=1)", "dX.abs().sum(dim=1)"),
        ("wrong axis", "dX.abs().amax(dim=1)", "dX.abs().amax(dim=2)"),
        ("wrong label", "scores.gather(1, y.view(-1, 1)).squeeze(1)", "scores.max(dim=1).values"),
        ("wrong normalisation", "correct_scores.sum()", "correct_scores.mean()"),
        ("softmax instead of scores", "scores = model(X)", "scores = F.softmax(model(X), dim=1)"),
    ],
    (NV, "make_fooling_image"): [
        ("wrong sign", "X_fooling += learning_rate", "X_fooling -= learning_rate"),
        ("no normalisation", "X_fooling += learning_rate * g / g.norm().clamp_min(1e-12)",
         "X_fooling += learning_rate * g"),
        ("never stops early", "            break\n", "            pass\n"),
        ("wrong class", "torch.autograd.grad(scores[0, target_y], X_fooling)",
         "torch.autograd.grad(scores[0].max(), X_fooling)"),
        ("off-by-one loop", "for _ in range(max_iter):", "for _ in range(max_iter - 1):"),
        ("log-probability instead of score", "torch.autograd.grad(scores[0, target_y], X_fooling)",
         "torch.autograd.grad(F.log_softmax(scores, dim=1)[0, target_y], X_fooling)"),
    ],
    (NV, "class_visualization_update_step"): [
        ("wrong sign of L2", "- l2_reg * img.square().sum()", "+ l2_reg * img.square().sum()"),
        ("dropped L2", "objective = model(img)[0, target_y] - l2_reg * img.square().sum()",
         "objective = model(img)[0, target_y]"),
        ("descent instead of ascent", "img += learning_rate", "img -= learning_rate"),
        ("norm instead of squared norm", "img.square().sum()", "img.norm()"),
        ("softmax instead of score", "model(img)[0, target_y]", "F.softmax(model(img), dim=1)[0, target_y]"),
        ("plain step", "img += learning_rate * g / g.norm().clamp_min(1e-12)", "img += learning_rate * g",
         "the classic allows the plain step img += learning_rate * grad as well as a normalised one"),
    ],
    (NV, "grad_cam"): [
        ("missing ReLU", "F.relu((alpha * A).sum(dim=1, keepdim=True))", "(alpha * A).sum(dim=1, keepdim=True)"),
        ("wrong axis", "alpha = dA.mean(dim=(2, 3), keepdim=True)", "alpha = dA.mean(dim=1, keepdim=True)"),
        ("wrong label", "scores.gather(1, y.view(-1, 1)).sum()", "scores.max(dim=1).values.sum()"),
        ("wrong interpolation", 'mode="bilinear"', 'mode="nearest"'),
        ("gradients instead of pooled weights", "F.relu((alpha * A)", "F.relu((dA * A)"),
        ("wrong normalisation", "alpha = dA.mean(dim=(2, 3), keepdim=True)",
         "alpha = dA.sum(dim=(2, 3), keepdim=True)",
         "the map is divided by its maximum, so the factor h * w on every channel weight cancels"),
    ],
    # ------------------------------------------------------------------------------------------
    # Style transfer
    (ST, "content_loss"): [
        ("missing weight", "content_weight * torch.sum(", "torch.sum("),
        ("absolute instead of square", "(content_current - content_original) ** 2",
         "(content_current - content_original).abs()"),
        ("wrong normalisation", "torch.sum(", "torch.mean("),
        ("missing gradient (detach)", "(content_current - content_original)",
         "(content_current.detach() - content_original)"),
        ("halved", "** 2)", "** 2) / 2"),
    ],
    (ST, "gram_matrix"): [
        ("wrong normalisation", "gram = gram / (H * W * C)", "gram = gram / (H * W)"),
        ("wrong transpose", "torch.bmm(flat, flat.transpose(1, 2))", "torch.bmm(flat.transpose(1, 2), flat)"),
        ("inverted flag", "if normalize:", "if not normalize:"),
        ("reshape instead of transpose", "flat = features.reshape(N, C, H * W)",
         "flat = features.reshape(N, H * W, C).transpose(1, 2)"),
        ("dtype promoted to float64", "gram = torch.bmm(flat, flat.transpose(1, 2))",
         "gram = torch.bmm(flat, flat.transpose(1, 2)).double()", SAME_VALUES_FLOAT64),
        ("missing gradient (detach)", "torch.bmm(flat, flat.transpose(1, 2))",
         "torch.bmm(flat, flat.transpose(1, 2)).detach()"),
    ],
    (ST, "style_loss"): [
        ("missing weight", "weight * torch.sum(", "torch.sum("),
        ("wrong normalisation", "torch.sum((gram_matrix(feats[layer]) - target) ** 2)",
         "torch.mean((gram_matrix(feats[layer]) - target) ** 2)"),
        ("unnormalised Gram", "gram_matrix(feats[layer])", "gram_matrix(feats[layer], normalize=False)"),
        ("weights in the wrong order", "zip(style_layers, style_targets, style_weights)",
         "zip(style_layers, style_targets, list(style_weights)[::-1])"),
        ("only the last layer counts", "loss = loss + weight", "loss = weight"),
        ("off-by-one layer", "gram_matrix(feats[layer])", "gram_matrix(feats[layer + 1])"),
        ("missing gradient (detach)", "gram_matrix(feats[layer])", "gram_matrix(feats[layer]).detach()"),
    ],
    (ST, "tv_loss"): [
        ("dropped term", "torch.sum(down ** 2) + torch.sum(right ** 2)", "torch.sum(down ** 2)"),
        ("missing weight", "tv_weight * (", "("),
        ("off-by-one slice", "img[:, :, 1:, :] - img[:, :, :-1, :]", "img[:, :, 2:, :] - img[:, :, :-2, :]"),
        ("absolute instead of square", "torch.sum(down ** 2)", "torch.sum(down.abs())"),
        ("wrong normalisation", "torch.sum(down ** 2) + torch.sum(right ** 2)",
         "torch.mean(down ** 2) + torch.mean(right ** 2)"),
        ("wrong axis", "img[:, :, :, 1:] - img[:, :, :, :-1]", "img[:, :, 1:, :] - img[:, :, :-1, :]"),
        ("missing gradient in one direction (detach)", "torch.sum(right ** 2))", "torch.sum(right ** 2).detach())"),
    ],
    # ------------------------------------------------------------------------------------------
    # GANs
    (GAN, "sample_noise"): [
        ("wrong range", "2 * torch.rand(batch_size, dim) - 1", "torch.rand(batch_size, dim)"),
        ("wrong distribution", "2 * torch.rand(batch_size, dim) - 1", "2 * torch.randn(batch_size, dim) - 1"),
        ("dtype promoted to float64", "torch.rand(batch_size, dim)", "torch.rand(batch_size, dim, dtype=torch.float64)"),
        ("transpose", "torch.rand(batch_size, dim)", "torch.rand(dim, batch_size)"),
        ("wrong sign", "2 * torch.rand(batch_size, dim) - 1", "2 * torch.rand(batch_size, dim) + 1"),
    ],
    (GAN, "discriminator"): [
        ("sigmoid on the logits", "nn.Linear(256, 1),", "nn.Linear(256, 1),\n        nn.Sigmoid(),"),
        ("ReLU instead of LeakyReLU", "nn.Linear(784, 256), nn.LeakyReLU(0.01),", "nn.Linear(784, 256), nn.ReLU(),"),
        ("missing bias", "nn.Linear(784, 256),", "nn.Linear(784, 256, bias=False),"),
        ("missing flatten", "Flatten(),\n", ""),
        ("dropped layer", "nn.Linear(256, 256), nn.LeakyReLU(0.01),\n        ", ""),
        ("wrong slope", "nn.Linear(256, 256), nn.LeakyReLU(0.01),", "nn.Linear(256, 256), nn.LeakyReLU(0.2),"),
    ],
    (GAN, "generator"): [
        ("wrong output activation", "nn.Tanh(),", "nn.Sigmoid(),"),
        ("missing bias", "nn.Linear(noise_dim, 1024),", "nn.Linear(noise_dim, 1024, bias=False),"),
        ("missing output activation", " nn.Tanh(),", ""),
        ("extra ReLU", "nn.Linear(1024, 784),", "nn.Linear(1024, 784), nn.ReLU(),"),
        ("ignores noise_dim", "nn.Linear(noise_dim, 1024),", "nn.Linear(NOISE_DIM, 1024),"),
    ],
    (GAN, "bce_loss"): [
        ("wrong normalisation", "loss = elementwise.mean()", "loss = elementwise.sum()"),
        ("wrong sign", "- input * target", "+ input * target"),
        ("wrong sign in the log term", "torch.exp(-input.abs())", "torch.exp(input.abs())"),
        ("wrong clamp", "input.clamp(min=0)", "input.clamp(max=0)"),
        ("dropped term", " + torch.log1p(torch.exp(-input.abs()))", ""),
        ("dtype promoted to float64", "elementwise.mean()", "elementwise.double().mean()", SAME_VALUES_FLOAT64),
        ("extra detach", "input.clamp(min=0)", "input.detach().clamp(min=0)"),
    ],
    (GAN, "discriminator_loss"): [
        ("wrong label for real", "bce_loss(logits_real, torch.ones_like(logits_real))",
         "bce_loss(logits_real, torch.zeros_like(logits_real))"),
        ("wrong label for fake", "logits_fake, torch.zeros_like(logits_fake)", "logits_fake, torch.ones_like(logits_fake)"),
        ("wrong sign", "+ bce_loss(logits_fake", "- bce_loss(logits_fake"),
        ("wrong normalisation", "(bce_loss(logits_real", "(0.5 * bce_loss(logits_real"),
        ("wrong input", "logits_fake, torch.zeros_like(logits_fake)", "logits_real, torch.zeros_like(logits_fake)"),
        ("extra detach", "bce_loss(logits_fake, torch.zeros_like", "bce_loss(logits_fake.detach(), torch.zeros_like"),
    ],
    (GAN, "generator_loss"): [
        ("wrong label", "torch.ones_like(logits_fake)", "torch.zeros_like(logits_fake)"),
        ("minimax instead of non-saturating", "bce_loss(logits_fake, torch.ones_like(logits_fake))",
         "-bce_loss(logits_fake, torch.zeros_like(logits_fake))"),
        ("wrong sign", "bce_loss(logits_fake,", "bce_loss(-logits_fake,"),
        ("wrong normalisation", "loss = bce_loss(", "loss = logits_fake.shape[0] * bce_loss("),
        ("extra detach", "bce_loss(logits_fake,", "bce_loss(logits_fake.detach(),"),
    ],
    (GAN, "ls_discriminator_loss"): [
        ("wrong target for real", "(scores_real - 1) ** 2", "(scores_real + 1) ** 2"),
        ("wrong target for fake", "(scores_fake**2).mean()", "((scores_fake + 1)**2).mean()"),
        ("wrong normalisation", "loss = 0.5 * ((scores_real - 1) ** 2)", "loss = ((scores_real - 1) ** 2)"),
        ("sum instead of mean", "(scores_fake**2).mean()", "(scores_fake**2).sum()"),
        ("wrong sign", "+ 0.5 * (scores_fake**2)", "- 0.5 * (scores_fake**2)"),
        ("extra detach", "((scores_real - 1) ** 2)", "((scores_real.detach() - 1) ** 2)"),
    ],
    (GAN, "ls_generator_loss"): [
        ("wrong target", "(scores_fake - 1) ** 2", "(scores_fake + 1) ** 2"),
        ("discriminator's target", "(scores_fake - 1) ** 2", "scores_fake ** 2"),
        ("wrong normalisation", "0.5 * ((scores_fake - 1) ** 2).mean()", "((scores_fake - 1) ** 2).mean()"),
        ("sum instead of mean", ".mean()", ".sum()"),
        ("extra detach", "(scores_fake - 1)", "(scores_fake.detach() - 1)"),
    ],
    (GAN, "get_optimizer"): [
        ("wrong learning rate", "lr=1e-3", "lr=1e-2"),
        ("default betas", "betas=(0.5, 0.999)", "betas=(0.9, 0.999)"),
        ("AdamW instead of Adam", "torch.optim.Adam(", "torch.optim.AdamW("),
        ("missing parameters", "model.parameters()", "list(model.parameters())[:-1]"),
        ("wrong beta2", "betas=(0.5, 0.999)", "betas=(0.5, 0.99)"),
    ],
    (GAN, "build_dc_classifier"): [
        ("wrong kernel", "nn.Conv2d(1, 32, kernel_size=5, stride=1),", "nn.Conv2d(1, 32, kernel_size=3, stride=1),"),
        ("average instead of max pooling", "nn.MaxPool2d(kernel_size=2, stride=2),  # (N, 32, 12, 12)",
         "nn.AvgPool2d(kernel_size=2, stride=2),  # (N, 32, 12, 12)"),
        ("sigmoid on the logits", "nn.Linear(4 * 4 * 64, 1),", "nn.Linear(4 * 4 * 64, 1),\n        nn.Sigmoid(),"),
        ("ReLU instead of LeakyReLU", "stride=1), nn.LeakyReLU(0.01),  # (N, 32", "stride=1), nn.ReLU(),  # (N, 32"),
        ("dropped layer", "nn.Linear(4 * 4 * 64, 4 * 4 * 64), nn.LeakyReLU(0.01),\n        ", ""),
        ("missing bias", "nn.Conv2d(32, 64, kernel_size=5, stride=1),", "nn.Conv2d(32, 64, kernel_size=5, stride=1, bias=False),"),
    ],
    (GAN, "build_dc_generator"): [
        ("wrong output activation", "nn.Tanh(),", "nn.Sigmoid(),"),
        ("missing batch norm", " nn.BatchNorm1d(1024),", ""),
        ("wrong padding", "nn.ConvTranspose2d(128, 64, kernel_size=4, stride=2, padding=1)",
         "nn.ConvTranspose2d(128, 64, kernel_size=4, stride=2, padding=0)"),
        ("ignores noise_dim", "nn.Linear(noise_dim, 1024),", "nn.Linear(NOISE_DIM, 1024),"),
        ("batch norm before ReLU", "nn.ReLU(), nn.BatchNorm2d(64),", "nn.BatchNorm2d(64), nn.ReLU(),"),
        ("missing bias", "nn.ConvTranspose2d(64, 1, kernel_size=4, stride=2, padding=1)",
         "nn.ConvTranspose2d(64, 1, kernel_size=4, stride=2, padding=1, bias=False)"),
    ],
    (GAN, "wgan_critic_loss"): [
        ("wrong sign", "scores_fake.mean() - scores_real.mean()", "scores_real.mean() - scores_fake.mean()"),
        ("sum instead of mean", "scores_fake.mean() - scores_real.mean()", "scores_fake.sum() - scores_real.sum()"),
        ("dropped term", "scores_fake.mean() - scores_real.mean()", "scores_fake.mean()"),
        ("sigmoid on the scores", "scores_fake.mean() - scores_real.mean()",
         "torch.sigmoid(scores_fake).mean() - torch.sigmoid(scores_real).mean()"),
        ("extra detach", "scores_fake.mean() - scores_real.mean()", "scores_fake.detach().mean() - scores_real.mean()"),
    ],
    (GAN, "wgan_generator_loss"): [
        ("wrong sign", "-scores_fake.mean()", "scores_fake.mean()"),
        ("sum instead of mean", "-scores_fake.mean()", "-scores_fake.sum()"),
        ("sigmoid on the scores", "-scores_fake.mean()", "-torch.sigmoid(scores_fake).mean()"),
        ("extra detach", "-scores_fake.mean()", "-scores_fake.detach().mean()"),
        ("wrong normalisation", "-scores_fake.mean()", "-0.5 * scores_fake.mean()"),
    ],
    (GAN, "gradient_penalty"): [
        ("missing create_graph", "create_graph=True", "create_graph=False"),
        ("dropped term", "((grad_norm - 1) ** 2)", "(grad_norm ** 2)"),
        ("wrong axis", "grads.reshape(N, -1).norm(2, dim=1)", "grads.reshape(N, -1).norm(2, dim=0)"),
        ("wrong interpolation", "eps * real_data + (1 - eps) * fake_data", "eps * real_data + eps * fake_data"),
        ("sum instead of mean", "penalty = ((grad_norm - 1) ** 2).mean()", "penalty = ((grad_norm - 1) ** 2).sum()"),
        ("one eps for the whole batch", "eps = torch.rand(N, *([1] * (real_data.dim() - 1)), device=real_data.device)",
         "eps = torch.rand(1, device=real_data.device)"),
    ],
}

# The later editions' notebooks keep their mistakes in files of their own beside this one (each defines
# CATALOGUE in the same form); the lines below merge them.
from mutants_catalogue_ddpm import CATALOGUE as _C_DDPM; CATALOGUE.update(_C_DDPM)  # noqa: E402, E702
from mutants_catalogue_vit import CATALOGUE as _C_VIT; CATALOGUE.update(_C_VIT)  # noqa: E402, E702
from mutants_catalogue_clip import CATALOGUE as _C_CLIP; CATALOGUE.update(_C_CLIP)  # noqa: E402, E702
from mutants_catalogue_ssl import CATALOGUE as _SSL_CATALOGUE; CATALOGUE.update(_SSL_CATALOGUE)  # noqa: E402, E702
