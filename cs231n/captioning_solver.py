"""CaptioningSolver: the training loop for the numpy captioning models."""

import time

from cs231n import optim
from cs231n.coco_utils import sample_coco_minibatch


def iteration_counts(num_train, batch_size, num_epochs):
    """(iterations per epoch, total iterations) for num_epochs passes over num_train captions.

    An epoch is num_train // batch_size minibatches (at least one); a fractional num_epochs runs that
    fraction of an epoch's iterations (at least one in all). Both captioning solvers count this way.
    """
    iterations_per_epoch = max(num_train // batch_size, 1)
    return iterations_per_epoch, max(int(round(num_epochs * iterations_per_epoch)), 1)


def loop_options(kwargs):
    """Pop the options both captioning solvers take from kwargs, after their own ones.

    Returns (batch_size, num_epochs, print_every, verbose), with the defaults 100, 10, 10, True.
    Raises ValueError naming every argument left in kwargs (a typo, an option neither solver has).
    """
    options = (kwargs.pop("batch_size", 100), kwargs.pop("num_epochs", 10), kwargs.pop("print_every", 10),
               kwargs.pop("verbose", True))
    if kwargs:
        extra = ", ".join(f'"{k}"' for k in kwargs)
        raise ValueError(f"Unrecognized arguments {extra}")
    return options


class CaptioningSolver:
    """A CaptioningSolver encapsulates all the logic necessary for training image captioning
    models. It performs stochastic gradient descent using the update rules in optim.py.

    The solver accepts both training and validation data, and it records the loss at every
    iteration (loss_history).

    To train a model, construct a CaptioningSolver instance, passing the model, dataset, and
    various options (learning rate, batch size, etc) to the constructor, then call train().

    Example usage might look something like this:

        data = load_coco_data()
        model = MyAwesomeModel(hidden_dim=100)
        solver = CaptioningSolver(model, data,
                        update_rule='sgd',
                        optim_config={
                          'learning_rate': 1e-3,
                        },
                        lr_decay=0.95,
                        num_epochs=10, batch_size=100,
                        print_every=100)
        solver.train()

    A CaptioningSolver works on a model object that must conform to the following API:

    - model.params must be a dictionary mapping string parameter names to numpy arrays
      containing parameter values.

    - model.loss(features, captions) must be a function that computes training-time loss and
      gradients, with the following inputs and outputs:

      Inputs:
      - features: Array giving a minibatch of features for images, of shape (N, D)
      - captions: Array of captions for those images, of shape (N, T) where each element is in
        the range [0, V).

      Returns:
      - loss: Scalar giving the loss
      - grads: Dictionary with the same keys as self.params mapping parameter names to
        gradients of the loss with respect to those parameters.
    """

    def __init__(self, model, data, **kwargs):
        """Construct a new CaptioningSolver instance.

        Required arguments:
        - model: A model object conforming to the API described above
        - data: A dictionary of training and validation data from load_coco_data

        Optional arguments:
        - update_rule: A string giving the name of an update rule in optim.py.
          Default is 'sgd'.
        - optim_config: A dictionary containing hyperparameters that will be passed to the
          chosen update rule. Each update rule requires different hyperparameters (see
          optim.py) but all update rules require a 'learning_rate' parameter so that should
          always be present.
        - lr_decay: A scalar for learning rate decay; after each epoch the learning rate is
          multiplied by this value.
        - batch_size: Size of minibatches used to compute loss and gradient during training.
        - num_epochs: The number of epochs to run for during training; a fraction (0.5) runs
          that fraction of an epoch's iterations.
        - print_every: Integer; training losses will be printed every print_every iterations.
        - verbose: Boolean; if set to false then no output will be printed during training.
        """
        self.model = model
        self.data = data

        # Unpack keyword arguments
        self.update_rule = kwargs.pop("update_rule", "sgd")
        self.optim_config = kwargs.pop("optim_config", {})
        self.lr_decay = kwargs.pop("lr_decay", 1.0)
        # The rest, and an error for any extra keyword argument
        self.batch_size, self.num_epochs, self.print_every, self.verbose = loop_options(kwargs)

        # Make sure the update rule exists, then replace the string name with the actual function
        if not callable(getattr(optim, self.update_rule, None)):
            raise ValueError(f'Invalid update_rule "{self.update_rule}": use "sgd", "sgd_momentum", '
                             f'"rmsprop" or "adam"')
        self.update_rule = getattr(optim, self.update_rule)

        self._reset()

    def _reset(self):
        """Set up some book-keeping variables for optimization. Don't call this manually."""
        self.epoch = 0
        self.loss_history = []

        # Make a deep copy of the optim_config for each parameter
        self.optim_configs = {p: dict(self.optim_config) for p in self.model.params}

    def _step(self):
        """Make a single gradient update. This is called by train() and should not be called
        manually.
        """
        # Make a minibatch of training data
        captions, features, urls = sample_coco_minibatch(
            self.data, batch_size=self.batch_size, split="train"
        )

        # Compute loss and gradient
        loss, grads = self.model.loss(features, captions)
        self.loss_history.append(float(loss))

        # Perform a parameter update
        for p, w in self.model.params.items():
            next_w, next_config = self.update_rule(w, grads[p], self.optim_configs[p])
            self.model.params[p] = next_w
            self.optim_configs[p] = next_config

    def train(self):
        """Run optimization to train the model."""
        iterations_per_epoch, num_iterations = iteration_counts(
            self.data["train_captions"].shape[0], self.batch_size, self.num_epochs)
        start = time.perf_counter()

        for t in range(num_iterations):
            self._step()

            # Maybe print training loss
            if self.verbose and (t % self.print_every == 0 or t == num_iterations - 1):
                print(
                    f"(Iteration {t + 1} / {num_iterations}) loss: {self.loss_history[-1]:f}"
                    f"  [epoch {self.epoch}, {time.perf_counter() - start:.0f} s]"
                )

            # At the end of every epoch, increment the epoch counter and decay the learning rate.
            epoch_end = (t + 1) % iterations_per_epoch == 0
            if epoch_end:
                self.epoch += 1
                for k in self.optim_configs:
                    self.optim_configs[k]["learning_rate"] *= self.lr_decay
