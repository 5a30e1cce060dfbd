"""The one text normaliser every form, the import and the services use."""

import pytest

from apps.core.text import normalize_text


@pytest.mark.parametrize(
    ("typed", "expected"),
    [
        ("  王  芳 ", "王 芳"),
        ("王\u00a0芳", "王 芳"),  # non-breaking space
        ("王\u3000芳", "王 芳"),  # ideographic space
        ("\ufeff王芳\u200b", "王芳"),  # zero-width characters
        ("ＡＢＣ汽车服务有限公司", "ABC汽车服务有限公司"),  # full-width letters
        ("１３８", "138"),
        ("a\tb\nc", "a b c"),
        ("", ""),
        (None, ""),
        (13812345678, "13812345678"),
    ],
)
def test_normalize_text_gives_half_width_single_spaced_trimmed_text(typed, expected):
    assert normalize_text(typed) == expected
