"""Hash lists: a written list reads back unchanged; bad rows are rejected one by one with their
line and reason; a file that is no hash list is refused; images hash in ThreatExchange order."""

from __future__ import annotations

import io
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from tipnet.errors import InvalidInput
from tipnet.link.hashlists import (
    MAX_REJECTS_KEPT,
    image_pdq,
    pdq_of_pixels,
    read_hash_list,
    write_hash_list,
)
from tipnet.link.pdq_index import array_to_hex

GOOD = "f" * 16 + "0" * 16 + "a5" * 16
OTHER = "0123456789abcdef" * 4


def test_round_trip_keeps_hashes_qualities_and_metadata(tmp_path: Path) -> None:
    rng = np.random.default_rng(1)
    hashes = rng.integers(0, 256, (250, 32), dtype=np.uint8)
    qualities = rng.integers(50, 101, 250)
    qualities[::7] = -1  # not given
    metadata = [
        {
            "list_name": "ncmec-like",
            "source": f"platform {i % 3}",
            "label": 'lure, "quoted"',
            "added_at": "2024-05-01T00:00:00Z",
            "note": "é\nsecond line" if i == 3 else "",
        }
        for i in range(250)
    ]
    path = tmp_path / "list.csv"
    assert write_hash_list(path, hashes, qualities=qualities, metadata=metadata) == 250
    back = read_hash_list(path)
    assert np.array_equal(back.hashes, hashes)
    assert back.qualities.tolist() == qualities.tolist()
    assert back.metadata == metadata
    assert back.metadata_columns == ("list_name", "source", "label", "added_at", "note")
    assert back.rejects == [] and not back.reject_counts
    again = tmp_path / "again.csv"
    write_hash_list(again, back.hashes, qualities=back.qualities, metadata=back.metadata)
    assert again.read_text(encoding="utf-8") == path.read_text(encoding="utf-8")


def test_hashes_alone_round_trip() -> None:
    hashes = np.arange(64, dtype=np.uint8).reshape(2, 32)
    buffer = io.StringIO()
    write_hash_list(buffer, hashes)
    assert buffer.getvalue().splitlines()[0] == "pdq_hex"
    back = read_hash_list(io.StringIO(buffer.getvalue()))
    assert np.array_equal(back.hashes, hashes)
    assert back.qualities.tolist() == [-1, -1]
    assert back.metadata == [{}, {}]


def test_bad_rows_are_rejected_with_line_and_reason() -> None:
    text = "\n".join(
        [
            "pdq_hex,quality,label",
            f"{GOOD},90,kept",  # line 2
            f"{GOOD[:-1]},90,short",  # 3
            f"{GOOD[:-1]}g,90,not hex",  # 4
            f"{GOOD},101,too high",  # 5
            f"{GOOD},ninety,not a number",  # 6
            f"{GOOD},49,low",  # 7
            f"{OTHER},,no quality",  # 8
            ",80,no hash",  # 9
            f"{GOOD},80,x,extra",  # 10
            "",  # 11: blank, ignored
            f"  {OTHER.upper()}  ,50,edge",  # 12
        ]
    )
    result = read_hash_list(io.StringIO(text))
    assert array_to_hex(result.hashes) == [GOOD, OTHER, OTHER]
    assert result.qualities.tolist() == [90, -1, 50]
    assert [row["label"] for row in result.metadata] == ["kept", "no quality", "edge"]
    assert [(r.line, r.kind) for r in result.rejects] == [
        (3, "wrong length"),
        (4, "bad hex"),
        (5, "bad quality"),
        (6, "bad quality"),
        (7, "low quality"),
        (9, "missing hash"),
        (10, "extra fields"),
    ]
    assert result.reject_counts["bad quality"] == 2 and result.reject_counts["low quality"] == 1
    assert "63" in result.rejects[0].reason and "49 < 50" in result.rejects[4].reason


def test_minimum_quality_can_be_changed() -> None:
    text = f"pdq_hex,quality\n{GOOD},30\n{OTHER},10\n"
    assert len(read_hash_list(io.StringIO(text), min_quality=20)) == 1
    assert len(read_hash_list(io.StringIO(text), min_quality=0)) == 2


@pytest.mark.parametrize("column", ["pdq", "PDQ_Hash", "hash"])
def test_threatexchange_style_columns(column: str) -> None:
    result = read_hash_list(io.StringIO(f"{column},tags\n{GOOD},nsfw\n"))
    assert array_to_hex(result.hashes) == [GOOD]
    assert result.metadata == [{"tags": "nsfw"}]


