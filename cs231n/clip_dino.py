"""CLIP and DINO: visual representations learned from images and text, and from images alone.

You implement the functions and methods with START/END markers: CLIP's symmetric contrastive loss,
cosine similarities, zero-shot classification and text-to-image retrieval with a CLIP model, DINO's
self-distillation loss with its centre and its teacher's moving average, and a linear segmentation
head on DINO patch features. `compute_iou` is given.

`clip` below is OpenAI's package (`pip install git+https://github.com/openai/CLIP.git`) when it is
installed, otherwise the tokenizer of the offline stand-in (cs231n/models/tiny_clip.py), which follows
the same conventions; call `clip.tokenize(texts)` in either case.
"""

import torch
import torch.nn as nn
import torch.nn.functional as F
from PIL import Image

try:
    import clip  # OpenAI CLIP
except ImportError:  # offline: the stand-in's tokenizer has the same signature and token conventions
    from cs231n.models import tiny_clip as clip

__all__ = ["clip", "get_similarity_no_loop", "clip_zero_shot_classifier", "CLIPImageRetriever",
           "clip_contrastive_loss", "dino_loss", "update_center", "update_teacher", "DINOSegmentation",
           "compute_iou"]


# ------------------------------------------------------------------------------------------------
# CLIP


def clip_contrastive_loss(image_features, text_features, logit_scale):
    """The symmetric contrastive (InfoNCE) loss that trains CLIP.

    Row i of image_features and row i of text_features come from the same (image, caption) pair; every
    other row of the batch is a negative. Normalise both to unit length, take the logits
    logit_scale * image @ text.T (N, N), and average two cross-entropies whose targets are the
    diagonal: each image must pick its caption among the N captions (rows), and each caption its
    image among the N images (columns).

    Inputs:
    - image_features: Tensor of shape (N, D), image embeddings (any length).
    - text_features: Tensor of shape (N, D), text embeddings (any length), paired row by row.
    - logit_scale: scalar Tensor, the multiplier of the cosine similarities (1 / temperature,
      already exponentiated). Gradients must flow to it.

    Returns:
    - loss: scalar Tensor, (CE over rows + CE over columns) / 2, each averaged over the batch.
    """
    loss = None
    # TODO: Normalise, compute the (N, N) logits, and average the two cross-entropies.
    # *****START OF YOUR CODE (DO NOT DELETE/MODIFY THIS LINE)*****
    image_features = F.normalize(image_features, dim=-1)
    text_features = F.normalize(text_features, dim=-1)
    logits = logit_scale * image_features @ text_features.T  # (N, N): image i against caption j
    targets = torch.arange(logits.shape[0], device=logits.device)
    loss = (F.cross_entropy(logits, targets) + F.cross_entropy(logits.T, targets)) / 2
    # *****END OF YOUR CODE (DO NOT DELETE/MODIFY THIS LINE)*****
    return loss


def get_similarity_no_loop(text_features, image_features):
    """Computes the pairwise cosine similarity between text and image feature vectors.

    Inputs:
    - text_features: Tensor of shape (N, D).
    - image_features: Tensor of shape (M, D).

    Returns:
    - similarity: Tensor of shape (N, M), where entry (i, j) is the cosine similarity between
      text_features[i] and image_features[j].
    """
    similarity = None
    # TODO: Compute the cosine similarity. Do NOT use for loops.
    # *****START OF YOUR CODE (DO NOT DELETE/MODIFY THIS LINE)*****
    text_features = text_features / text_features.norm(dim=-1, keepdim=True)
    image_features = image_features / image_features.norm(dim=-1, keepdim=True)
    similarity = text_features @ image_features.T  # (N, M)
    # *****END OF YOUR CODE (DO NOT DELETE/MODIFY THIS LINE)*****
    return similarity


@torch.no_grad()
def clip_zero_shot_classifier(clip_model, clip_preprocess, images, class_texts, device):
    """Performs zero-shot image classification using a CLIP model.

    Encode every image (clip_preprocess turns a PIL image into a (3, H, W) tensor) and every class
    text (clip.tokenize, then clip_model.encode_text), and give each image the class whose text is
    most similar to it (cosine similarity).

    Inputs:
    - clip_model: the CLIP model, with encode_image(images (B, 3, H, W)) -> (B, D) and
      encode_text(tokens (C, L)) -> (C, D).
    - clip_preprocess: Callable mapping a PIL image to its (3, H, W) input tensor.
    - images: list of input images, numpy arrays (H, W, C) of dtype uint8.
    - class_texts: list of class label strings, used as given (no prompt added).
    - device: torch.device where computation happens; move the text tokens and the images there
      before passing them to clip_model.

    Returns:
    - pred_classes: list of strings, the predicted class of each image, taken from class_texts.
    """
    pred_classes = []
    # TODO: Implement the zero-shot classification logic.
    # *****START OF YOUR CODE (DO NOT DELETE/MODIFY THIS LINE)*****
    pixels = torch.stack([clip_preprocess(Image.fromarray(img)) for img in images]).to(device)
    image_features = clip_model.encode_image(pixels)  # (B, D)
    text_features = clip_model.encode_text(clip.tokenize(class_texts).to(device))  # (C, D)
    similarity = get_similarity_no_loop(text_features.float(), image_features.float())  # (C, B)
    pred_classes = [class_texts[i] for i in similarity.argmax(dim=0).tolist()]
    # *****END OF YOUR CODE (DO NOT DELETE/MODIFY THIS LINE)*****
    return pred_classes


