"""The torch training loop for CaptioningTransformer (the counterpart of captioning_solver.py)."""

import numpy as np
import torch
import torch.nn.functional as F

from cs231n.captioning_solver import iteration_counts, loop_options
from cs231n.coco_utils import sample_coco_minibatch


class CaptioningSolverTransformer:
    """Trains a CaptioningTransformer with Adam on minibatches drawn from a captioning data dict.

    Example usage:

        data = load_coco_data()
        model = CaptioningTransformer(data["word_to_idx"], input_dim=512, wordvec_dim=256)
        solver = CaptioningSolverTransformer(model, data, idx_to_word=data["idx_to_word"],
                                             num_epochs=10, batch_size=100, learning_rate=1e-3)
        solver.train()
        # solver.loss_history holds the loss of every iteration

    The data dict is the one load_coco_data returns (train_captions, train_image_idxs,
    train_features, ...). Each iteration samples batch_size training captions with replacement;
    an epoch is num_train // batch_size iterations. The model trains on whatever device its
    parameters are on (move it there with model.to(device) first).
    """

    def __init__(self, model, data, idx_to_word, **kwargs):
        """Construct a new CaptioningSolverTransformer instance.

        Required arguments:
        - model: a CaptioningTransformer
        - data: a dictionary of training and validation data from load_coco_data
        - idx_to_word: the vocabulary, a list mapping indices to words. Accepted for the classic
          signature (notebooks pass idx_to_word=...) and unused.

        Optional arguments:
        - learning_rate: learning rate of the Adam optimizer (default 1e-3)
        - batch_size: size of minibatches used to compute loss and gradient during training
        - num_epochs: the number of epochs to run for during training (may be fractional)
        - print_every: training losses will be printed every print_every iterations
        - verbose: if set to False then no output will be printed during training
        """
        self.model = model
        self.data = data
        self._null = data["word_to_idx"]["<NULL>"]  # padding: positions holding it carry no loss

        self.learning_rate = kwargs.pop("learning_rate", 0.001)
        self.batch_size, self.num_epochs, self.print_every, self.verbose = loop_options(kwargs)

        self.optim = torch.optim.Adam(self.model.parameters(), self.learning_rate)
        self._reset()

    def _reset(self):
        """Set up some book-keeping variables for optimization. Don't call this manually."""
        self.epoch = 0
        self.loss_history = []

    def _step(self):
        """Make a single gradient update. This is called by train() and should not be called manually."""
        captions, features, _ = sample_coco_minibatch(self.data, batch_size=self.batch_size, split="train")
        weight = next(self.model.parameters())  # where the model lives, and in which dtype

        # The model reads <START> w1 ... and predicts w1 ... <END>: the same caption shifted by one.
        captions_in = torch.as_tensor(captions[:, :-1], dtype=torch.long, device=weight.device)  # (N, T)
        captions_out = torch.as_tensor(captions[:, 1:], dtype=torch.long, device=weight.device)  # (N, T)
        mask = captions_out != self._null
        t_features = torch.as_tensor(np.asarray(features), dtype=weight.dtype, device=weight.device)

        logits = self.model(t_features, captions_in)
        loss = self.transformer_temporal_softmax_loss(logits, captions_out, mask)
        self.loss_history.append(loss.item())

        self.optim.zero_grad()
        loss.backward()
        self.optim.step()

    def train(self):
        """Run optimization to train the model."""
        self.model.train()
        iterations_per_epoch, num_iterations = iteration_counts(
            self.data["train_captions"].shape[0], self.batch_size, self.num_epochs)

        for t in range(num_iterations):
            self._step()
            if self.verbose and t % self.print_every == 0:
                print(f"(Iteration {t + 1} / {num_iterations}) loss: {self.loss_history[-1]:f}")
            if (t + 1) % iterations_per_epoch == 0:
                self.epoch += 1
        self.model.eval()

    def evaluate_loss(self, split="train", batch_size=500):
        """The loss over every caption of a split, in eval mode (no dropout, no minibatch sampling).

        Unlike the last entry of loss_history, which is one random minibatch seen with dropout,
        this is a deterministic function of the weights: the number to compare against a target.
        Returns a float: the mean over the split's captions of the per-caption loss of _step.
        """
        captions_all = self.data[f"{split}_captions"]
        image_idxs = self.data[f"{split}_image_idxs"]
        features_all = self.data[f"{split}_features"]
        weight = next(self.model.parameters())  # where the model lives, and in which dtype
        was_training = self.model.training
        self.model.eval()
        total = 0.0
        with torch.no_grad():
            for start in range(0, captions_all.shape[0], batch_size):
                captions = torch.as_tensor(captions_all[start:start + batch_size], dtype=torch.long,
                                           device=weight.device)
                features = torch.as_tensor(np.asarray(features_all[image_idxs[start:start + batch_size]]),
                                           dtype=weight.dtype, device=weight.device)
                logits = self.model(features, captions[:, :-1])
                loss = self.transformer_temporal_softmax_loss(logits, captions[:, 1:],
                                                              captions[:, 1:] != self._null)
                total += loss.item() * captions.shape[0]
        self.model.train(was_training)
        return total / captions_all.shape[0]

    def transformer_temporal_softmax_loss(self, x, y, mask):
        """Cross-entropy of the scores x against the next words y, ignoring <NULL> positions.

        As in the classic assignment, the masked per-word losses are averaged over all N * T
        positions (padding included), so the loss is smaller than a per-caption sum by about T.

        Inputs:
        - x: scores, of shape (N, T, V)
        - y: ground-truth indices, of shape (N, T), each in [0, V)
        - mask: boolean (or 0/1) tensor of shape (N, T) telling whether a position counts

        Returns:
        - loss: a scalar tensor
        """
        N, T, V = x.shape
        loss = F.cross_entropy(x.reshape(N * T, V), y.reshape(N * T), reduction="none")
        return torch.mean(loss * mask.reshape(N * T).to(loss.dtype))
