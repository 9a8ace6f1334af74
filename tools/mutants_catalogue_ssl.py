"""Realistic mistakes in the SimCLR blanks (cs231n/simclr), for tools/mutants.py; merged into
tools/mutants_catalogue.py's CATALOGUE. Same form: (kind, old, new[, reason it is equivalent]).

Instructor-only: these are wrong solutions next to right ones.
"""

CL = "cs231n/simclr/contrastive_loss.py"
DU = "cs231n/simclr/data_utils.py"
UT = "cs231n/simclr/utils.py"

CATALOGUE = {
    (CL, "sim"): [
        ("missing normalisation", " / (torch.linalg.norm(z_i) * torch.linalg.norm(z_j))", ""),
        ("one norm twice", "torch.linalg.norm(z_i) * torch.linalg.norm(z_j)", "torch.linalg.norm(z_i) ** 2"),
        ("squared norm", "torch.linalg.norm(z_j))", "torch.linalg.norm(z_j) ** 2)"),
        ("sum of the norms", "torch.linalg.norm(z_i) * torch.linalg.norm(z_j)",
         "(torch.linalg.norm(z_i) + torch.linalg.norm(z_j))"),
        ("distance instead of angle", "torch.dot(z_i, z_j)", "-torch.linalg.norm(z_i - z_j)"),
        ("L1 norm", "torch.linalg.norm(z_i) *", "z_i.abs().sum() *"),
    ],
    (CL, "simclr_loss_naive"): [
        ("self-similarity kept in the denominator", "for m in range(2 * N) if m != k)", "for m in range(2 * N))"),
        ("positive left out of the denominator", "if m != k)", "if m not in (k, k + N))"),
        ("one direction only", "total_loss += -torch.log(numerator / denom_k) - torch.log(numerator / denom_k_N)",
         "total_loss += -2 * torch.log(numerator / denom_k)"),
        ("temperature multiplies", "numerator = torch.exp(sim(z_k, z_k_N) / tau)",
         "numerator = torch.exp(sim(z_k, z_k_N) * tau)"),
        ("no temperature in the numerator", "numerator = torch.exp(sim(z_k, z_k_N) / tau)",
         "numerator = torch.exp(sim(z_k, z_k_N))"),
        ("wrong anchor excluded in the second denominator", "if m != k + N)", "if m != k)"),
        ("wrong sign", "total_loss += -torch.log(numerator / denom_k)", "total_loss += torch.log(numerator / denom_k)"),
    ],
    (CL, "sim_positive_pairs"): [
        ("shape (N,) instead of (N, 1)", "pos_pairs = (left * right).sum(dim=1, keepdim=True)",
         "pos_pairs = (left * right).sum(dim=1)"),
        ("norm over the batch axis", "torch.linalg.norm(out_left, dim=1, keepdim=True)",
         "torch.linalg.norm(out_left, dim=0, keepdim=True)"),
        ("one side unnormalised", "right = out_right / torch.linalg.norm(out_right, dim=1, keepdim=True)",
         "right = out_right"),
        ("every pair summed", "pos_pairs = (left * right).sum(dim=1, keepdim=True)",
         "pos_pairs = (left @ right.T).sum(dim=1, keepdim=True)"),
        ("norm of the whole matrix", "torch.linalg.norm(out_right, dim=1, keepdim=True)", "torch.linalg.norm(out_right)"),
        ("mean instead of sum", "pos_pairs = (left * right).sum(dim=1, keepdim=True)",
         "pos_pairs = (left * right).mean(dim=1, keepdim=True)"),
    ],
    (CL, "compute_sim_matrix"): [
        ("unnormalised dot products", "sim_matrix = unit @ unit.T", "sim_matrix = out @ out.T"),
        ("normalised on one side only", "sim_matrix = unit @ unit.T", "sim_matrix = unit @ out.T"),
        ("columns normalised", "torch.linalg.norm(out, dim=1, keepdim=True)", "torch.linalg.norm(out, dim=0, keepdim=True)"),
        ("D x D Gram matrix", "sim_matrix = unit @ unit.T", "sim_matrix = unit.T @ unit"),
        ("diagonal zeroed", "sim_matrix = unit @ unit.T", "sim_matrix = unit @ unit.T - torch.eye(out.shape[0])"),
        ("squared norm", "torch.linalg.norm(out, dim=1, keepdim=True)", "torch.linalg.norm(out, dim=1, keepdim=True) ** 2"),
    ],
    (CL, "simclr_loss_vectorized"): [
        ("diagonal kept in the denominator", "denom = (exponential * off_diagonal).sum(dim=1, keepdim=True)",
         "denom = exponential.sum(dim=1, keepdim=True)"),
        ("denominator (2N,) broadcast against (2N, 1)", "denom = (exponential * off_diagonal).sum(dim=1, keepdim=True)",
         "denom = (exponential * off_diagonal).sum(dim=1)",
         "the (2N, 2N) matrix of log(numerator_i / denom_j) has the same mean, mean log n - mean log d: the same "
         "loss and gradients"),
        ("mask removes the positives, keeps self", "off_diagonal = ~torch.eye(2 * N, dtype=torch.bool, device=device)",
         "off_diagonal = ~torch.eye(2 * N, dtype=torch.bool, device=device).roll(N, dims=1)"),
        ("temperature multiplies", "exponential = torch.exp(sim_matrix / tau)", "exponential = torch.exp(sim_matrix * tau)"),
        ("no temperature in the numerator", "numerator = torch.exp(sim_pairs / tau)", "numerator = torch.exp(sim_pairs)"),
        ("positives for one half only", "sim_pairs = torch.cat([pairs, pairs], dim=0)", "sim_pairs = pairs.repeat(2, 1)[:N]"),
        ("sum instead of mean", "loss = -torch.log(numerator / denom).mean()", "loss = -torch.log(numerator / denom).sum()"),
        ("divided by N instead of 2N", "loss = -torch.log(numerator / denom).mean()",
         "loss = -torch.log(numerator / denom).sum() / N"),
        ("positive paired with itself", "pairs = sim_positive_pairs(out_left, out_right)",
         "pairs = sim_positive_pairs(out_left, out_left)"),
        ("per-pair loop through sim", "pairs = sim_positive_pairs(out_left, out_right)",
         "pairs = torch.stack([sim(out_left[k], out_right[k]) for k in range(N)])[:, None]"),
    ],
    (DU, "compute_train_transform"): [
        ("grayscale probability 0.1", "transforms.RandomGrayscale(0.2)", "transforms.RandomGrayscale(0.1)"),
        ("colour jitter always", "transforms.RandomApply([color_jitter], p=0.8),", "color_jitter,"),
        ("grayscale before jitter", "transforms.RandomApply([color_jitter], p=0.8),\n        transforms.RandomGrayscale(0.2),",
         "transforms.RandomGrayscale(0.2),\n        transforms.RandomApply([color_jitter], p=0.8),"),
        ("vertical flip", "transforms.RandomHorizontalFlip(0.5)", "transforms.RandomVerticalFlip(0.5)"),
        ("jitter probability 0.2", "p=0.8", "p=0.2"),
        ("flip left out", "transforms.RandomHorizontalFlip(0.5),\n", ""),
        ("jitter without hue", "[color_jitter]", "[transforms.ColorJitter(0.4, 0.4, 0.4)]"),
    ],
    (DU, "CIFAR10Pair.__getitem__"): [
        ("the same view twice", "x_j = self.transform(img)", "x_j = x_i"),
        ("a copy of the first view", "x_j = self.transform(img)", "x_j = x_i.clone()"),
        ("first view not augmented", "x_i = self.transform(img)", "x_i = transforms.ToTensor()(img)"),
        ("second view of another image", "x_j = self.transform(img)",
         "x_j = self.transform(Image.fromarray(self.data[index - 1]))"),
        ("transform of the raw array", "x_i = self.transform(img)", "x_i = self.transform(self.data[index])"),
    ],
    (UT, "train"): [
        ("encoder features instead of projections", "_, out_left = model(x_i)\n        _, out_right = model(x_j)",
         "out_left, _ = model(x_i)\n        out_right, _ = model(x_j)"),
        ("one view twice", "_, out_right = model(x_j)", "_, out_right = model(x_i)"),
        ("temperature ignored", "out_right, temperature, device)", "out_right, 0.5, device)"),
        ("inverse temperature", "temperature, device)", "1 / temperature, device)"),
        ("one branch detached", "_, out_right = model(x_j)", "_, out_right = model(x_j)\n        out_right = out_right.detach()"),
        ("positives misaligned", "loss = simclr_loss_vectorized(out_left, out_right,",
         "loss = simclr_loss_vectorized(out_left, out_right.flip(0),"),
    ],
}
