"""Generated scenes: one coloured shape on a plain background, with captions from seven sentence templates.

They stand in for COCO images when the real data cannot be downloaded. Every scene is described by
five attributes (kind, colour, size, position, background), so a caption is fully determined by
what is in the picture, up to its phrasing: a model that reads the image features well can caption
them almost perfectly, and one that ignores them cannot.
"""

import numpy as np
from PIL import Image, ImageDraw

IMAGE_SIZE = 64
_SUPERSAMPLE = 4  # draw at 4x and downsample, so edges are anti-aliased like a photo's

KINDS = ("circle", "square", "triangle", "star", "cross")
COLOURS = {
    "red": (220, 40, 40),
    "green": (40, 170, 60),
    "blue": (40, 80, 220),
    "yellow": (235, 210, 40),
    "purple": (140, 60, 180),
    "orange": (245, 140, 30),
}
SIZES = {"small": 0.14, "large": 0.28}  # radius as a fraction of the image side
POSITIONS = {"center": (0.5, 0.5), "left": (0.27, 0.5), "right": (0.73, 0.5),
             "top": (0.5, 0.27), "bottom": (0.5, 0.73)}
BACKGROUNDS = {"white": (238, 238, 238), "black": (24, 24, 24), "gray": (128, 128, 128)}

# One class per colour and kind, as the offline classifier sees them: "red circle", ...
CLASS_NAMES = [f"{c} {k}" for c in COLOURS for k in KINDS]

# Phrasings. Each caption picks a template, then a phrase for the size and the position.
_SIZE_WORDS = {"small": ("small", "small", "little"), "large": ("large", "large", "big")}
_POSITION_PHRASES = {
    "center": ("in the center", "in the middle"),
    "left": ("on the left", "on the left side"),
    "right": ("on the right", "on the right side"),
    "top": ("at the top", "near the top"),
    "bottom": ("at the bottom", "near the bottom"),
}
_TEMPLATES = (
    "a {size} {colour} {kind} {pos} on a {bg} background",
    "there is a {size} {colour} {kind} {pos}",
    "a {bg} background with a {size} {colour} {kind} {pos}",
    "a {size} {kind} colored {colour} {pos}",
    "{pos} there is a {size} {colour} {kind}",
    "a picture of a {colour} {kind} {pos} of a {bg} image",
    "the {colour} {kind} is {size} and sits {pos}",
)


def random_scene(rng):
    """Draw a scene's attributes: a dict with kind, colour, size, position, background and a jitter seed."""
    return {
        "kind": KINDS[rng.integers(len(KINDS))],
        "colour": list(COLOURS)[rng.integers(len(COLOURS))],
        "size": list(SIZES)[rng.integers(len(SIZES))],
        "position": list(POSITIONS)[rng.integers(len(POSITIONS))],
        "background": list(BACKGROUNDS)[rng.integers(len(BACKGROUNDS))],
        "seed": int(rng.integers(2**31)),
    }


def scene_class(scene):
    """Index into CLASS_NAMES of the scene's colour and kind."""
    return CLASS_NAMES.index(f"{scene['colour']} {scene['kind']}")


def render_scene(scene, size=IMAGE_SIZE):
    """Render a scene as a size x size RGB PIL image; the same scene always gives the same pixels."""
    rng = np.random.default_rng(scene["seed"])
    s = size * _SUPERSAMPLE
    bg = _jitter_colour(BACKGROUNDS[scene["background"]], rng, 10)
    fg = _jitter_colour(COLOURS[scene["colour"]], rng, 18)
    img = Image.new("RGB", (s, s), bg)
    cx, cy = POSITIONS[scene["position"]]
    cx, cy = (cx + rng.uniform(-0.05, 0.05)) * s, (cy + rng.uniform(-0.05, 0.05)) * s
    r = SIZES[scene["size"]] * s * rng.uniform(0.9, 1.1)
    angle = rng.uniform(-0.25, 0.25)  # radians; shapes are drawn slightly rotated
    _draw_shape(ImageDraw.Draw(img), scene["kind"], cx, cy, r, angle, fg)
    return img.resize((size, size), Image.LANCZOS)


def scene_captions(scene, rng, n=5):
    """n distinct captions of the scene, in different templates and word choices (at most 15 words)."""
    templates = rng.choice(len(_TEMPLATES), size=n, replace=False)
    captions = []
    for t in templates:
        text = _TEMPLATES[t].format(
            size=_choice(rng, _SIZE_WORDS[scene["size"]]),
            colour=scene["colour"],
            kind=scene["kind"],
            pos=_choice(rng, _POSITION_PHRASES[scene["position"]]),
            bg=scene["background"],
        )
        captions.append(text)
    return captions


def caption_words():
    """Every word any caption can use, sorted: the sample's vocabulary."""
    words = set(KINDS) | set(COLOURS) | set(BACKGROUNDS)
    for group in (_SIZE_WORDS.values(), _POSITION_PHRASES.values(), [_TEMPLATES]):
        for phrases in group:
            for phrase in phrases:
                words.update(w for w in phrase.split() if not w.startswith("{"))
    return sorted(words)


def _choice(rng, options):
    return options[rng.integers(len(options))]


def _jitter_colour(rgb, rng, amount):
    return tuple(int(np.clip(c + rng.integers(-amount, amount + 1), 0, 255)) for c in rgb)


def _draw_shape(draw, kind, cx, cy, r, angle, colour):
    if kind == "circle":
        draw.ellipse([cx - r, cy - r, cx + r, cy + r], fill=colour)
        return
    if kind == "square":
        pts = _polygon(4, r * 1.25, angle + np.pi / 4)
    elif kind == "triangle":
        pts = _polygon(3, r * 1.2, angle - np.pi / 2)
    elif kind == "star":
        outer, inner = _polygon(5, r * 1.25, angle - np.pi / 2), _polygon(5, r * 0.5, angle - np.pi / 2 + np.pi / 5)
        pts = [p for pair in zip(outer, inner) for p in pair]
    elif kind == "cross":
        w = 0.38 * r  # half-width of each bar
        corners = [(w, r), (w, w), (r, w), (r, -w), (w, -w), (w, -r),
                   (-w, -r), (-w, -w), (-r, -w), (-r, w), (-w, w), (-w, r)]
        c, s = np.cos(angle), np.sin(angle)
        pts = [(x * c - y * s, x * s + y * c) for x, y in corners]
    else:
        raise ValueError(f"unknown shape kind {kind!r}; expected one of {KINDS}")
    draw.polygon([(cx + x, cy + y) for x, y in pts], fill=colour)


def _polygon(n, radius, start):
    return [(radius * np.cos(start + 2 * np.pi * i / n), radius * np.sin(start + 2 * np.pi * i / n))
            for i in range(n)]
