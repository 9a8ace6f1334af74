"""Training SimCLR and measuring its representation: one contrastive epoch (you write its loss), the
linear probe's epoch, the kNN monitor, and the helpers behind the notebook's pictures.

Every function puts its batches on the model's device, whatever `device` says: the classic
signatures default to 'cuda' (and the official notebook passes device='cuda' in one call), which
must not break a run on a machine without a GPU.
"""

import torch
import torch.nn.functional as F
from torch.utils.data import DataLoader
from tqdm.auto import tqdm

from cs231n.simclr.contrastive_loss import simclr_loss_vectorized
from cs231n.simclr.model import Classifier

__all__ = ["SCHEDULES", "train", "train_val", "test", "linear_probe", "extract_features", "nearest_neighbours", "pca_2d",
           "model_device"]

# The notebook's schedules. "cpu" fits the CI budget (about 40 CPU-seconds of pretraining on one
# thread); a GPU runs the longer one by itself. Both use the small encoder (arch="small").
SCHEDULES = {
    "cpu": dict(arch="small", n_train=1500, n_test=1000, label_fraction=0.1, epochs=10, batch_size=128, lr=3e-3,
                temperature=0.2, probe_epochs=30, probe_batch_size=50, probe_lr=1e-2),
    "cuda": dict(arch="small", n_train=10000, n_test=2000, label_fraction=0.1, epochs=60, batch_size=256, lr=3e-3,
                 temperature=0.2, probe_epochs=60, probe_batch_size=100, probe_lr=1e-2),
}


def model_device(model):
    """The device of the model's parameters."""
    return next(model.parameters()).device


def train(model, data_loader, train_optimizer, epoch, epochs, batch_size=32, temperature=0.5, device='cuda',
          verbose=True):
    """Trains the model defined in ./model.py with one epoch.

    Inputs:
    - model: Model class object as defined in ./model.py.
    - data_loader: torch.utils.data.DataLoader object; loads in training data. You can assume the loaded
      data has been augmented: each batch is (x_i, x_j, target), two views of the same images.
    - train_optimizer: torch.optim.Optimizer object; applies an optimizer to training.
    - epoch: integer; current epoch number.
    - epochs: integer; total number of epochs.
    - batch_size: Number of training samples per batch (kept for the classic signature; the average
      weights each batch by its real size).
    - temperature: float; temperature (tau) parameter used in simclr_loss_vectorized.
    - device: the device name to define torch tensors (the model's device is used).
    - verbose: show a progress bar.

    Returns:
    - The average loss.
    """
    device = model_device(model)
    model.train()
    total_loss, total_num = 0.0, 0
    train_bar = tqdm(data_loader, disable=not verbose)
    for data_pair in train_bar:
        x_i, x_j, target = data_pair
        x_i, x_j = x_i.to(device), x_j.to(device)

        out_left, out_right, loss = None, None, None
        # TODO: Take a look at the model.py file to understand the model's input and output.
        # Run x_i and x_j through the model to get out_left, out_right (the projection head's z).
        # Then compute the loss using simclr_loss_vectorized.
        # *****START OF YOUR CODE (DO NOT DELETE/MODIFY THIS LINE)*****
        _, out_left = model(x_i)
        _, out_right = model(x_j)
        loss = simclr_loss_vectorized(out_left, out_right, temperature, device)
        # *****END OF YOUR CODE (DO NOT DELETE/MODIFY THIS LINE)*****

        train_optimizer.zero_grad()
        loss.backward()
        train_optimizer.step()

        total_num += x_i.size(0)
        total_loss += loss.item() * x_i.size(0)
        train_bar.set_description('Train Epoch: [{}/{}] Loss: {:.4f}'.format(epoch, epochs, total_loss / total_num))

    return total_loss / total_num


def train_val(model, data_loader, train_optimizer, epoch, epochs, device='cuda', verbose=True):
    """One epoch of the linear probe: trains when train_optimizer is given, else evaluates.

    Returns (mean cross-entropy loss, top-1 accuracy in %, top-5 accuracy in %). Batches are (x, label).
    """
    device = model_device(model)
    is_train = train_optimizer is not None
    model.train() if is_train else model.eval()
    loss_criterion = torch.nn.CrossEntropyLoss()

    total_loss, total_correct_1, total_correct_5, total_num = 0.0, 0.0, 0.0, 0
    data_bar = tqdm(data_loader, disable=not verbose)
    with (torch.enable_grad() if is_train else torch.no_grad()):
        for data, target in data_bar:
            data, target = data.to(device), target.to(device)
            out = model(data)
            loss = loss_criterion(out, target)

            if is_train:
                train_optimizer.zero_grad()
                loss.backward()
                train_optimizer.step()

            total_num += data.size(0)
            total_loss += loss.item() * data.size(0)
            prediction = torch.argsort(out, dim=-1, descending=True)
            total_correct_1 += (prediction[:, 0:1] == target.unsqueeze(dim=-1)).any(dim=-1).float().sum().item()
            total_correct_5 += (prediction[:, 0:5] == target.unsqueeze(dim=-1)).any(dim=-1).float().sum().item()

            data_bar.set_description('{} Epoch: [{}/{}] Loss: {:.4f} ACC@1: {:.2f}% ACC@5: {:.2f}%'.format(
                'Train' if is_train else 'Test', epoch, epochs, total_loss / total_num,
                total_correct_1 / total_num * 100, total_correct_5 / total_num * 100))

    return total_loss / total_num, total_correct_1 / total_num * 100, total_correct_5 / total_num * 100


