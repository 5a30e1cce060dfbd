"""Licence photos (行驶证, issue 12 point 3): the services that store a photo, read it,
confirm it for a car (never a duplicate), and erase it (PIPL).

The reading runs the real OCR engine on a rendered card (a few seconds each on this
machine); the other tests start from a scan as the task leaves it (tests.factories.licences).
"""

import datetime as dt
import threading

import pytest
import time_machine
from django.core.exceptions import ValidationError
from django.core.files.base import ContentFile
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from PIL import ImageFile

from apps.customers import licence_scans, selectors
from apps.customers.models import Customer, LicenceScan, Vehicle
from apps.customers.validators import vin_check_digit
from tests.factories.clock import SHANGHAI
from tests.factories.customers import CustomerFactory, VehicleFactory, valid_vin
from tests.factories.licences import Card, card_photo, licence_scan, needs_the_ocr_extra
from tests.factories.workorders import png_bytes

pytestmark = pytest.mark.django_db

CARD = Card()


@pytest.fixture(autouse=True)
def private_root(settings, tmp_path):
    settings.PRIVATE_ROOT = tmp_path / "private"
    return settings.PRIVATE_ROOT


@pytest.fixture
def advisor(user_with_role):
    return user_with_role("advisor")


def _stored_files(root) -> list[str]:
    return sorted(p.name for p in root.rglob("*") if p.is_file()) if root.exists() else []


def _new_car(**fields) -> Vehicle:
    """The car as the confirm form gives it (unsaved), with the card's values."""
    values = {
        "plate": CARD.plate,
        "vin": CARD.vin,
        "brand": "大众",
        "model_name": "FV7152FBDBG",
        "engine_number": CARD.engine_number,
        "sale_date": dt.date(2021, 5, 20),
    }
    return Vehicle(**(values | fields))


# --- upload -----------------------------------------------------------------------------------


def test_an_uploaded_photo_is_stored_privately_and_its_reading_queued_after_commit(
    advisor, private_root, django_capture_on_commit_callbacks
):
    photo = card_photo()
    upload = SimpleUploadedFile("IMG_0001.JPG", photo, content_type="image/jpeg")

    with django_capture_on_commit_callbacks(execute=False) as queued:
        scan = licence_scans.licence_scan_upload(upload=upload, by=advisor)

    scan.refresh_from_db()
    assert (scan.status, scan.content_type, scan.uploaded_by, scan.vehicle) == (
        LicenceScan.Status.PENDING,
        "image/jpeg",
        advisor,
        None,
    )
    assert scan.image.name.startswith("licences/") and scan.image.name.endswith(".jpg")
    assert (private_root / scan.image.name).read_bytes() == photo
    assert len(queued) == 1  # the task, sent once the transaction commits


@pytest.mark.parametrize(
    ("content", "name"),
    [
        (b"<svg xmlns='http://www.w3.org/2000/svg'><script>alert(1)</script></svg>", "a.jpg"),
        (b"%PDF-1.7 not a photo", "licence.png"),
        (card_photo()[:2000], "truncated.jpg"),  # starts like a JPEG, breaks off
    ],
)
def test_a_file_that_is_not_a_whole_photo_is_refused_in_chinese_and_nothing_is_stored(
    advisor, private_root, content, name, monkeypatch
):
    # As WeasyPrint leaves Pillow once imported (weasyprint/images.py): truncated files load.
    monkeypatch.setattr(ImageFile, "LOAD_TRUNCATED_IMAGES", True)
    upload = SimpleUploadedFile(name, content, content_type="image/jpeg")

    with pytest.raises(ValidationError) as refused:
        licence_scans.licence_scan_upload(upload=upload, by=advisor)

    assert refused.value.message_dict == {"image": [licence_scans.PHOTO_REFUSED]}
    assert LicenceScan.objects.count() == 0
    assert _stored_files(private_root) == []


def test_a_photo_over_ten_megabytes_is_refused(advisor, monkeypatch):
    monkeypatch.setattr(licence_scans, "PHOTO_MAX_BYTES", 1000)
    upload = SimpleUploadedFile("big.png", png_bytes(400, 300), content_type="image/png")

    with pytest.raises(ValidationError) as refused:
        licence_scans.licence_scan_upload(upload=upload, by=advisor)

    assert refused.value.message_dict == {"image": ["照片不能超过 10 MB。"]}
    assert LicenceScan.objects.count() == 0


# --- reading ----------------------------------------------------------------------------------


def _pending(advisor, content: bytes, name="licence.jpg") -> LicenceScan:
    scan = LicenceScan(content_type="image/jpeg", uploaded_by=advisor)
    scan.image.save(name, ContentFile(content), save=False)
    scan.save()
    return scan


