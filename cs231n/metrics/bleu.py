"""BLEU-4 for captioning models, with every caption of an image as a reference.

BLEU (Papineni et al., 2002) compares a generated caption with the human ones by n-gram overlap:
the geometric mean of the clipped 1- to 4-gram precisions, times a brevity penalty for
hypotheses shorter than their references. We score a whole split as one corpus (n-gram counts
summed over all images before the precisions are taken), as captioning papers do, using NLTK's
implementation (nltk.translate.bleu_score.corpus_bleu).

Smoothing: NLTK's method1 (an epsilon of 0.1 in place of a zero n-gram count). It only changes
anything when some n-gram order has no match at all in the whole corpus, where the unsmoothed
score would be exactly 0 with a warning; a nearly untrained model then scores near 0 instead.
Note that NLTK counts a hypothesis shorter than n words as having one n-gram, unmatched, so
captions of fewer than 4 words lower the score even when they equal a reference.
"""

from collections import Counter

import numpy as np
from nltk.translate.bleu_score import SmoothingFunction, corpus_bleu

from cs231n.checks import to_numpy
from cs231n.data.coco_format import caption_words

_SMOOTHING = SmoothingFunction().method1


def image_references(data, split):
    """Every image of a split with all of its captions, as BLEU references.

    Inputs:
    - data: The dictionary from load_coco_data.
    - split: 'train' or 'val'.

    Returns a tuple of:
    - image_idxs: Array of shape (M,), the distinct image indices of the split, ascending.
    - refs: List of M lists; refs[m] holds one token list per caption of image image_idxs[m],
      without <START>, <END> and <NULL>.
    """
    captions = data[f"{split}_captions"]
    caption_image = data[f"{split}_image_idxs"]
    idx_to_word = data["idx_to_word"]
    image_idxs, position = np.unique(caption_image, return_inverse=True)  # position: (n_captions,)
    refs = [[] for _ in range(len(image_idxs))]
    for caption, m in zip(captions, position.reshape(-1)):
        refs[m].append(caption_words(caption, idx_to_word, keep_start_end=False))
    return image_idxs, refs


def bleu4(model, data, split="val", max_images=None, beam_size=1, batch_size=500):
    """Corpus BLEU-4 of a captioning model on a split, all of an image's captions as references.

    Inputs:
    - model: Anything with sample(features, max_length=30[, beam_size=B]) returning word
      indices of shape (N, T) as numpy or torch integers (CaptioningRNN, CaptioningTransformer).
    - data: The dictionary from load_coco_data.
    - split: 'train' or 'val'.
    - max_images: Score only the first max_images images of the split (None: all of them).
    - beam_size: Passed on to model.sample when it is not 1.
    - batch_size: How many images to caption at once.

    Returns:
    - The BLEU-4 score, a float in [0, 1].
    """
    image_idxs, refs = image_references(data, split)
    if max_images is not None:
        image_idxs, refs = image_idxs[:max_images], refs[:max_images]
    features = data[f"{split}_features"]
    kwargs = {} if beam_size == 1 else {"beam_size": beam_size}
    hypotheses = []
    for start in range(0, len(image_idxs), batch_size):
        batch = features[image_idxs[start:start + batch_size]]
        sampled = to_numpy(model.sample(batch, max_length=30, **kwargs))
        hypotheses += [caption_words(caption, data["idx_to_word"], keep_start_end=False)
                       for caption in sampled]
    return float(corpus_bleu(refs, hypotheses, smoothing_function=_SMOOTHING))


def most_frequent_caption_bleu4(data, split="val", max_images=None):
    """The baseline that ignores the image: always output the most frequent training caption.

    Inputs:
    - data: The dictionary from load_coco_data.
    - split: The split to score on, 'train' or 'val'.
    - max_images: Score only the first max_images images of the split, as bleu4 does.

    Returns a tuple of:
    - score: Its corpus BLEU-4 on the split (references as in bleu4).
    - caption: That caption, as a string of words.
    """
    counts = Counter(tuple(caption_words(c, data["idx_to_word"], keep_start_end=False))
                     for c in data["train_captions"])
    words = list(max(counts.items(), key=lambda item: item[1])[0])
    _, refs = image_references(data, split)
    if max_images is not None:
        refs = refs[:max_images]
    score = corpus_bleu(refs, [words] * len(refs), smoothing_function=_SMOOTHING)
    return float(score), " ".join(words)
