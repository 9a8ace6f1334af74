"""Realistic mistakes in the Vision Transformer notebook's blanks (the decoder layer's cross-attention and
feed-forward blocks, PatchEmbedding, TransformerEncoderLayer, VisionTransformer), in the form of
tools/mutants_catalogue.py, which merges this CATALOGUE into its own.

Instructor-only: these are wrong solutions next to right ones.
"""

TL = "cs231n/transformer_layers.py"
TRF = "cs231n/classifiers/transformer.py"
MEAN_THEN_HEAD = "a linear head commutes with the mean: head(mean(h)) == mean(head(h)) exactly (up to rounding)"

CATALOGUE = {
    (TL, "TransformerDecoderLayer.forward"): [
        ("cross-attention to itself", "key=memory, value=memory)", "key=tgt, value=tgt)"),
        ("queries from the memory", "self.cross_attn(query=tgt, key=memory, value=memory)",
         "self.cross_attn(query=memory, key=tgt, value=tgt)"),
        ("causal mask on the cross-attention", "key=memory, value=memory)", "key=memory, value=memory, attn_mask=tgt_mask)"),
        ("no residual around cross-attention", "self.norm_cross(tgt + self.dropout_cross(attended))",
         "self.norm_cross(self.dropout_cross(attended))"),
        ("pre-norm cross-attention block", "self.norm_cross(tgt + self.dropout_cross(attended))",
         "tgt + self.dropout_cross(self.cross_attn(query=self.norm_cross(tgt), key=memory, value=memory))"),
        ("wrong LayerNorm", "self.norm_cross(tgt + self.dropout_cross(attended))",
         "self.norm_self(tgt + self.dropout_cross(attended))"),
        ("dropout after the residual sum", "self.norm_cross(tgt + self.dropout_cross(attended))",
         "self.norm_cross(self.dropout_cross(tgt + attended))"),
        ("cross-attention dropout left out", "self.norm_cross(tgt + self.dropout_cross(attended))",
         "self.norm_cross(tgt + attended)"),
        ("feed-forward block skipped", "transformed = self.ffn(tgt)", "transformed = tgt"),
        ("no residual around the FFN", "self.norm_ffn(tgt + self.dropout_ffn(transformed))",
         "self.norm_ffn(self.dropout_ffn(transformed))"),
        ("FFN dropout left out", "self.norm_ffn(tgt + self.dropout_ffn(transformed))", "self.norm_ffn(tgt + transformed)"),
        ("FFN output not normalised", "tgt = self.norm_ffn(tgt + self.dropout_ffn(transformed))",
         "tgt = tgt + self.dropout_ffn(transformed)"),
    ],
    (TL, "PatchEmbedding.forward"): [
        ("(p, p, C) flattening", "grid.permute(0, 2, 4, 1, 3, 5)", "grid.permute(0, 2, 4, 3, 5, 1)"),
        ("column-major patch order", "grid.permute(0, 2, 4, 1, 3, 5)", "grid.permute(0, 4, 2, 1, 3, 5)"),
        ("rows and columns swapped inside a patch", "grid.permute(0, 2, 4, 1, 3, 5)", "grid.permute(0, 2, 4, 1, 5, 3)"),
        ("reshape without permute", "patches = grid.reshape(N, self.num_patches, self.patch_dim)",
         "patches = x.reshape(N, self.num_patches, self.patch_dim)"),
        ("patch split as (p, H/p)", "grid = x.reshape(N, C, H // p, p, W // p, p)",
         "grid = x.reshape(N, C, p, H // p, p, W // p)"),
        ("no projection", "out = self.proj(patches)", "out = patches"),
    ],
    (TL, "TransformerEncoderLayer.forward"): [
        ("mask ignored", "value=src, attn_mask=src_mask)", "value=src)"),
        ("no residual around self-attention", "self.norm_self(src + self.dropout_self(context))",
         "self.norm_self(self.dropout_self(context))"),
        ("wrong LayerNorm", "src = self.norm_self(src + self.dropout_self(context))",
         "src = self.norm_ffn(src + self.dropout_self(context))"),
        ("dropout after the residual sum", "self.norm_self(src + self.dropout_self(context))",
         "self.norm_self(self.dropout_self(src + context))"),
        ("attention dropout left out", "self.norm_self(src + self.dropout_self(context))", "self.norm_self(src + context)"),
        ("feed-forward block skipped", "src = self.norm_ffn(src + self.dropout_ffn(self.ffn(src)))",
         "src = self.norm_ffn(src + self.dropout_ffn(src))"),
        ("pre-norm FFN block", "src = self.norm_ffn(src + self.dropout_ffn(self.ffn(src)))",
         "src = src + self.dropout_ffn(self.ffn(self.norm_ffn(src)))"),
        ("FFN dropout shared with attention", "self.dropout_ffn(self.ffn(src))", "self.dropout_self(self.ffn(src))"),
    ],
    (TRF, "VisionTransformer.forward"): [
        ("no positional encodings", "tokens = self.positional_encoding(self.patch_embed(x))", "tokens = self.patch_embed(x)"),
        ("first token instead of the mean", "logits = self.head(encoded.mean(dim=1))", "logits = self.head(encoded[:, 0])"),
        ("sum instead of mean", "logits = self.head(encoded.mean(dim=1))", "logits = self.head(encoded.sum(dim=1))"),
        ("max pooling", "logits = self.head(encoded.mean(dim=1))", "logits = self.head(encoded.max(dim=1).values)"),
        ("encoder skipped", "encoded = self.transformer(tokens)", "encoded = tokens"),
        ("mean over the features", "logits = self.head(encoded.mean(dim=1))",
         "logits = self.head(encoded.mean(dim=2, keepdim=True).expand(-1, -1, encoded.shape[2]).mean(dim=1))"),
        ("encodings added after the encoder", "encoded = self.transformer(tokens)",
         "encoded = self.positional_encoding(self.transformer(self.patch_embed(x)))"),
        ("head before the mean", "logits = self.head(encoded.mean(dim=1))", "logits = self.head(encoded).mean(dim=1)",
         MEAN_THEN_HEAD),
    ],
}