def test_pdq_column_wins_over_a_generic_hash_column() -> None:
    md5 = "d41d8cd98f00b204e9800998ecf8427e"
    result = read_hash_list(io.StringIO(f"hash,pdq\n{md5},{GOOD}\n"))
    assert array_to_hex(result.hashes) == [GOOD]
    assert result.metadata == [{"hash": md5}]


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("", "empty"),
        ("name,label\nx,y\n", "no hash column"),
        (f"{GOOD},90\n", "looks like a hash"),
        ("pdq_hex,label,Label\n", "repeats"),
    ],
)
def test_files_that_are_no_hash_list_are_refused(text: str, message: str) -> None:
    with pytest.raises(InvalidInput, match=message):
        read_hash_list(io.StringIO(text))


def test_rejects_are_counted_past_the_kept_ones() -> None:
    text = "pdq_hex\n" + "bad\n" * (MAX_REJECTS_KEPT + 10) + f"{GOOD}\n"
    result = read_hash_list(io.StringIO(text))
    assert len(result) == 1
    assert len(result.rejects) == MAX_REJECTS_KEPT
    assert result.reject_counts["wrong length"] == MAX_REJECTS_KEPT + 10


def test_excel_bom_is_read(tmp_path: Path) -> None:
    path = tmp_path / "excel.csv"
    path.write_bytes(("\ufeffpdq_hex,quality\r\n" + f"{GOOD},77\r\n").encode())
    result = read_hash_list(path)
    assert array_to_hex(result.hashes) == [GOOD] and result.qualities.tolist() == [77]


def test_writer_refuses_mismatched_inputs() -> None:
    hashes = np.zeros((2, 32), dtype=np.uint8)
    with pytest.raises(InvalidInput, match="qualities"):
        write_hash_list(io.StringIO(), hashes, qualities=[90])
    with pytest.raises(InvalidInput, match="metadata"):
        write_hash_list(io.StringIO(), hashes, metadata=[{}])
    with pytest.raises(InvalidInput, match="column names"):
        write_hash_list(io.StringIO(), hashes, metadata=[{"quality": "1"}, {}])


def textured(seed: int, size: int = 96) -> np.ndarray:
    rng = np.random.default_rng(seed)
    small = rng.integers(0, 256, (12, 12, 3), dtype=np.uint8)
    return np.asarray(Image.fromarray(small).resize((size, size), Image.Resampling.BICUBIC))


def test_image_hash_is_in_threatexchange_hex_order(tmp_path: Path) -> None:
    import pdqhash

    pixels = textured(3)
    bits, quality = pdqhash.compute(pixels)
    digest, our_quality = pdq_of_pixels(pixels)
    assert our_quality == quality
    text = array_to_hex(digest[None, :])[0]
    # python-threatexchange: the bit vector read as one binary number, as 64 hex digits.
    assert text == format(int("".join(str(int(bit)) for bit in bits), 2), "064x")
    # C++ Hash256::format: word 15 first; pdqhash's vector holds bit k of word k // 16 at
    # position 255 - k.
    words = [int(text[4 * (15 - w) : 4 * (16 - w)], 16) for w in range(16)]
    assert all((words[k // 16] >> (k % 16)) & 1 == bits[255 - k] for k in range(256))
    path = tmp_path / "picture.png"
    Image.fromarray(pixels).save(path)
    assert array_to_hex(image_pdq(path)[0][None, :]) == [text]


def test_flat_pictures_have_low_quality_and_photos_do_not() -> None:
    flat = np.full((64, 64, 3), 128, dtype=np.uint8)
    assert pdq_of_pixels(flat)[1] < 50
    assert pdq_of_pixels(textured(4))[1] >= 50


def test_unreadable_images_are_refused(tmp_path: Path) -> None:
    with pytest.raises(InvalidInput, match="no image"):
        image_pdq(tmp_path / "missing.jpg")
    junk = tmp_path / "junk.jpg"
    junk.write_bytes(b"not an image")
    with pytest.raises(InvalidInput, match="not an image"):
        image_pdq(junk)
    with pytest.raises(InvalidInput, match="pixels"):
        pdq_of_pixels(np.zeros((4, 4), dtype=np.uint8))


def test_metadata_that_could_start_a_formula_is_escaped_on_disk_and_read_back_as_sent() -> None:
    hashes = np.arange(64, dtype=np.uint8).reshape(2, 32)
    metadata = [{"source": '=HYPERLINK("http://x")'}, {"source": "@SUM(1)"}]
    buffer = io.StringIO()
    write_hash_list(buffer, hashes, metadata=metadata)
    written = buffer.getvalue()
    assert "'=HYPERLINK" in written and "'@SUM" in written
    assert read_hash_list(io.StringIO(written)).metadata == metadata
