"""The torch training loop for VisionTransformer (the classification counterpart of
captioning_solver_transformer.py): Adam on minibatches of a dataset, one test pass per epoch."""

import torch
import torch.nn.functional as F


def train_val(model, data_loader, train_optimizer, epoch, epochs, device="cpu"):
    """One pass over data_loader: a training epoch when train_optimizer is given, else an evaluation.

    Inputs:
    - model: the classifier; it is put in training mode for a training pass, evaluation mode otherwise
    - data_loader: yields (images, labels) minibatches
    - train_optimizer: the optimizer that takes a step after each minibatch, or None to evaluate
    - epoch, epochs: the epoch's number and the total, for the printed line
    - device: where the minibatches go (the model must be there already)

    Returns (mean loss, top-1 accuracy, top-5 accuracy) over the pass; top-5 counts a hit when the
    label is among the five highest scores (all scores when there are fewer than five classes).
    """
    is_train = train_optimizer is not None
    model.train(is_train)
    total_loss, correct_1, correct_5, total = 0.0, 0, 0, 0
    with torch.set_grad_enabled(is_train):
        for images, labels in data_loader:
            images, labels = images.to(device), labels.to(device)
            scores = model(images)
            loss = F.cross_entropy(scores, labels)
            if is_train:
                train_optimizer.zero_grad()
                loss.backward()
                train_optimizer.step()
            n = labels.shape[0]
            total += n
            total_loss += loss.item() * n
            top = scores.topk(min(5, scores.shape[1]), dim=1).indices  # (n, k), best first
            correct_1 += (top[:, 0] == labels).sum().item()
            correct_5 += (top == labels[:, None]).any(dim=1).sum().item()
    return total_loss / total, correct_1 / total, correct_5 / total


class ClassificationSolverViT:
    """Trains a classifier (the VisionTransformer) with Adam and keeps its best test accuracy.

    Example usage:

        model = VisionTransformer()
        solver = ClassificationSolverViT(train_data, test_data, model, num_epochs=2)
        solver.train(device="cuda")
        print(solver.results["best_test_acc"])

    train_data and test_data are datasets of (image (C, H, W), label) pairs, e.g. torchvision's
    CIFAR10 with ToTensor, or a TensorDataset. After train(), self.results holds per epoch
    'train_loss', 'train_acc@1', 'test_loss', 'test_acc@1', and 'best_test_acc', the best test
    accuracy of any epoch.
    """

    def __init__(self, train_data, test_data, model, **kwargs):
        """
        Required arguments:
        - train_data, test_data: datasets of (image, label) pairs
        - model: the classifier to train

        Optional arguments:
        - learning_rate: learning rate of the Adam optimizer (default 1e-4)
        - weight_decay: Adam's weight decay (default 0)
        - batch_size: minibatch size (default 64)
        - num_epochs: number of passes over train_data (default 2)
        - verbose: print one line per epoch (default True)
        """
        self.model = model
        self.train_data = train_data
        self.test_data = test_data

        self.learning_rate = kwargs.pop("learning_rate", 1.0e-4)
        self.weight_decay = kwargs.pop("weight_decay", 0.0)
        self.batch_size = kwargs.pop("batch_size", 64)
        self.num_epochs = kwargs.pop("num_epochs", 2)
        self.verbose = kwargs.pop("verbose", True)
        if kwargs:
            raise ValueError(f"ClassificationSolverViT: unknown arguments {sorted(kwargs)}; it takes "
                             "learning_rate, weight_decay, batch_size, num_epochs and verbose")

        self.optimizer = torch.optim.Adam(self.model.parameters(), self.learning_rate,
                                          weight_decay=self.weight_decay)
        self._reset()

    def _reset(self):
        """Book-keeping for a new run. Don't call this manually."""
        self.epoch = 0
        self.results = {"train_loss": [], "train_acc@1": [], "test_loss": [], "test_acc@1": [],
                        "best_test_acc": 0.0}

    def train(self, device="cpu"):
        """Train for num_epochs epochs on `device`, testing after each; fills self.results."""
        train_loader = torch.utils.data.DataLoader(self.train_data, batch_size=self.batch_size, shuffle=True)
        test_loader = torch.utils.data.DataLoader(self.test_data, batch_size=self.batch_size, shuffle=False)
        self.model.to(device)
        for epoch in range(self.num_epochs):
            self.epoch = epoch + 1
            loss, acc, _ = train_val(self.model, train_loader, self.optimizer, epoch, self.num_epochs, device)
            self.results["train_loss"].append(loss)
            self.results["train_acc@1"].append(acc)
            test_loss, test_acc, _ = train_val(self.model, test_loader, None, epoch, self.num_epochs, device)
            self.results["test_loss"].append(test_loss)
            self.results["test_acc@1"].append(test_acc)
            self.results["best_test_acc"] = max(self.results["best_test_acc"], test_acc)
            if self.verbose:
                print(f"epoch {self.epoch}/{self.num_epochs}: train loss {loss:.4f}, train accuracy {acc:.3f}, "
                      f"test loss {test_loss:.4f}, test accuracy {test_acc:.3f}")
        return self.results