class CLIPImageRetriever:
    """A simple image retrieval system using CLIP: text query in, indices of the best images out."""

    @torch.no_grad()
    def __init__(self, clip_model, clip_preprocess, images, device):
        """Encode all images once, so that each query costs one text encoding.

        Inputs:
        - clip_model: the CLIP model (see clip_zero_shot_classifier).
        - clip_preprocess: Callable mapping a PIL image to its (3, H, W) input tensor.
        - images: list of images, numpy arrays (H, W, C) of dtype uint8.
        - device: torch.device for the model's computation.
        """
        # TODO: Store what retrieve needs as attributes. Process all images here, at once, and avoid
        # repeating that computation for each text query.
        # *****START OF YOUR CODE (DO NOT DELETE/MODIFY THIS LINE)*****
        self.clip_model = clip_model
        self.device = device
        pixels = torch.stack([clip_preprocess(Image.fromarray(img)) for img in images]).to(device)
        image_features = clip_model.encode_image(pixels).float()  # (M, D)
        self.image_features = image_features / image_features.norm(dim=-1, keepdim=True)
        # *****END OF YOUR CODE (DO NOT DELETE/MODIFY THIS LINE)*****

    @torch.no_grad()
    def retrieve(self, query: str, k: int = 2):
        """Retrieves the indices of the top-k images most similar to the input text.

        You may find the torch.Tensor.topk method useful.

        Inputs:
        - query: the text query.
        - k: how many images to return.

        Returns:
        - top_indices: list of k ints, indices into the images given to __init__, most similar first.
        """
        top_indices = []
        # TODO: Retrieve the indices of the top-k images.
        # *****START OF YOUR CODE (DO NOT DELETE/MODIFY THIS LINE)*****
        text_features = self.clip_model.encode_text(clip.tokenize([query]).to(self.device)).float()  # (1, D)
        text_features = text_features / text_features.norm(dim=-1, keepdim=True)
        similarity = (text_features @ self.image_features.T)[0]  # (M,)
        top_indices = similarity.topk(k).indices.tolist()
        # *****END OF YOUR CODE (DO NOT DELETE/MODIFY THIS LINE)*****
        return top_indices


# ------------------------------------------------------------------------------------------------
# DINO


def dino_loss(student_output, teacher_output, center, ncrops, student_temp=0.1, teacher_temp=0.04):
    """DINO's self-distillation loss: the student's distribution must match the teacher's on other views.

    The batch holds N images; the student saw `ncrops` views of each and the teacher the first two
    (the global views), stacked view by view: rows [v * N, (v + 1) * N) are view v. The teacher's
    distribution is centred and sharpened, P_t = softmax((teacher - center) / teacher_temp), and
    carries no gradient; the student's is P_s = softmax(student / student_temp). For every pair of a
    teacher view t and a different student view s (s != t), the loss term is the cross-entropy
    -sum_k P_t[k] log P_s[k] averaged over the N images; the loss is the mean of these terms.

    Inputs:
    - student_output: Tensor of shape (ncrops * N, K), the student's outputs (logits).
    - teacher_output: Tensor of shape (2 * N, K), the teacher's outputs for the two global views.
    - center: Tensor of shape (1, K), the running mean of the teacher's outputs.
    - ncrops: int, number of student views (>= 2).
    - student_temp, teacher_temp: floats, the temperatures.

    Returns:
    - loss: scalar Tensor; its gradient reaches student_output only.
    """
    loss = None
    # TODO: Sharpen and centre the teacher (no gradient), then average the cross-entropies of all pairs
    # of a teacher view and a different student view.
    # *****START OF YOUR CODE (DO NOT DELETE/MODIFY THIS LINE)*****
    student_logp = F.log_softmax(student_output / student_temp, dim=-1).chunk(ncrops)
    teacher_p = F.softmax((teacher_output - center) / teacher_temp, dim=-1).detach().chunk(2)
    terms = []
    for t, p_t in enumerate(teacher_p):
        for s, logp_s in enumerate(student_logp):
            if s != t:
                terms.append(torch.sum(-p_t * logp_s, dim=-1).mean())
    loss = torch.stack(terms).mean()
    # *****END OF YOUR CODE (DO NOT DELETE/MODIFY THIS LINE)*****
    return loss


