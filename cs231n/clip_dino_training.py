"""How the CLIP and DINO notebook trains its offline stand-ins (given code; nothing here to implement).

`train_clip` trains a TinyCLIP on scenes and their captions with your `clip_contrastive_loss`;
`train_dino` trains a TinyViT with DINO (two augmented global views per image, your `dino_loss`,
`update_center` and `update_teacher`); `patch_features` reads the last layer's patch tokens of a
DINO-style model, as the 2025 notebook does with ViT-S/8.
"""

import copy

import numpy as np
import torch
import torch.nn.functional as F

from cs231n.clip_dino import clip, clip_contrastive_loss, dino_loss, update_center, update_teacher
from cs231n.models.tiny_clip import CLIP_MEAN, CLIP_STD
from cs231n.models.tiny_vit import DINOHead, DINOModel, TinyViT


def to_clip_input(images):
    """uint8 (N, H, W, 3) -> float (N, 3, 32, 32), normalised as TinyCLIP's preprocess does."""
    x = torch.from_numpy(np.ascontiguousarray(images)).permute(0, 3, 1, 2).float() / 255
    x = F.interpolate(x, size=(32, 32), mode="bilinear", antialias=True, align_corners=False)
    return (x - torch.tensor(CLIP_MEAN)[:, None, None]) / torch.tensor(CLIP_STD)[:, None, None]


