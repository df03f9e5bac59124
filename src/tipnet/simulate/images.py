"""Procedural pictures (no real photos), the edits posters make when they reuse them, and their
hashes.

An *original* is drawn from a seed: a colour texture made of cosines at the 16x16 lowest
frequencies PDQ reads, each with the same strength and a random sign, so its 256 hash bits are
random (unrelated originals are about 128 bits apart) and each sits far from PDQ's median
threshold (small edits flip few). Logos are a few flat shapes: low PDQ quality, which DESIGN.md
says to ignore. Originals are posted as JPEG files.

A *copy* is the original's JPEG decoded, edited and saved again at a lower JPEG quality:

- ``mild`` (most copies): crop of at most 1.5% per side, resize, brightness, a small watermark;
  always within PDQ distance 31 of its original (checked; redrawn in the rare case it is not).
- ``mirror``: a mild copy, mirrored. Within 31 of the original only through PDQ's dihedral
  hashes (hash the 8 rotations and flips of the query), as real flipped reposts are.
- ``recrop``: 4 to 10% cut from one or two sides. PDQ is not built to survive that (an
  asymmetric crop shifts every frequency it reads); most such copies end up beyond 31, as they do
  in real life. Their distance is in the truth.

Every hash is taken on the decoded bytes of the very file that is (or would be) written, so
writing image files or not never changes a hash.
"""

from __future__ import annotations

import hashlib
import io
import random
from dataclasses import dataclass
from functools import cache

import numpy as np
import numpy.typing as npt
from PIL import Image, ImageDraw, ImageFont

from tipnet.simulate.pdq import MATCH_DISTANCE, distance, pdq

SIZE = 64
FREQUENCIES = 16  # PDQ keeps the 16x16 lowest DCT frequencies of a 64x64 reduction
ORIGINAL_QUALITY = 92
MILD_CROP = 0.015
WATERMARKS = ("adsboard", "nightlist", "relaxads", "photogram", "jobhub", "VIP", "HOT", "NEW")

UInt8Array = npt.NDArray[np.uint8]


@dataclass(frozen=True)
class Picture:
    jpeg: bytes
    pdq: bytes
    quality: int
    sha256: str
    md5: str
    width: int
    height: int
    edits: tuple[str, ...] = ()
    match: str = "original"  # how PDQ at <= 31 finds its original: plain, dihedral or none
    distance: int = 0  # to its original


def original(seed: int, *, flat: bool) -> tuple[Picture, Image.Image]:
    """The original and its decoded file (what copies are made from)."""
    return originals([seed], [flat])[0]


def originals(seed_list: list[int], flat: list[bool]) -> list[tuple[Picture, Image.Image]]:
    """Many originals at once (photos are drawn in one NumPy batch)."""
    photo_seeds = [seed for seed, logo in zip(seed_list, flat, strict=True) if not logo]
    photos = iter(_photos(photo_seeds))
    done = []
    for seed, logo in zip(seed_list, flat, strict=True):
        image = _logo(seed) if logo else Image.fromarray(next(photos))
        picture, decoded, _ = _finish(image, ORIGINAL_QUALITY)
        done.append((picture, decoded))
    return done


def copy(source: Picture, decoded: Image.Image, seed: int, *, kind: str) -> Picture:
    """An edited copy of ``source`` (its decoded file); ``kind`` is mild, mirror or recrop."""
    for attempt in range(8):
        rng = random.Random(seed + attempt)
        image = decoded
        edits: list[str] = []
        if kind == "recrop":
            image = _crop(image, rng, sides=rng.randint(1, 2), low=0.04, high=0.10)
            edits.append("recrop")
        elif rng.random() < 0.5:
            image = _crop(image, rng, sides=4, low=0.0, high=MILD_CROP)
            edits.append("crop")
        if rng.random() < 0.5:
            factor = rng.uniform(0.6, 1.3)
            size = (max(32, round(image.width * factor)), max(32, round(image.height * factor)))
            image = image.resize(size, Image.Resampling.BILINEAR)
            edits.append("resize")
        if rng.random() < 0.5:
            factor = rng.uniform(0.8, 1.2)
            image = image.point([min(255, int(v * factor)) for v in range(256)] * 3)
            edits.append("brightness")
        if rng.random() < 0.3:
            image = image.copy() if image is decoded else image
            _watermark(image, rng)
            edits.append("watermark")
        if kind == "mirror":
            image = image.transpose(Image.Transpose.FLIP_LEFT_RIGHT)
            edits.append("mirror")
        quality = rng.randrange(55, 91)
        edits.append(f"jpeg{quality}")
        picture, _, pixels = _finish(image, quality)
        plain = distance(picture.pdq, source.pdq)
        if kind == "recrop":
            match = "plain" if plain <= MATCH_DISTANCE else "none"
            return _with(picture, edits, match, plain)
        if kind == "mirror":
            unflipped = pdq(np.ascontiguousarray(pixels[:, ::-1]))[0]
            if distance(unflipped, source.pdq) <= MATCH_DISTANCE:
                return _with(picture, edits, "dihedral", plain)
        elif plain <= MATCH_DISTANCE:
            return _with(picture, edits, "plain", plain)
    # Eight unlucky draws in a row: a plain recompression always stays close.
    picture, _, _ = _finish(decoded, 70)
    return _with(picture, ["jpeg70"], "plain", distance(picture.pdq, source.pdq))


