"""The SimCLR contrastive loss (NT-Xent): a loop version, then a vectorised one.

For a batch of N images, each seen through two augmentations, the projection head gives 2N vectors
z_1 ... z_2N; z_k and z_{k+N} come from the same image (a positive pair). With sim the cosine
similarity and tau the temperature,

    l(i, j) = -log( exp(sim(z_i, z_j) / tau) / sum_{k != i} exp(sim(z_i, z_k) / tau) )

and the loss is the mean of l(k, k+N) and l(k+N, k) over the N pairs, that is their sum over 2N.
"""

import torch

from cs231n.checks import rel_error

__all__ = ["sim", "simclr_loss_naive", "sim_positive_pairs", "compute_sim_matrix", "simclr_loss_vectorized",
           "rel_error"]


def sim(z_i, z_j):
    """Normalized dot product between two vectors.

    Inputs:
    - z_i: 1xD tensor (or a D tensor).
    - z_j: 1xD tensor (or a D tensor).

    Returns:
    - A scalar value that is the normalized dot product between z_i and z_j:
      z_i . z_j / (||z_i|| ||z_j||), the cosine of the angle between them.
    """
    norm_dot_product = None
    # TODO: the dot product of the two vectors divided by the product of their norms.
    # HINT: torch.linalg.norm might be helpful.
    # *****START OF YOUR CODE (DO NOT DELETE/MODIFY THIS LINE)*****
    z_i, z_j = z_i.reshape(-1), z_j.reshape(-1)
    norm_dot_product = torch.dot(z_i, z_j) / (torch.linalg.norm(z_i) * torch.linalg.norm(z_j))
    # *****END OF YOUR CODE (DO NOT DELETE/MODIFY THIS LINE)*****
    return norm_dot_product


def simclr_loss_naive(out_left, out_right, tau):
    """Compute the contrastive loss L over a batch (naive loop version).

    Inputs:
    - out_left: NxD tensor; output of the projection head g(), left branch in SimCLR model.
    - out_right: NxD tensor; output of the projection head g(), right branch in SimCLR model.
      Each row is a z-vector for an augmented sample in the batch. The same row in out_left and
      out_right form a positive pair: (out_left[k], out_right[k]) for all k = 0 ... N-1.
    - tau: scalar value, temperature parameter that determines how fast the exponential increases.

    Returns:
    - A scalar tensor; the total loss over all positive pairs, sum over k of l(k, k+N) + l(k+N, k),
      divided by 2N (see the notebook for l).
    """
    N = out_left.shape[0]  # total number of training examples

    # Concatenate out_left and out_right into a 2*N x D tensor.
    out = torch.cat([out_left, out_right], dim=0)  # [2*N, D]

    total_loss = 0
    for k in range(N):  # loop through each positive pair (k, k+N)
        z_k, z_k_N = out[k], out[k + N]

        # TODO: add l(k, k+N) and l(k+N, k) to total_loss. Use sim(); the denominator of l(i, j)
        # sums exp(sim(z_i, z_m) / tau) over every m != i (the positive pair included).
        # *****START OF YOUR CODE (DO NOT DELETE/MODIFY THIS LINE)*****
        numerator = torch.exp(sim(z_k, z_k_N) / tau)  # sim is symmetric: the same for both directions
        denom_k = sum(torch.exp(sim(z_k, out[m]) / tau) for m in range(2 * N) if m != k)
        denom_k_N = sum(torch.exp(sim(z_k_N, out[m]) / tau) for m in range(2 * N) if m != k + N)
        total_loss += -torch.log(numerator / denom_k) - torch.log(numerator / denom_k_N)
        # *****END OF YOUR CODE (DO NOT DELETE/MODIFY THIS LINE)*****

    # In the end, we need to divide the total loss by 2N, the number of samples in the batch.
    total_loss = total_loss / (2 * N)
    return total_loss


def sim_positive_pairs(out_left, out_right):
    """Normalized dot product between positive pairs.

    Inputs:
    - out_left: NxD tensor; output of the projection head g(), left branch in SimCLR model.
    - out_right: NxD tensor; output of the projection head g(), right branch in SimCLR model.
      Each row is a z-vector for an augmented sample in the batch.
      The same row in out_left and out_right form a positive pair.

    Returns:
    - A Nx1 tensor; each row k is the normalized dot product between out_left[k] and out_right[k].
    """
    pos_pairs = None
    # TODO: no loops. HINT: torch.linalg.norm might be helpful.
    # *****START OF YOUR CODE (DO NOT DELETE/MODIFY THIS LINE)*****
    left = out_left / torch.linalg.norm(out_left, dim=1, keepdim=True)     # (N, D)
    right = out_right / torch.linalg.norm(out_right, dim=1, keepdim=True)  # (N, D)
    pos_pairs = (left * right).sum(dim=1, keepdim=True)                    # (N, 1)
    # *****END OF YOUR CODE (DO NOT DELETE/MODIFY THIS LINE)*****
    return pos_pairs


