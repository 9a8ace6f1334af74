"""cs231n.metrics.bleu: references per image, corpus BLEU-4 through nltk, the baseline."""

import numpy as np
import pytest
import torch
from nltk.translate.bleu_score import SmoothingFunction, corpus_bleu

from cs231n.metrics.bleu import bleu4, image_references, most_frequent_caption_bleu4

WORDS = ["<NULL>", "<START>", "<END>", "<UNK>", "a", "red", "blue", "circle", "square", "on", "grey"]
W = {w: i for i, w in enumerate(WORDS)}


def _encode(text, length=9):
    ids = [W["<START>"], *(W[w] for w in text.split()), W["<END>"]]
    return ids + [W["<NULL>"]] * (length - len(ids))


def _data():
    """Three val images (ids 5, 2, 7 in caption order) with 2, 1 and 3 captions; four train ones."""
    val = [(5, "a red circle on grey"), (2, "a blue square on grey"), (5, "red circle"),
           (7, "a blue circle"), (7, "a blue circle on grey"), (7, "blue circle")]
    train = [(0, "a red circle"), (1, "a blue square"), (2, "a red circle"), (3, "a blue square"),
             (3, "a red circle")]
    rng = np.random.default_rng(0)
    return {
        "val_captions": np.asarray([_encode(t) for _, t in val], dtype=np.int32),
        "val_image_idxs": np.asarray([i for i, _ in val], dtype=np.int32),
        "val_features": rng.standard_normal((8, 4)).astype(np.float32),
        "train_captions": np.asarray([_encode(t) for _, t in train], dtype=np.int32),
        "train_image_idxs": np.asarray([i for i, _ in train], dtype=np.int32),
        "train_features": rng.standard_normal((4, 4)).astype(np.float32),
        "idx_to_word": WORDS, "word_to_idx": W,
    }


class _LookupModel:
    """Answers a fixed caption per image, found by its feature row; records sample's arguments."""

    def __init__(self, data, answers, as_torch=False):
        self.rows = {tuple(data["val_features"][i]): _encode(text, 12)[1:] for i, text in answers.items()}
        self.as_torch, self.calls = as_torch, []

    def sample(self, features, max_length=30, **kwargs):
        self.calls.append((len(features), max_length, kwargs))
        out = np.asarray([self.rows[tuple(f)] for f in features])
        return torch.tensor(out) if self.as_torch else out


def test_image_references_groups_every_caption_of_an_image_without_special_tokens():
    idxs, refs = image_references(_data(), "val")
    assert idxs.tolist() == [2, 5, 7], f"image_references: image_idxs {idxs.tolist()}, expected [2, 5, 7]"
    expected = [[["a", "blue", "square", "on", "grey"]],
                [["a", "red", "circle", "on", "grey"], ["red", "circle"]],
                [["a", "blue", "circle"], ["a", "blue", "circle", "on", "grey"], ["blue", "circle"]]]
    assert refs == expected, f"image_references: refs {refs}, expected {expected}"


def test_bleu4_of_a_model_that_repeats_a_reference_is_one():
    # (of at least 4 words: NLTK counts a shorter hypothesis as one unmatched 4-gram)
    data = _data()
    model = _LookupModel(data, {2: "a blue square on grey", 5: "a red circle on grey", 7: "a blue circle on grey"})
    score = bleu4(model, data, "val")
    assert score == pytest.approx(1.0), f"bleu4: {score} for captions equal to a reference, expected 1"


def test_bleu4_matches_nltk_corpus_bleu_with_method1_smoothing():
    data = _data()
    answers = {2: "a blue square", 5: "a red square on grey", 7: "a blue circle <UNK> grey"}
    score = bleu4(_LookupModel(data, answers), data, "val")
    refs = [[["a", "blue", "square", "on", "grey"]],
            [["a", "red", "circle", "on", "grey"], ["red", "circle"]],
            [["a", "blue", "circle"], ["a", "blue", "circle", "on", "grey"], ["blue", "circle"]]]
    hyps = [answers[2].split(), answers[5].split(), answers[7].split()]
    expected = corpus_bleu(refs, hyps, smoothing_function=SmoothingFunction().method1)
    assert 0 < expected < 1
    assert score == pytest.approx(expected, rel=1e-12), f"bleu4: {score}, nltk gives {expected}"


