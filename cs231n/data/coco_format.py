"""The COCO captioning format, in one place: caption length, special tokens, folder and file names.

The classic ``coco_captioning.zip`` and the embedded sample share the format (same keys, dtypes and
shapes); only their file names differ. A leaf module: it imports nothing from the package.
"""

CAPTION_LENGTH = 17  # <START> + at most 15 words + <END>, padded with <NULL>
MAX_WORDS = CAPTION_LENGTH - 2
# The vocabulary's first four words; a word's index is its position here.
SPECIAL_TOKENS = ("<NULL>", "<START>", "<END>", "<UNK>")
NULL_IDX, START_IDX, END_IDX, UNK_IDX = range(len(SPECIAL_TOKENS))
SPLITS = ("train", "val")

# The real data: the classic zip unpacked into datasets/coco_captioning.
REAL_DIRNAME = "coco_captioning"
REAL_FILES = {
    "captions": "coco2014_captions.h5",
    "vocab": "coco2014_vocab.json",
    "train_features_pca": "train2014_vgg16_fc7_pca.h5",
    "val_features_pca": "val2014_vgg16_fc7_pca.h5",
    "train_features": "train2014_vgg16_fc7.h5",
    "val_features": "val2014_vgg16_fc7.h5",
    "train_urls": "train2014_urls.txt",
    "val_urls": "val2014_urls.txt",
}
# The 4096-d features (2 GB) serve only load_coco_data(pca_features=False); users often delete them.
FULL_FEATURE_FILES = tuple(REAL_FILES[f"{split}_features"] for split in SPLITS)
REQUIRED_FILES = tuple(name for name in REAL_FILES.values() if name not in FULL_FEATURE_FILES)
REAL_STAMP = ".verified"  # written once a folder of real data has been checked

# The embedded sample: generated scenes in datasets/coco_sample (cs231n.data.coco_sample builds it).
SAMPLE_DIRNAME = "coco_sample"
SAMPLE_FILES = {
    "captions": "scenes_captions.h5",
    "vocab": "scenes_vocab.json",
    "train_features_pca": "train_scenenet_fc_pca512.h5",
    "val_features_pca": "val_scenenet_fc_pca512.h5",
    "train_features": "train_scenenet_fc1024.h5",
    "val_features": "val_scenenet_fc1024.h5",
    "train_urls": "train_image_paths.txt",
    "val_urls": "val_image_paths.txt",
    "train_scenes": "train_scenes.json",
    "val_scenes": "val_scenes.json",
}
SAMPLE_STAMP = ".complete"  # written last, once every file of the sample is in place
# Bump when the scenes, captions or SceneNet change: an older sample is then rebuilt by
# `bash setup_coco.sh --sample` (and load_coco_data refuses it, naming that command).
SAMPLE_VERSION = 4


def caption_words(caption, idx_to_word, keep_start_end=True):
    """The words of one caption (a sequence of word indices) up to its first <END>, <NULL> skipped.

    keep_start_end=True keeps <START> and <END> (what decode_captions shows); False drops them too,
    leaving the words a caption metric compares (<UNK> stays).
    """
    words = []
    for idx in caption:
        word = idx_to_word[int(idx)]
        if word == "<END>":
            if keep_start_end:
                words.append(word)
            break
        if word != "<NULL>" and (keep_start_end or word != "<START>"):
            words.append(word)
    return words