def train_clip(model, images, captions, *, steps=450, batch_size=128, lr=2e-3, seed=0, groups=None,
               hard_fraction=0.5, group_size=4):
    """Train model (a TinyCLIP) on uint8 images (N, H, W, 3), each with a list of captions (one drawn per
    step). Returns the losses, one per step.

    groups (optional): one hashable key per image, e.g. every attribute of a scene but the kind of shape.
    Then hard_fraction of each batch is drawn as groups of group_size images sharing a key (hard
    negatives: their captions differ only where the keys do not look), the rest at random. In a random
    batch the colour, size, position and background already tell almost every caption from the others,
    so the loss hardly asks for the kind; with such groups it must."""
    gen = torch.Generator().manual_seed(seed)
    rng = np.random.default_rng(seed)
    device = next(model.parameters()).device
    x_all = to_clip_input(images).to(device)
    members = _group_members(groups, group_size) if groups is not None else []
    opt = torch.optim.AdamW(model.parameters(), lr=lr, weight_decay=1e-4)
    losses = []
    model.train()
    for _ in range(steps):
        order = torch.randperm(len(captions), generator=gen)
        n_groups = min(int(batch_size * hard_fraction) // group_size, len(members))
        hard = [i for g in rng.choice(len(members), size=n_groups, replace=False) if n_groups
                for i in rng.choice(members[g], size=group_size, replace=False)]
        taken = set(hard)
        rest = [i for i in order.tolist() if i not in taken][:batch_size - len(hard)]
        idx = torch.tensor(hard + rest, dtype=torch.long).to(device)
        texts = [captions[i][rng.integers(len(captions[i]))] for i in idx.tolist()]
        loss = clip_contrastive_loss(model.encode_image(x_all[idx]), model.encode_text(clip.tokenize(texts).to(device)),
                                     model.logit_scale.exp().clamp(max=100))
        opt.zero_grad()
        loss.backward()
        opt.step()
        losses.append(loss.item())
    model.eval()
    return losses


def _group_members(groups, group_size):
    """The index arrays of the images of each key that has at least group_size images."""
    by_key = {}
    for i, key in enumerate(groups):
        by_key.setdefault(key, []).append(i)
    return [np.array(v) for v in by_key.values() if len(v) >= group_size]


def _augment(x, gen, scale=(0.4, 1.0), size=None):
    """A DINO view of each image of x (B, 3, 32, 32) in [0, 1]: a random crop of a fraction `scale` of its
    area (40-100%: a global view) resized back (or to size x size: a local view), a horizontal flip half
    of the time, and a random brightness and channel order."""
    B, _, H, W = x.shape
    side = (torch.empty(B).uniform_(*scale, generator=gen).sqrt() * H).round().long().clamp(min=2)
    out_h, out_w = (H, W) if size is None else (size, size)
    out = x.new_empty(B, 3, out_h, out_w)
    for i in range(B):
        s = int(side[i])
        top = int(torch.randint(0, H - s + 1, (1,), generator=gen))
        left = int(torch.randint(0, W - s + 1, (1,), generator=gen))
        crop = x[i:i + 1, :, top:top + s, left:left + s]
        out[i] = F.interpolate(crop, size=(out_h, out_w), mode="bilinear", align_corners=False)[0]
    flip = torch.rand(B, generator=gen) < 0.5
    out[flip] = out[flip].flip(-1)
    perm = torch.stack([torch.randperm(3, generator=gen) for _ in range(B)])  # colour is not the point
    out = torch.gather(out, 1, perm[:, :, None, None].expand(-1, -1, out_h, out_w))
    return (out * torch.empty(B, 1, 1, 1).uniform_(0.7, 1.3, generator=gen)).clamp(0, 1)


IMAGENET_MEAN, IMAGENET_STD = (0.485, 0.456, 0.406), (0.229, 0.224, 0.225)


def to_vit_input(images, size=32, imagenet_normalize=False):
    """uint8 (N, H, W, 3) -> float (N, 3, size, size) in [0, 1] (the TinyViT's input), or normalised with
    ImageNet's mean and std (DINO ViT-S/8's input) when imagenet_normalize."""
    x = torch.from_numpy(np.ascontiguousarray(images)).permute(0, 3, 1, 2).float() / 255
    x = F.interpolate(x, size=(size, size), mode="bilinear", antialias=True, align_corners=False)
    if imagenet_normalize:
        x = (x - torch.tensor(IMAGENET_MEAN)[:, None, None]) / torch.tensor(IMAGENET_STD)[:, None, None]
    return x


def train_dino(images, *, steps=200, batch_size=32, lr=1e-3, out_dim=64, seed=0, teacher_momentum=0.99,
               center_momentum=0.9, student_temp=0.1, teacher_temp=0.04, n_local=0, device="cpu"):
    """Train a TinyViT with DINO on uint8 images (N, H, W, 3). Returns (teacher backbone, losses); the
    teacher is DINO's result (its moving average is smoother than the student). The views are made on
    the CPU; the networks run on device. n_local > 0 adds DINO's multi-crop: that many local views
    (crops of 10-35% of the area at 16x16 pixels) that only the student sees."""
    torch.manual_seed(seed)
    gen = torch.Generator().manual_seed(seed)
    x_all = to_vit_input(images)
    student = DINOModel(TinyViT(), DINOHead(48, out_dim)).to(device)
    teacher = copy.deepcopy(student)
    for p in teacher.parameters():
        p.requires_grad_(False)
    center = torch.zeros(1, out_dim, device=device)
    opt = torch.optim.AdamW(student.parameters(), lr=lr, weight_decay=0.04)
    losses = []
    for _ in range(steps):
        x = x_all[torch.randperm(len(x_all), generator=gen)[:batch_size]]
        views = torch.cat([_augment(x, gen), _augment(x, gen)]).to(device)  # (2B, 3, 32, 32): view 0, then 1
        with torch.no_grad():
            teacher_out = teacher(views)
        student_out = student(views)
        if n_local:  # local views: small crops at 16x16 (a 4x4 grid), seen by the student only
            local = torch.cat([_augment(x, gen, scale=(0.1, 0.35), size=16) for _ in range(n_local)]).to(device)
            student_out = torch.cat([student_out, student(local)])
        loss = dino_loss(student_out, teacher_out, center, ncrops=2 + n_local, student_temp=student_temp,
                         teacher_temp=teacher_temp)
        opt.zero_grad()
        loss.backward()
        opt.step()
        update_teacher(student, teacher, momentum=teacher_momentum)
        center = update_center(center, teacher_out, momentum=center_momentum)
        losses.append(loss.item())
    return teacher.backbone.eval(), losses


@torch.no_grad()
def patch_features(model, x):
    """The last layer's patch tokens of a DINO-style model: x (B, 3, H, W) -> (B, P, D), [CLS] dropped."""
    return model.get_intermediate_layers(x, n=1)[0][:, 1:]