@needs_the_ocr_extra
def test_reading_a_photo_of_a_licence_stores_every_field_of_the_card(advisor):
    scan = _pending(advisor, card_photo(CARD))

    result = licence_scans.licence_scan_read(scan_id=scan.pk)

    scan.refresh_from_db()
    assert (result, scan.status, scan.error, scan.attempts) == (
        "read",
        LicenceScan.Status.READ,
        "",
        1,
    )
    assert scan.read_at is not None
    values = {name: field["value"] for name, field in scan.reading["fields"].items()}
    assert values == {
        "plate": CARD.plate,
        "vin": CARD.vin,
        "engine_number": CARD.engine_number,
        "owner": CARD.owner,
        "address": CARD.address,
        "brand_model": CARD.brand_model,
        "vehicle_type": CARD.vehicle_type,
        "use_character": CARD.use_character,
        "registered_on": CARD.registered_on,
        "issued_on": CARD.issued_on,
    }
    assert scan.reading["lines"][0] == "中华人民共和国机动车行驶证"


def test_a_second_reading_of_a_read_photo_changes_nothing(advisor):
    scan = licence_scan(by=advisor)
    before = LicenceScan.objects.values().get(pk=scan.pk)

    result = licence_scans.licence_scan_read(scan_id=scan.pk)

    assert result == "skipped"
    assert LicenceScan.objects.values().get(pk=scan.pk) == before


def test_a_reading_stored_first_by_another_run_is_not_overwritten(advisor):
    scan = _pending(advisor, card_photo())
    licence_scans.licence_scan_finish(scan_id=scan.pk, error="第一次识别的结果")

    stored = licence_scans.licence_scan_finish(scan_id=scan.pk, reading={"fields": {}})

    scan.refresh_from_db()
    assert stored is False
    assert (scan.status, scan.error, scan.reading) == (
        LicenceScan.Status.FAILED,
        "第一次识别的结果",
        {},
    )


def test_a_file_the_engine_cannot_decode_fails_with_the_engines_chinese_message(advisor):
    # Stored behind the upload's back (the upload refuses such a file).
    scan = _pending(advisor, b"\xff\xd8\xff\xe0 not really a JPEG")

    result = licence_scans.licence_scan_read(scan_id=scan.pk)

    scan.refresh_from_db()
    assert (result, scan.status) == ("failed", LicenceScan.Status.FAILED)
    assert scan.error == "无法识别图片:文件不是有效的图片,请重新拍摄。"
    assert scan.reading == {}


def test_a_photo_whose_file_is_gone_fails_with_a_message(advisor, private_root):
    scan = _pending(advisor, card_photo())
    (private_root / scan.image.name).unlink()

    result = licence_scans.licence_scan_read(scan_id=scan.pk)

    scan.refresh_from_db()
    assert (result, scan.status, scan.error) == (
        "failed",
        LicenceScan.Status.FAILED,
        licence_scans.MESSAGES["file_missing"],
    )


def test_a_photo_out_of_attempts_fails_instead_of_being_read_forever(advisor):
    scan = _pending(advisor, card_photo())
    LicenceScan.objects.filter(pk=scan.pk).update(attempts=licence_scans.MAX_ATTEMPTS)

    result = licence_scans.licence_scan_read(scan_id=scan.pk)

    scan.refresh_from_db()
    assert (result, scan.status, scan.error) == (
        "failed",
        LicenceScan.Status.FAILED,
        licence_scans.MESSAGES["attempts"],
    )


def test_a_scan_deleted_before_its_reading_is_skipped():
    assert licence_scans.licence_scan_read(scan_id=987654) == "skipped"


# --- confirming it for a car ------------------------------------------------------------------


def test_confirming_a_new_car_creates_the_owner_and_the_car_and_keeps_the_photo_with_it(
    advisor,
):
    scan = licence_scan(by=advisor)

    outcome = licence_scans.licence_scan_register(
        scan=scan,
        by=advisor,
        vehicle=_new_car(),
        owner=Customer(name=CARD.owner, mobile="13700001111", address=CARD.address),
    )

    vehicle = Vehicle.objects.select_related("owner").get()
    assert (outcome.vehicle, outcome.created, outcome.customer_created) == (vehicle, True, True)
    assert (vehicle.vin, vehicle.plate, vehicle.engine_number, vehicle.owner.name) == (
        CARD.vin,
        CARD.plate,
        CARD.engine_number,
        CARD.owner,
    )
    assert list(vehicle.ownerships.values_list("customer__name", "ended_on")) == [
        (CARD.owner, None)
    ]
    scan.refresh_from_db()
    assert (scan.vehicle, scan.customer) == (vehicle, vehicle.owner)
    assert scan.attached_at is not None