def extract_features(model, data_loader, device='cuda'):
    """The encoder's normalised features h of every image a loader gives, and their labels.

    Batches may be (x, label) or pairs (x_i, x_j, label) (then x_i is used). Returns (features (M, D)
    on the model's device, labels (M,) int64 on the same device).
    """
    device = model_device(model)
    model.eval()
    features, labels = [], []
    with torch.no_grad():
        for batch in data_loader:
            feature, _ = model(batch[0].to(device))
            features.append(feature)
            labels.append(torch.as_tensor(batch[-1], device=device))
    return torch.cat(features), torch.cat(labels)


def test(model, memory_data_loader, test_data_loader, epoch, epochs, c, temperature=0.5, k=200, device='cuda',
         verbose=True):
    """The weighted kNN monitor: each test image votes with its k most similar training images (cosine
    similarity of the encoder's features, weights exp(sim / temperature)) over c classes.

    Both loaders give pairs (x_i, x_j, label) with the test transform. Returns (top-1 %, top-5 %).
    """
    feature_bank, feature_labels = extract_features(model, memory_data_loader)
    feature_bank = feature_bank.t().contiguous()  # (D, M)
    k = min(k, feature_bank.shape[1])
    device = feature_bank.device
    total_top1, total_top5, total_num = 0.0, 0.0, 0
    test_bar = tqdm(test_data_loader, disable=not verbose)
    with torch.no_grad():
        for data, _, target in test_bar:
            data, target = data.to(device), target.to(device)
            feature, out = model(data)
            total_num += data.size(0)
            sim_matrix = torch.mm(feature, feature_bank)                      # (B, M)
            sim_weight, sim_indices = sim_matrix.topk(k=k, dim=-1)            # (B, k)
            sim_labels = torch.gather(feature_labels.expand(data.size(0), -1), dim=-1, index=sim_indices)
            sim_weight = (sim_weight / temperature).exp()
            one_hot_label = F.one_hot(sim_labels, c).float()                  # (B, k, c)
            pred_scores = (one_hot_label * sim_weight.unsqueeze(dim=-1)).sum(dim=1)  # (B, c)
            pred_labels = pred_scores.argsort(dim=-1, descending=True)
            total_top1 += (pred_labels[:, :1] == target.unsqueeze(dim=-1)).any(dim=-1).float().sum().item()
            total_top5 += (pred_labels[:, :5] == target.unsqueeze(dim=-1)).any(dim=-1).float().sum().item()
            test_bar.set_description('Test Epoch: [{}/{}] Acc@1:{:.2f}% Acc@5:{:.2f}%'.format(
                epoch, epochs, total_top1 / total_num * 100, total_top5 / total_num * 100))

    return total_top1 / total_num * 100, total_top5 / total_num * 100


def nearest_neighbours(bank, queries, k=5):
    """Indices (Q, k) of the k rows of bank (M, D) most cosine-similar to each row of queries (Q, D)."""
    sims = F.normalize(queries, dim=1) @ F.normalize(bank, dim=1).T  # (Q, M)
    return sims.topk(k, dim=1).indices


def pca_2d(features):
    """Project features (M, D) on their two principal directions: (M, 2), centred."""
    x = features - features.mean(dim=0, keepdim=True)
    _, _, v = torch.linalg.svd(x, full_matrices=False)
    return x @ v[:2].T


def linear_probe(train_data, test_data, num_class, state_dict=None, arch="resnet50", epochs=10, batch_size=128,
                 lr=1e-3, eval_every=1, seed=0, device="cpu"):
    """The classic linear-probe experiment: a Classifier whose encoder is frozen (random, or loaded from
    a Model's state_dict with strict=False), its linear layer trained with Adam by train_val.

    Returns the results dict of the classic notebook: lists 'train_loss', 'train_acc@1', 'test_acc@1'
    ('test_acc@1' measured every eval_every epochs and after the last; 'test_epoch' says when).
    """
    torch.manual_seed(seed)
    model = Classifier(num_class=num_class, arch=arch)
    if state_dict is not None:
        model.load_state_dict(state_dict, strict=False)
    model = model.to(device)
    for param in model.f.parameters():
        param.requires_grad = False
    model.f.eval()  # frozen means frozen: BatchNorm keeps the encoder's running statistics too
    optimizer = torch.optim.Adam(model.fc.parameters(), lr=lr, weight_decay=1e-6)
    generator = torch.Generator().manual_seed(seed)
    train_loader = DataLoader(train_data, batch_size=batch_size, shuffle=True, generator=generator)
    test_loader = DataLoader(test_data, batch_size=256, shuffle=False)
    results = {"train_loss": [], "train_acc@1": [], "test_acc@1": [], "test_epoch": []}
    for epoch in range(1, epochs + 1):
        model.fc.train()
        loss, acc1, _ = train_val(_FrozenEncoder(model), train_loader, optimizer, epoch, epochs, verbose=False)
        results["train_loss"].append(loss)
        results["train_acc@1"].append(acc1)
        if epoch % eval_every == 0 or epoch == epochs:
            results["test_acc@1"].append(train_val(model, test_loader, None, epoch, epochs, verbose=False)[1])
            results["test_epoch"].append(epoch)
    return results


class _FrozenEncoder(torch.nn.Module):
    """A Classifier whose train() leaves the frozen encoder in eval mode (train_val calls model.train())."""

    def __init__(self, classifier):
        super().__init__()
        self.classifier = classifier

    def train(self, mode=True):
        self.classifier.fc.train(mode)
        return self

    def forward(self, x):
        return self.classifier(x)