def compute_sim_matrix(out):
    """Compute a 2N x 2N matrix of normalized dot products between all pairs of augmented examples.

    Inputs:
    - out: 2N x D tensor; each row is the z-vector (output of projection head) of a single augmented
      example. There are a total of 2N augmented examples in the batch.

    Returns:
    - sim_matrix: 2N x 2N tensor; each element i, j in the matrix is the normalized dot product
      between out[i] and out[j].
    """
    sim_matrix = None
    # TODO: no loops.
    # *****START OF YOUR CODE (DO NOT DELETE/MODIFY THIS LINE)*****
    unit = out / torch.linalg.norm(out, dim=1, keepdim=True)  # (2N, D), rows of norm 1
    sim_matrix = unit @ unit.T                                 # (2N, 2N)
    # *****END OF YOUR CODE (DO NOT DELETE/MODIFY THIS LINE)*****
    return sim_matrix


def simclr_loss_vectorized(out_left, out_right, tau, device='cuda'):
    """Compute the contrastive loss L over a batch (vectorized version). No loops are allowed.

    Inputs and output are the same as in simclr_loss_naive.
    - device: kept for the classic signature; the tensors this function creates are put on the
      inputs' device whatever it says, so the default 'cuda' also works on a machine without a GPU.
    """
    device = out_left.device  # the classic default 'cuda' must not break a CPU run
    N = out_left.shape[0]

    # Concatenate out_left and out_right into a 2*N x D tensor.
    out = torch.cat([out_left, out_right], dim=0)  # [2*N, D]

    # Compute similarity matrix between all pairs of augmented examples in the batch.
    sim_matrix = compute_sim_matrix(out)  # [2*N, 2*N]

    # Step 1: Use sim_matrix to compute the denominator value for all augmented samples.
    # Hint: Compute e^{sim / tau} and store into exponential, which should have shape 2N x 2N.
    # Then remove the terms where k = i (a mask built with torch.eye helps) and sum each row:
    # denom should hold 2N values, one per augmented sample.
    exponential = None
    denom = None
    # *****START OF YOUR CODE (DO NOT DELETE/MODIFY THIS LINE)*****
    exponential = torch.exp(sim_matrix / tau)                                    # (2N, 2N)
    off_diagonal = ~torch.eye(2 * N, dtype=torch.bool, device=device)            # True where k != i
    denom = (exponential * off_diagonal).sum(dim=1, keepdim=True)                # (2N, 1)
    # *****END OF YOUR CODE (DO NOT DELETE/MODIFY THIS LINE)*****

    # Step 2: Compute similarity between positive pairs, one per augmented sample (2N of them:
    # row k pairs with k+N, row k+N with k). Either pick them out of sim_matrix or use
    # sim_positive_pairs().
    sim_pairs = None
    # *****START OF YOUR CODE (DO NOT DELETE/MODIFY THIS LINE)*****
    pairs = sim_positive_pairs(out_left, out_right)  # (N, 1)
    sim_pairs = torch.cat([pairs, pairs], dim=0)     # (2N, 1)
    # *****END OF YOUR CODE (DO NOT DELETE/MODIFY THIS LINE)*****

    # Step 3: Compute the numerator value for all augmented samples.
    numerator = None
    # *****START OF YOUR CODE (DO NOT DELETE/MODIFY THIS LINE)*****
    numerator = torch.exp(sim_pairs / tau)  # (2N, 1)
    # *****END OF YOUR CODE (DO NOT DELETE/MODIFY THIS LINE)*****

    # Step 4: Now that you have the numerator and denominator for all augmented samples, compute the
    # total loss: the mean over the 2N samples of -log(numerator / denominator), a scalar.
    loss = None
    # *****START OF YOUR CODE (DO NOT DELETE/MODIFY THIS LINE)*****
    loss = -torch.log(numerator / denom).mean()
    # *****END OF YOUR CODE (DO NOT DELETE/MODIFY THIS LINE)*****

    return loss