def _with(picture: Picture, edits: list[str], match: str, gap: int) -> Picture:
    return Picture(
        picture.jpeg,
        picture.pdq,
        picture.quality,
        picture.sha256,
        picture.md5,
        picture.width,
        picture.height,
        tuple(edits),
        match,
        gap,
    )


def _finish(image: Image.Image, quality: int) -> tuple[Picture, Image.Image, UInt8Array]:
    """Save as JPEG and hash what the file decodes to: (picture, decoded file, its pixels)."""
    buffer = io.BytesIO()
    image.save(buffer, format="JPEG", quality=quality)
    jpeg = buffer.getvalue()
    decoded_image = Image.frombytes("RGB", image.size, jpeg, "jpeg", "RGB", "")
    decoded = np.asarray(decoded_image, dtype=np.uint8)
    digest, pdq_quality = pdq(decoded)
    picture = Picture(
        jpeg=jpeg,
        pdq=digest,
        quality=pdq_quality,
        sha256=hashlib.sha256(jpeg).hexdigest(),
        md5=hashlib.md5(jpeg, usedforsecurity=False).hexdigest(),
        width=decoded.shape[1],
        height=decoded.shape[0],
    )
    return picture, decoded_image, decoded


def _crop(
    image: Image.Image, rng: random.Random, *, sides: int, low: float, high: float
) -> Image.Image:
    cuts = [0.0, 0.0, 0.0, 0.0]
    for side in rng.sample(range(4), sides):
        cuts[side] = rng.uniform(low, high)
    width, height = image.size
    box = (
        round(cuts[0] * width),
        round(cuts[1] * height),
        width - round(cuts[2] * width),
        height - round(cuts[3] * height),
    )
    return image.crop(box)


def _watermark(image: Image.Image, rng: random.Random) -> None:
    draw = ImageDraw.Draw(image)
    x = rng.randrange(2, max(3, image.width // 3))
    y = image.height - 14 - rng.randrange(0, 4)
    colour = (255, 255, 255) if rng.random() < 0.5 else (0, 0, 0)
    draw.text((x, y), rng.choice(WATERMARKS), fill=colour, font=_font())


def _photos(seed_list: list[int]) -> list[UInt8Array]:
    """Photo-like originals, each from its own seed, drawn in batches with NumPy. Every
    frequency gets the same strength (0.7 to 1.3) and a random sign; the three colour channels
    share the signs so that colour does not blur the hash."""
    out: list[UInt8Array] = []
    basis = _basis()
    cells = FREQUENCIES * FREQUENCIES
    for at in range(0, len(seed_list), 64):
        batch = np.array(seed_list[at : at + 64], dtype=np.uint64)[:, None]
        bits = _splitmix(batch ^ (np.arange(4 * cells, dtype=np.uint64)[None, :] * _GOLDEN))
        signs = np.where(bits[:, :cells] & np.uint64(1), 1.0, -1.0).astype(np.float32)
        signs[:, 0] = 0.0  # no DC: brightness is set by the scaling below
        unit = (bits[:, cells:] >> np.uint64(11)).astype(np.float64) / 2.0**53
        strength = (0.7 + 0.6 * unit).astype(np.float32).reshape(-1, 3, cells)
        spectra = (signs[:, None, :] * strength).reshape(-1, 3, FREQUENCIES, FREQUENCIES)
        fields = basis.T @ spectra @ basis  # (batch, channel, SIZE, SIZE)
        low = fields.min(axis=(1, 2, 3), keepdims=True)
        high = fields.max(axis=(1, 2, 3), keepdims=True)
        scaled = (fields - low) * (220.0 / np.maximum(high - low, 1e-6)) + 18.0
        pixels = np.ascontiguousarray(scaled.astype(np.uint8).transpose(0, 2, 3, 1))
        out.extend(pixels)
    return out


_GOLDEN = np.uint64(0x9E3779B97F4A7C15)


def _splitmix(values: npt.NDArray[np.uint64]) -> npt.NDArray[np.uint64]:
    z = values + _GOLDEN
    z = (z ^ (z >> np.uint64(30))) * np.uint64(0xBF58476D1CE4E5B9)
    z = (z ^ (z >> np.uint64(27))) * np.uint64(0x94D049BB133111EB)
    return z ^ (z >> np.uint64(31))


def _logo(seed: int) -> Image.Image:
    """A flat graphic: a background and one or two large solid shapes."""
    rng = random.Random(seed)
    background = (rng.randrange(256), rng.randrange(256), rng.randrange(256))
    image = Image.new("RGB", (SIZE, SIZE), background)
    draw = ImageDraw.Draw(image)
    for _ in range(1 if rng.random() < 0.7 else 2):
        x0, y0 = rng.randrange(0, SIZE // 2), rng.randrange(0, SIZE // 2)
        x1, y1 = x0 + rng.randrange(SIZE // 3, SIZE // 2), y0 + rng.randrange(SIZE // 3, SIZE // 2)
        colour = (rng.randrange(256), rng.randrange(256), rng.randrange(256))
        if rng.random() < 0.5:
            draw.ellipse((x0, y0, x1, y1), fill=colour)
        else:
            draw.rectangle((x0, y0, x1, y1), fill=colour)
    return image


@cache
def _basis() -> npt.NDArray[np.float32]:
    x = np.arange(SIZE)
    u = np.arange(FREQUENCIES)[:, None]
    return np.cos(np.pi * (2 * x + 1) * u / (2 * SIZE)).astype(np.float32)


@cache
def _font() -> ImageFont.ImageFont | ImageFont.FreeTypeFont:
    return ImageFont.load_default()
