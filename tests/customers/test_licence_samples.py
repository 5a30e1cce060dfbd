"""The generated 行驶证 and VIN-plate photos (issue 12) carry true fields that the archive
would accept, are the same for the same seed, and say clearly when the fonts are missing.
No OCR needed."""

import io
import random
from datetime import date

import pytest
from PIL import Image

from apps.customers import licence_samples
from apps.customers.licence import FIELDS
from apps.customers.licence_samples import (
    FontsMissing,
    fonts_available,
    licence_photo,
    random_fields,
    random_plate,
    random_vin,
    sample_set,
)
from apps.customers.validators import normalize_plate, normalize_vin

with_fonts = pytest.mark.skipif(not fonts_available(), reason="Debian fonts-noto-cjk missing")


def test_random_fields_are_valid_archive_values():
    rng = random.Random(5)
    for _ in range(200):
        fields = random_fields(rng)

        assert set(fields) == set(FIELDS)
        assert normalize_vin(fields["vin"]) == fields["vin"]  # check digit right
        assert normalize_plate(fields["plate"]) == fields["plate"]
        registered = date.fromisoformat(fields["registered_on"])
        assert date(2012, 1, 1) <= registered <= date.fromisoformat(fields["issued_on"])
        assert fields["vin"][13:].isdigit()


def test_new_energy_plates_and_vins_of_any_model_year_are_valid():
    rng = random.Random(6)
    for year in range(2010, 2040):
        assert normalize_vin(random_vin(rng, year=year))
    for _ in range(50):
        assert normalize_plate(random_plate(rng, new_energy=True))


@with_fonts
def test_the_sample_set_is_the_same_for_the_same_seed_and_decodes():
    first = sample_set(cards=2, plates=3, seed=4)
    again = sample_set(cards=2, plates=3, seed=4)
    other = sample_set(cards=2, plates=3, seed=5)

    assert [s.data for s in first] == [s.data for s in again]
    assert [s.truth for s in first] != [s.truth for s in other]
    assert [s.kind for s in first] == ["card", "card", "nameplate", "door", "windscreen"]
    for sample in first:
        image = Image.open(io.BytesIO(sample.data))
        assert image.format == "JPEG"
        assert min(image.size) > 200
        assert normalize_vin(sample.truth["vin"])


@with_fonts
def test_one_licence_photo_for_the_reception_flow():
    data, truth = licence_photo(3)

    assert Image.open(io.BytesIO(data)).format == "JPEG"
    assert set(truth) == set(FIELDS)
    assert licence_photo(3) == (data, truth)


def test_missing_fonts_are_said_clearly(monkeypatch, tmp_path):
    monkeypatch.setattr(licence_samples, "FONT_DIR", tmp_path)
    licence_samples._font.cache_clear()

    assert fonts_available() is False
    with pytest.raises(FontsMissing, match="fonts-noto-cjk"):
        sample_set(cards=1, plates=0)
    with pytest.raises(FontsMissing, match="fonts-noto-cjk"):
        licence_samples.render_card(random_fields(random.Random(1)))
    licence_samples._font.cache_clear()
