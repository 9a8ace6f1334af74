"""How the grader calls the graded functions of Style_Transfer (runs in the sandbox; no expected values).

Every loss is checked for its value and for the gradient that reaches what the optimiser changes.
style_loss runs with gram_matrix answered from a table of the grams of its own inputs (values given
by the grader, leaves of the graph), so that it is graded on its own: its outputs are the loss and
its gradient with respect to those grams.
"""

import importlib

import torch


def _st():
    return importlib.import_module("cs231n.style_transfer_pytorch")


def _t(a, grad=False):
    return torch.tensor(a, dtype=torch.float32, requires_grad=grad)


def content_loss(i):
    cur = _t(i["current"], True)
    loss = _st().content_loss(float(i["weight"]), cur, _t(i["original"]))
    (g,) = torch.autograd.grad(loss, cur)
    return {"loss": loss, "dcurrent": g}


def gram_matrix(i):
    f = _t(i["features"], True)
    G = _st().gram_matrix(f, normalize=bool(i["normalize"]))
    (g,) = torch.autograd.grad((G * _t(i["R"])).sum(), f)
    return {"gram": G, "dfeatures": g}


def style_loss(i):
    st = _st()
    layers = [int(k) for k in i["layers"]]
    feats = {k: _t(i[f"feat{k}"]) for k in layers}
    grams = [(feats[k], _t(i[f"gram{k}"], True)) for k in layers]
    own = st.gram_matrix

    def table_gram(features, normalize=True):
        for f, G in grams if normalize is True else ():  # the grams given are normalised ones
            if features is f or (features.shape == f.shape and torch.equal(features.detach(), f)):
                return G
        return own(features, normalize)

    st.gram_matrix = table_gram
    try:
        feat_list = [feats.get(k, _t(i["feat_unused"])) for k in range(max(layers) + 1)]
        loss = st.style_loss(feat_list, layers, [_t(i[f"target{k}"]) for k in layers],
                             [float(w) for w in i["weights"]])
    finally:
        st.gram_matrix = own
    leaves = [G for _, G in grams]
    grads = torch.autograd.grad(loss, leaves, allow_unused=True)
    out = {"loss": loss}
    for k, g in zip(layers, grads):
        out[f"dgram{k}"] = g if g is not None else torch.full_like(leaves[0], float("nan"))
    return out


def tv_loss(i):
    img = _t(i["img"], True)
    loss = _st().tv_loss(img, float(i["weight"]))
    (g,) = torch.autograd.grad(loss, img)
    return {"loss": loss, "dimg": g}