def test_a_car_already_filed_under_the_confirmed_vin_is_opened_and_nothing_is_created(advisor):
    filed = VehicleFactory(vin=CARD.vin, plate="粤B00001")
    scan = licence_scan(by=advisor)
    counts = (Customer.objects.count(), Vehicle.objects.count())

    outcome = licence_scans.licence_scan_register(
        scan=scan,
        by=advisor,
        vehicle=_new_car(),
        owner=Customer(name=CARD.owner, mobile="13700001111"),
    )

    assert (outcome.vehicle, outcome.created, outcome.matched_by) == (filed, False, "vin")
    assert (Customer.objects.count(), Vehicle.objects.count()) == counts
    scan.refresh_from_db()
    assert (scan.vehicle, scan.customer) == (filed, filed.owner)


def test_a_car_already_filed_under_the_plate_is_opened_instead_of_a_second_car(advisor):
    filed = VehicleFactory(plate=CARD.plate)
    scan = licence_scan(by=advisor)

    outcome = licence_scans.licence_scan_register(
        scan=scan, by=advisor, vehicle=_new_car(), owner=Customer(name="李明", mobile="13700001111")
    )

    assert (outcome.vehicle, outcome.created, outcome.matched_by) == (filed, False, "plate")
    assert Vehicle.objects.count() == 1


def test_an_owner_already_filed_with_the_same_mobile_and_name_gets_the_car(advisor):
    owner = CustomerFactory(name=CARD.owner, mobile="13700001111")
    scan = licence_scan(by=advisor)

    outcome = licence_scans.licence_scan_register(
        scan=scan,
        by=advisor,
        vehicle=_new_car(),
        owner=Customer(name=CARD.owner, mobile="13700001111"),
    )

    assert (outcome.created, outcome.customer_created, outcome.vehicle.owner) == (
        True,
        False,
        owner,
    )
    assert Customer.objects.count() == 1


def test_a_vin_failing_its_check_digit_is_refused_and_nothing_is_written(advisor):
    body = CARD.vin
    wrong = body[:8] + ("0" if vin_check_digit(body) != "0" else "1") + body[9:]
    scan = licence_scan(by=advisor)

    with pytest.raises(ValidationError) as refused:
        licence_scans.licence_scan_register(
            scan=scan,
            by=advisor,
            vehicle=_new_car(vin=wrong),
            owner=Customer(name=CARD.owner, mobile="13700001111"),
        )

    assert "校验位" in refused.value.message_dict["vin"][0]
    assert (Customer.objects.count(), Vehicle.objects.count()) == (0, 0)
    scan.refresh_from_db()
    assert scan.vehicle is None