def test_bleu4_accepts_torch_output_batches_and_forwards_beam_size():
    data = _data()
    answers = {2: "a blue square", 5: "a red circle", 7: "blue circle"}
    model = _LookupModel(data, answers, as_torch=True)
    numpy_score = bleu4(_LookupModel(data, answers), data, "val")
    assert bleu4(model, data, "val", batch_size=2) == pytest.approx(numpy_score), (
        "bleu4: torch output scored differently")
    assert [c[0] for c in model.calls] == [2, 1], f"bleu4: batches of {[c[0] for c in model.calls]}, expected [2, 1]"
    assert model.calls[0][1:] == (30, {}), f"bleu4: sample called with {model.calls[0][1:]} for beam 1"
    bleu4(model, data, "val", beam_size=3)
    assert model.calls[-1][2] == {"beam_size": 3}, f"bleu4: sample called with {model.calls[-1][2]}"


def test_bleu4_max_images_scores_the_first_images_only():
    data = _data()
    model = _LookupModel(data, {2: "a blue square on grey", 5: "a red circle on grey", 7: "grey"})
    assert bleu4(model, data, "val", max_images=2) == pytest.approx(1.0), (
        "bleu4(max_images=2): the first two images are captioned perfectly, expected 1")
    assert model.calls[-1][0] == 2, "bleu4(max_images=2): sampled more than 2 images"


def test_most_frequent_caption_baseline_outputs_the_commonest_training_caption():
    data = _data()
    score, caption = most_frequent_caption_bleu4(data, "val")
    assert caption == "a red circle", f"most_frequent_caption_bleu4: caption {caption!r}, expected 'a red circle'"
    _, refs = image_references(data, "val")
    expected = corpus_bleu(refs, [caption.split()] * 3, smoothing_function=SmoothingFunction().method1)
    assert score == pytest.approx(expected, rel=1e-12), f"most_frequent_caption_bleu4: {score}, nltk {expected}"


def test_bleu4_ignores_words_written_after_end():
    # The classic lets CaptioningRNN.sample keep writing after <END>: those words are not scored.
    data = _data()
    model = _LookupModel(data, {2: "a blue square on grey", 5: "a red circle on grey", 7: "a blue circle on grey"})
    for key, row in model.rows.items():
        end = row.index(W["<END>"])
        model.rows[key] = row[:end + 1] + [W["red"]] * (len(row) - end - 1)
    score = bleu4(model, data, "val")
    assert score == pytest.approx(1.0), f"bleu4: {score}; words after <END> must not count"


# ---------------------------------------------------------------------------------------------
# scene_attribute_accuracy (cs231n.coco_utils): what the sample's captions say about the image


def test_scene_attribute_words_cover_every_phrasing_of_the_sample():
    from cs231n.coco_utils import _SCENE_ATTRIBUTE_WORDS
    from cs231n.data import scenes

    assert set(_SCENE_ATTRIBUTE_WORDS["shape"].values()) == set(scenes.KINDS)
    assert set(_SCENE_ATTRIBUTE_WORDS["colour"].values()) == set(scenes.COLOURS)
    for size, words in scenes._SIZE_WORDS.items():
        assert {_SCENE_ATTRIBUTE_WORDS["size"][w] for w in words} == {size}
    for position, phrases in scenes._POSITION_PHRASES.items():
        for phrase in phrases:
            named = {_SCENE_ATTRIBUTE_WORDS["position"][w] for w in phrase.split() if w in _SCENE_ATTRIBUTE_WORDS["position"]}
            assert named == {position}, f"'{phrase}' names {named}, not {position}"


def test_scene_attribute_accuracy_counts_each_attribute_and_stops_at_end():
    from cs231n.coco_utils import scene_attribute_accuracy

    words = ["<NULL>", "<START>", "<END>", "a", "small", "big", "red", "blue", "circle", "star", "on", "the",
             "left", "right", "there", "is"]
    w = {word: i for i, word in enumerate(words)}

    def encode(text, length=12):
        ids = [w["<START>"], *(w[x] for x in text.split()), w["<END>"]]
        return ids + [w["<NULL>"]] * (length - len(ids))

    data = {"source": "sample", "idx_to_word": words,
            "val_captions": np.asarray([encode(t) for t in ["a small red circle on the left", "there is a big blue star on the right",
                                                            "a big blue star on the right"]]),
            "val_image_idxs": np.asarray([0, 1, 1])}
    generated = np.asarray([encode("a small red circle on the left")[1:],  # all four right
                            encode("a big red star on the right")[1:]])  # colour wrong
    generated[1, -1] = w["blue"]  # after <END>: ignored
    got = scene_attribute_accuracy(data, generated)
    assert got == {"shape": 1.0, "colour": 0.5, "size": 1.0, "position": 1.0, "all four": 0.5}, got
    with pytest.raises(ValueError, match="embedded sample"):
        scene_attribute_accuracy(dict(data, source="coco"), generated)