@torch.no_grad()
def update_center(center, teacher_output, momentum=0.9):
    """The centre's moving average: momentum * center + (1 - momentum) * mean of the teacher's outputs.

    Inputs:
    - center: Tensor of shape (1, K).
    - teacher_output: Tensor of shape (B, K), the teacher's outputs of this step (all views).
    - momentum: float in [0, 1].

    Returns:
    - new_center: Tensor of shape (1, K), a new tensor (center is left unchanged).
    """
    new_center = None
    # TODO: Move the centre towards the mean of this batch's teacher outputs.
    # *****START OF YOUR CODE (DO NOT DELETE/MODIFY THIS LINE)*****
    batch_center = teacher_output.mean(dim=0, keepdim=True)  # (1, K)
    new_center = center * momentum + batch_center * (1 - momentum)
    # *****END OF YOUR CODE (DO NOT DELETE/MODIFY THIS LINE)*****
    return new_center


@torch.no_grad()
def update_teacher(student, teacher, momentum=0.996):
    """The teacher's exponential moving average of the student, in place.

    For every parameter, in the order of .parameters() (the two networks have the same architecture):
    teacher_param = momentum * teacher_param + (1 - momentum) * student_param. The student is unchanged.

    Inputs:
    - student, teacher: nn.Modules of the same architecture.
    - momentum: float in [0, 1]; 1 keeps the teacher, 0 copies the student.

    Returns nothing.
    """
    # TODO: Update every teacher parameter in place (no gradient is tracked inside this function).
    # *****START OF YOUR CODE (DO NOT DELETE/MODIFY THIS LINE)*****
    for p_s, p_t in zip(student.parameters(), teacher.parameters()):
        p_t.mul_(momentum).add_(p_s.detach(), alpha=1 - momentum)
    # *****END OF YOUR CODE (DO NOT DELETE/MODIFY THIS LINE)*****


def compute_iou(pred, gt, num_classes):
    """Mean intersection over union over the classes.

    Inputs:
    - pred, gt: Tensors of the same shape holding class indices in [0, num_classes).
    - num_classes: int.

    Returns:
    - iou: scalar Tensor, the mean over classes of |pred == c and gt == c| / |pred == c or gt == c|.
    """
    iou = 0
    for ci in range(num_classes):
        p = pred == ci
        g = gt == ci
        iou += (p & g).sum() / ((p | g).sum() + 1e-8)
    return iou / num_classes


class DINOSegmentation:
    """A very light segmentation head: it classifies each DINO patch feature into a segmentation class."""

    def __init__(self, device, num_classes: int, inp_dim: int = 384):
        """Define the model (a linear layer or a small MLP), its optimizer and its loss.

        Inputs:
        - device: torch.device to run the model on.
        - num_classes: number of segmentation classes.
        - inp_dim: dimension of the input DINO features (384 for ViT-S/8).
        """
        # TODO: Define a very lightweight PyTorch model, an optimizer and a loss function to train it to
        # classify each DINO feature vector into a segmentation class.
        # *****START OF YOUR CODE (DO NOT DELETE/MODIFY THIS LINE)*****
        self.device = device
        self.model = nn.Linear(inp_dim, num_classes).to(device)
        self.optimizer = torch.optim.Adam(self.model.parameters(), lr=1e-2)
        self.loss_fn = nn.CrossEntropyLoss()
        # *****END OF YOUR CODE (DO NOT DELETE/MODIFY THIS LINE)*****

    def train(self, X_train, Y_train, num_iters=500):
        """Train the segmentation model on the given features.

        Inputs:
        - X_train: Tensor of shape (N, D), DINO feature vectors.
        - Y_train: Tensor of shape (N,), their class labels (int64).
        - num_iters: number of optimization steps.
        """
        # TODO: Train your model for `num_iters` steps.
        # *****START OF YOUR CODE (DO NOT DELETE/MODIFY THIS LINE)*****
        X_train, Y_train = X_train.to(self.device).float(), Y_train.to(self.device).long()
        for _ in range(num_iters):
            loss = self.loss_fn(self.model(X_train), Y_train)
            self.optimizer.zero_grad()
            loss.backward()
            self.optimizer.step()
        # *****END OF YOUR CODE (DO NOT DELETE/MODIFY THIS LINE)*****

    @torch.no_grad()
    def inference(self, X_test):
        """Predict the class of each feature vector.

        Inputs:
        - X_test: Tensor of shape (N, D), DINO feature vectors.

        Returns:
        - pred_classes: Tensor of shape (N,), the predicted class indices (int64).
        """
        pred_classes = None
        # TODO: Predict the class of every feature vector with your trained model.
        # *****START OF YOUR CODE (DO NOT DELETE/MODIFY THIS LINE)*****
        pred_classes = self.model(X_test.to(self.device).float()).argmax(dim=-1)
        # *****END OF YOUR CODE (DO NOT DELETE/MODIFY THIS LINE)*****
        return pred_classes