def test_the_car_created_by_another_advisor_after_the_check_is_opened_not_doubled(
    advisor, monkeypatch
):
    # Given another advisor's confirmation commits the car between this one's check and write
    other = VehicleFactory(vin=CARD.vin, plate=CARD.plate)
    real = selectors.vehicle_for_licence
    answers = iter([(None, "")])
    monkeypatch.setattr(
        licence_scans, "vehicle_for_licence", lambda **kw: next(answers, None) or real(**kw)
    )
    scan = licence_scan(by=advisor)

    outcome = licence_scans.licence_scan_register(
        scan=scan,
        by=advisor,
        vehicle=_new_car(),
        owner=Customer(name=CARD.owner, mobile="13700001111"),
    )

    # Then the unique VIN refused the second car, and its owner was rolled back with it
    assert (outcome.vehicle, outcome.created) == (other, False)
    assert list(Vehicle.objects.all()) == [other]
    assert list(Customer.objects.all()) == [other.owner]
    scan.refresh_from_db()
    assert scan.vehicle == other


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_two_advisors_confirming_the_same_car_at_once_make_one_car(user_with_role, monkeypatch):
    # Given two photos of one card, confirmed at the same moment: both find no car first
    advisors = [user_with_role("advisor"), user_with_role("advisor")]
    scans = [licence_scan(by=advisor) for advisor in advisors]
    both_checked = threading.Barrier(2, timeout=10)
    real = selectors.vehicle_for_licence
    first_check = threading.local()

    def checked_then_wait(**kwargs):
        found = real(**kwargs)
        if not getattr(first_check, "done", False):
            first_check.done = True
            both_checked.wait()
        return found

    outcomes, errors = [], []

    def confirm(scan, advisor, mobile):
        try:
            outcomes.append(
                licence_scans.licence_scan_register(
                    scan=scan,
                    by=advisor,
                    vehicle=_new_car(),
                    owner=Customer(name=CARD.owner, mobile=mobile),
                )
            )
        except Exception as error:  # reported by the assert below
            errors.append(error)
        finally:
            connection.close()

    monkeypatch.setattr(licence_scans, "vehicle_for_licence", checked_then_wait)
    threads = [
        threading.Thread(target=confirm, args=(scan, advisor, mobile))
        for scan, advisor, mobile in zip(
            scans, advisors, ["13700001111", "13700002222"], strict=True
        )
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(30)

    # Then one car, one owner; both photos are kept with that car
    assert errors == []
    vehicle = Vehicle.objects.get()
    assert sorted(outcome.created for outcome in outcomes) == [False, True]
    assert {outcome.vehicle.pk for outcome in outcomes} == {vehicle.pk}
    assert Customer.objects.count() == 1
    assert set(LicenceScan.objects.values_list("vehicle_id", flat=True)) == {vehicle.pk}


def test_a_photo_kept_with_one_car_is_not_moved_to_another(advisor):
    first, second = VehicleFactory(), VehicleFactory()
    scan = licence_scan(by=advisor, vehicle=first)

    with pytest.raises(ValidationError) as refused:
        licence_scans.licence_scan_attach(scan=scan, vehicle=second, by=advisor)
    licence_scans.licence_scan_attach(scan=scan, vehicle=first, by=advisor)  # again: fine

    assert refused.value.messages == ["这张照片已关联到另一辆车,请重新拍照。"]
    scan.refresh_from_db()
    assert scan.vehicle == first


def test_a_photo_still_being_read_cannot_be_confirmed(advisor):
    scan = licence_scan(by=advisor, status=LicenceScan.Status.PENDING)

    with pytest.raises(ValidationError) as refused:
        licence_scans.licence_scan_attach(scan=scan, vehicle=VehicleFactory(), by=advisor)

    assert refused.value.messages == ["照片还在识别中,请稍候。"]


# --- erasure and retention (PIPL) -------------------------------------------------------------


def test_erasing_a_photo_deletes_the_row_and_then_the_file(
    advisor, private_root, django_capture_on_commit_callbacks
):
    scan = licence_scan(by=advisor, vehicle=VehicleFactory())
    path = private_root / scan.image.name

    with django_capture_on_commit_callbacks(execute=True):
        licence_scans.licence_scan_erase(scan=scan, by=advisor)

    assert not LicenceScan.objects.filter(pk=scan.pk).exists()
    assert not path.exists()


def test_the_erasure_of_a_person_deletes_their_licence_photos_only(
    advisor, private_root, django_capture_on_commit_callbacks
):
    theirs = VehicleFactory()
    others = VehicleFactory()
    erased = [licence_scan(by=advisor, vehicle=theirs), licence_scan(by=advisor, vehicle=theirs)]
    kept = licence_scan(by=advisor, vehicle=others)

    with django_capture_on_commit_callbacks(execute=True):
        count = licence_scans.licence_scans_erase_for_customer(customer=theirs.owner, by=advisor)

    assert count == 2
    assert list(LicenceScan.objects.all()) == [kept]
    assert [(private_root / s.image.name).exists() for s in [*erased, kept]] == [
        False,
        False,
        True,
    ]


def test_an_erasure_rolled_back_keeps_the_file(advisor, private_root):
    scan = licence_scan(by=advisor)

    # django_db wraps the test in a transaction that is rolled back: on_commit never runs
    licence_scans.licence_scan_erase(scan=scan, by=advisor)

    assert (private_root / scan.image.name).exists()


@time_machine.travel(dt.datetime(2026, 11, 17, 9, 30, tzinfo=SHANGHAI), tick=False)
def test_the_sweep_erases_photos_never_confirmed_after_a_day_and_keeps_the_rest(
    advisor, private_root, django_capture_on_commit_callbacks
):
    now = dt.datetime(2026, 11, 17, 9, 30, tzinfo=SHANGHAI)
    stale = licence_scan(by=advisor)  # taken 2026-11-16 09:05: more than 24 hours ago
    attached = licence_scan(by=advisor, vehicle=VehicleFactory())
    recent = licence_scan(by=advisor)
    LicenceScan.objects.filter(pk=recent.pk).update(created_at=now - dt.timedelta(hours=23))

    with django_capture_on_commit_callbacks(execute=True):
        result = licence_scans.licence_scans_sweep(now=now)

    assert result == {"erased": 1, "requeued": 0}
    assert sorted(LicenceScan.objects.values_list("pk", flat=True)) == [attached.pk, recent.pk]
    assert not (private_root / stale.image.name).exists()


def test_the_vehicle_matches_of_a_reading_name_vin_matches_first():
    by_plate = VehicleFactory(plate=CARD.plate)
    candidate = valid_vin(99, wmi="LSV")
    by_vin = VehicleFactory(vin=candidate)
    VehicleFactory()  # unrelated

    found = selectors.vehicles_for_reading(vins=["", candidate], plate=CARD.plate)

    assert [(v, v.matched_by) for v in found] == [(by_vin, "vin"), (by_plate, "plate")]
    assert selectors.vehicles_for_reading(vins=[""], plate="") == []
