"""Independent references for the Vision Transformer notebook and its tests; students need not read this.

Everything here treats the student's layers as black boxes: it reads their attributes (the 2025 names:
self_attn, cross_attn, ffn.fc1/fc2, norm_*, dropout_*, proj, patch_size, ...) and calls forward.

- torch_reference_decoder_layer / torch_reference_encoder_layer: torch.nn.TransformerDecoderLayer /
  TransformerEncoderLayer (post-norm, GELU) holding the same weights.
- with_dropouts_as_scales: a copy of a layer whose dropout modules multiply by fixed numbers, and the
  torch reference with the same factors folded into its weights: where each dropout acts, checked
  without randomness.
- conv_reference_patches: PatchEmbedding recomputed as a strided convolution with the same weights.
- vit_case / load_vit_case: a VisionTransformer's stored weights, images and class scores.
- encoder_attention_maps / attention_rollout: what the encoder's heads attend to, and how much each
  patch flows into the averaged feature vector the classifier reads.
"""

import copy
from pathlib import Path

import numpy as np
import torch
import torch.nn as nn

from cs231n.checks.transformer import _copy_attention_weights, read_attention_weights

VALUES_FILE = Path(__file__).with_name("vit_values.npz")


def _to_like(module, weight):
    return module.to(device=weight.device, dtype=weight.dtype).eval()


def torch_reference_encoder_layer(layer):
    """A torch.nn.TransformerEncoderLayer (post-norm, GELU, no dropout) with the weights of `layer`,
    a TransformerEncoderLayer. Call it as ref(src, src_mask=(mask == 0)) (True = may NOT attend)."""
    fc1 = layer.ffn.fc1
    ref = nn.TransformerEncoderLayer(fc1.in_features, layer.self_attn.n_head, fc1.out_features, dropout=0.0,
                                     activation="gelu", batch_first=True, norm_first=False)
    ref = _to_like(ref, fc1.weight)
    _copy_attention_weights(layer.self_attn, ref.self_attn)
    for theirs, ours in ((ref.linear1, layer.ffn.fc1), (ref.linear2, layer.ffn.fc2),
                         (ref.norm1, layer.norm_self), (ref.norm2, layer.norm_ffn)):
        theirs.load_state_dict(ours.state_dict())
    return ref


def torch_reference_decoder_layer(layer):
    """A torch.nn.TransformerDecoderLayer (post-norm, GELU, no dropout) with the weights of `layer`, a
    TransformerDecoderLayer. Call it as ref(tgt, memory, tgt_mask=(mask == 0)) (True = may NOT attend)."""
    fc1 = layer.ffn.fc1
    ref = nn.TransformerDecoderLayer(fc1.in_features, layer.self_attn.n_head, fc1.out_features, dropout=0.0,
                                     activation="gelu", batch_first=True, norm_first=False)
    ref = _to_like(ref, fc1.weight)
    _copy_attention_weights(layer.self_attn, ref.self_attn)
    _copy_attention_weights(layer.cross_attn, ref.multihead_attn)
    for theirs, ours in ((ref.linear1, layer.ffn.fc1), (ref.linear2, layer.ffn.fc2), (ref.norm1, layer.norm_self),
                         (ref.norm2, layer.norm_cross), (ref.norm3, layer.norm_ffn)):
        theirs.load_state_dict(ours.state_dict())
    return ref


class _Scale(nn.Module):
    """Stands in for a dropout module: multiplies by a fixed factor, in every mode."""

    def __init__(self, factor):
        super().__init__()
        self.factor = factor

    def forward(self, x):
        return x * self.factor


# The residual branch each dropout module scales, and where the reference's matching weights are.
_DROPOUT_BRANCHES = {"dropout_self": ("self_attn", "out_proj"), "dropout_cross": ("multihead_attn", "out_proj"),
                     "dropout_ffn": ("linear2", None)}


def with_dropouts_as_scales(layer, scales):
    """(probe, reference) for checking where a layer applies its dropout modules, without randomness.

    probe is a copy of `layer` (a TransformerEncoderLayer or TransformerDecoderLayer) in eval mode whose
    dropout modules named in `scales` ({"dropout_self": 0.5, ...}) multiply by those factors. reference
    is the torch.nn layer of torch_reference_*_layer with each factor folded into the last linear map
    of the branch that dropout belongs to: a dropout applied to its block's output, before the residual
    sum, is exactly such a scaling. Applied anywhere else, probe and reference differ.
    """
    probe = copy.deepcopy(layer).eval()
    is_decoder = hasattr(layer, "cross_attn")
    reference = (torch_reference_decoder_layer if is_decoder else torch_reference_encoder_layer)(probe)
    with torch.no_grad():
        for name, factor in scales.items():
            setattr(probe, name, _Scale(factor))
            module, sub = _DROPOUT_BRANCHES[name]
            target = getattr(getattr(reference, module), sub) if sub else getattr(reference, module)
            target.weight.mul_(factor)
            target.bias.mul_(factor)
    return probe, reference


def conv_reference_patches(embed, x):
    """PatchEmbedding's output recomputed as a convolution with kernel and stride patch_size whose
    filters are proj's rows read as (C, p, p) arrays; output (N, num_patches, D), patches row by row."""
    p, D = embed.patch_size, embed.proj.out_features
    C = x.shape[1]
    weight = embed.proj.weight.reshape(D, C, p, p)  # row d of proj, in (C, p, p) order
    maps = nn.functional.conv2d(x, weight, embed.proj.bias, stride=p)  # (N, D, H / p, W / p)
    return maps.flatten(2).transpose(1, 2)


def vit_case():
    """The stored VisionTransformer case: a dict with the model's arguments ("model_kwargs"), its
    parameters by name ("params", float64 tensors), "images" (N, C, H, W) and the "logits" a correct
    forward gives in eval mode (float64), written from the instructors' solution by
    tools/make_vit_check_values.py."""
    with np.load(VALUES_FILE, allow_pickle=False) as stored:
        values = {k: stored[k].copy() for k in stored.files}
    kwargs = {k[len("kwarg/"):]: int(v) for k, v in values.items() if k.startswith("kwarg/")}
    params = {k[len("param/"):]: torch.from_numpy(v) for k, v in values.items() if k.startswith("param/")}
    return {"model_kwargs": kwargs, "params": params, "images": torch.from_numpy(values["images"]),
            "logits": torch.from_numpy(values["logits"])}


def load_vit_case(model):
    """Copy the stored case's parameters into `model` (a float64 VisionTransformer built with
    vit_case()["model_kwargs"]). Returns (images, expected logits)."""
    case = vit_case()
    ours = dict(model.named_parameters())
    if set(ours) != set(case["params"]) or any(ours[k].shape != v.shape for k, v in case["params"].items()):
        raise ValueError("the model's parameters differ from the stored case's: build it as "
                         "VisionTransformer(**vit_case()['model_kwargs']).double()")
    with torch.no_grad():
        for name, value in case["params"].items():
            ours[name].copy_(value)
    return case["images"], case["logits"]


def encoder_attention_maps(model, images):
    """The attention weights of every encoder layer of a VisionTransformer on `images`, in eval mode.

    Records what each layer's self_attn receives during one forward pass, then reads its per-head
    weights off the output (checks.transformer.read_attention_weights: only the student's forward
    computes them). Returns a list with one (N, H, P, P) tensor per layer (rows: the attending patch).
    """
    calls = []

    def hook(module, args, kwargs):
        given = dict(zip(("query", "key", "value", "attn_mask"), args))
        given.update(kwargs)
        calls.append((module, given))

    handles = [layer.self_attn.register_forward_pre_hook(hook, with_kwargs=True) for layer in model.transformer.layers]
    was_training = model.training
    model.eval()
    try:
        with torch.no_grad():
            model(images)
    finally:
        for handle in handles:
            handle.remove()
        model.train(was_training)
    return [read_attention_weights(m, g["query"], g["key"], g.get("attn_mask")) for m, g in calls]


def attention_rollout(maps):
    """How much each input patch flows into the classifier's averaged feature vector (attention rollout,
    Abnar and Zuidema 2020).

    Each layer's attention, averaged over heads, is mixed half and half with the identity (the residual
    connection) and the layers' matrices are multiplied, first layer on the right: entry (i, j) of the
    product estimates how much patch j's input reaches token i at the top. The classifier reads the
    mean of the top tokens, so the relevance of patch j is the mean of column j.

    Inputs: maps, a list of (N, H, P, P) tensors (encoder_attention_maps). Returns (N, P), rows sum to 1.
    """
    rollout = None
    for weights in maps:
        mixed = 0.5 * weights.mean(dim=1) + 0.5 * torch.eye(weights.shape[-1], dtype=weights.dtype,
                                                             device=weights.device)
        mixed = mixed / mixed.sum(dim=-1, keepdim=True)
        rollout = mixed if rollout is None else mixed @ rollout
    return rollout.mean(dim=1)
