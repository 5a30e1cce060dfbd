"""The fields of a 行驶证, a VIN plate or a door-pillar label parsed from the lines an OCR
engine recognised (issue 12): the real card's labels, their usual misreadings, values split
from their labels, and labels not read at all."""

import json

import pytest

from apps.customers.licence import (
    FIELDS,
    FieldReading,
    LicenceReading,
    parse_licence_lines,
)

VIN = "LFV2A21K6KB936710"

GOOD_CARD = [
    "中华人民共和国机动车行驶证",
    "Vehicle License of the People's Republic of China",
    "号牌号码 粤B12345 车辆类型 小型轿车",
    "Plate No. Vehicle Type",
    "所有人 王芳",
    "Owner",
    "住址 广东省深圳市南山区科技园南路18号3栋1201",
    "Address",
    "使用性质 非营运 品牌型号 一汽-大众牌FV7152BBCGG",
    "Use Character Model",
    f"车辆识别代号 {VIN}",
    "VIN",
    "发动机号码 DST123456",
    "Engine No.",
    "注册日期 2019-05-20 发证日期 2021-03-08",
    "Register Date Issue Date",
]
EXPECTED = {
    "plate": "粤B12345",
    "vin": VIN,
    "engine_number": "DST123456",
    "owner": "王芳",
    "address": "广东省深圳市南山区科技园南路18号3栋1201",
    "brand_model": "一汽-大众牌FV7152BBCGG",
    "vehicle_type": "小型轿车",
    "use_character": "非营运",
    "registered_on": "2019-05-20",
    "issued_on": "2021-03-08",
}


def values(reading: LicenceReading) -> dict[str, str]:
    return {name: reading.fields[name].value for name in FIELDS}


def test_a_good_card_gives_every_field():
    reading = parse_licence_lines(GOOD_CARD)

    assert values(reading) == EXPECTED
    assert reading.fields["vin"] == FieldReading(value=VIN, read=VIN)
    assert reading.lines == tuple(GOOD_CARD)


def test_every_field_is_present_even_when_nothing_was_read():
    reading = parse_licence_lines([])

    assert set(reading.fields) == set(FIELDS)
    assert all(f == FieldReading(value="", read="") for f in reading.fields.values())


def test_misread_labels_colons_and_full_width_text():
    reading = parse_licence_lines(
        [
            "号牌号玛:粤B12345 车辆类形 小型轿车",
            "所有入:王芳",
            "往址:广东省深圳市南山区科技园南路18号3栋1201",
            "使用性貭 非营运 品牌型号:一汽-大众牌FV7152BBCGG",
            f"车辆识刖代号:{VIN}",
            "发动机号玛 DST123456",
            "注删日期 2019-05-20 发证日朗 2021-03-08",
        ]
    )

    assert values(reading) == EXPECTED


def test_full_width_colons_digits_and_letters_are_normalised():
    reading = parse_licence_lines(
        ["号牌号码：粤Ｂ１２３４５", "车辆识别代号：ＬＦＶ２Ａ２１Ｋ６ＫＢ９３６７１０"]
    )

    assert reading.fields["plate"].value == "粤B12345"
    assert reading.fields["vin"].value == VIN


def test_a_value_on_the_line_after_its_label():
    reading = parse_licence_lines(
        [
            "号牌号码",
            "粤B12345",
            "所有人",
            "Owner",
            "王芳",
            "车辆识别代号",
            "VIN",
            VIN,
        ]
    )

    assert reading.fields["plate"].value == "粤B12345"
    assert reading.fields["owner"].value == "王芳"
    assert reading.fields["vin"].value == VIN


def test_two_labels_on_a_line_and_their_values_on_the_next_line_in_order():
    reading = parse_licence_lines(
        [
            "号牌号码 车辆类型",
            "Plate No. 粤B12345 Vehicle Type 小型轿车",
            "注册日期 发证日期",
            "2019-05-20 2021-03-08",
        ]
    )

    assert reading.fields["plate"].value == "粤B12345"
    assert reading.fields["vehicle_type"].value == "小型轿车"
    assert reading.fields["registered_on"].value == "2019-05-20"
    assert reading.fields["issued_on"].value == "2021-03-08"


def test_a_label_without_value_takes_the_value_read_on_the_english_line():
    reading = parse_licence_lines(
        [
            "号牌号码 粤B12345 车辆类型",
            "Plate No. Vehicle Type 小型普通客车",
            "使用性质 营运 品牌型号",
            "Use Character Model 本田牌HG7201BAC6",
        ]
    )

    assert reading.fields["vehicle_type"].value == "小型普通客车"
    assert reading.fields["brand_model"].value == "本田牌HG7201BAC6"


def test_a_label_character_read_twice_is_dropped_from_the_value():
    reading = parse_licence_lines(["品牌型号 号一汽-大众牌FV7201TACWG"])

    assert reading.fields["brand_model"].value == "一汽-大众牌FV7201TACWG"


def test_the_hyphen_of_a_brand_read_as_a_dot_is_a_hyphen():
    reading = parse_licence_lines(["品牌型号 一汽·大众牌FV7201TACWG", "所有人 买买提·艾力"])

    assert reading.fields["brand_model"].value == "一汽-大众牌FV7201TACWG"
    assert reading.fields["owner"].value == "买买提·艾力"  # a name keeps its dot


def test_an_address_wrapped_on_two_lines_is_joined():
    reading = parse_licence_lines(
        [
            "住址 广东省深圳市南山区科技园南路18号",
            "Address 3栋1201",
            "使用性质 非营运",
        ]
    )

    assert reading.fields["address"].value == "广东省深圳市南山区科技园南路18号3栋1201"
    assert reading.fields["use_character"].value == "非营运"


def test_missing_labels_fall_back_to_the_shapes():
    reading = parse_licence_lines(
        [
            "中华人民共和国机动车行驶证",
            "粤B12345 小型轿车",
            VIN,
            "2019-05-20 2021-03-08",
        ]
    )

    assert reading.fields["plate"].value == "粤B12345"
    assert reading.fields["vin"].value == VIN
    assert reading.fields["registered_on"].value == "2019-05-20"
    assert reading.fields["issued_on"].value == "2021-03-08"
    assert reading.fields["owner"].value == ""


def test_digits_inside_a_vin_or_an_engine_number_are_no_dates():
    reading = parse_licence_lines(["LFV3A23C2C2019052 DPL20180512"])

    assert reading.fields["registered_on"].value == ""
    assert reading.fields["issued_on"].value == ""


def test_a_vin_read_with_o_for_0_is_repaired_and_says_so():
    reading = parse_licence_lines([f"车辆识别代号 {VIN.replace('0', 'O')}"])

    vin = reading.fields["vin"]
    assert vin.value == VIN
    assert vin.read == VIN.replace("0", "O")
    assert "O→0" in vin.note


def test_an_unrepairable_vin_is_not_filled_but_what_was_read_is_kept():
    reading = parse_licence_lines(["车辆识别代号 LFV2H21K6KB936710", "发动机号码 DST123456"])

    vin = reading.fields["vin"]
    assert vin.value == ""
    assert vin.read == "LFV2H21K6KB936710"
    assert vin.note
    assert reading.fields["engine_number"].value == "DST123456"


def test_an_ambiguous_vin_offers_candidates():
    reading = parse_licence_lines(["车辆识别代号 LGBH5AE11K7G83244"])

    vin = reading.fields["vin"]
    assert vin.value == ""
    assert "LGBH5AE11K7683244" in vin.candidates


def test_dates_in_other_spellings():
    reading = parse_licence_lines(["注册日期 2019.5.20", "发证日期 2021年03月08日"])

    assert reading.fields["registered_on"].value == "2019-05-20"
    assert reading.fields["issued_on"].value == "2021-03-08"


def test_a_date_read_with_o_for_0_and_an_impossible_date():
    reading = parse_licence_lines(["注册日期 2O19-O5-2O", "发证日期 2021-02-30"])

    assert reading.fields["registered_on"].value == "2019-05-20"
    assert reading.fields["issued_on"].value == ""
    assert reading.fields["issued_on"].read == "2021-02-30"


def test_an_engine_number_read_with_o_for_0():
    engine = parse_licence_lines(["发动机号码 M2OC029510"]).fields["engine_number"]

    assert engine.value == "M20C029510"
    assert engine.read == "M2OC029510"
    assert "请核对" in engine.note


def test_a_plate_read_with_o_for_0():
    reading = parse_licence_lines(["号牌号码 粤B1234O"])

    assert reading.fields["plate"].value == "粤B12340"


def test_a_plate_that_is_not_a_plate_is_not_filled():
    reading = parse_licence_lines(["号牌号码 粤B12"])

    assert reading.fields["plate"] == FieldReading(
        value="", read="粤B12", note="车牌号格式不符,请核对"
    )


def test_a_new_energy_plate():
    reading = parse_licence_lines(["号牌号码 粤BD12345 车辆类型 小型轿车"])

    assert reading.fields["plate"].value == "粤BD12345"


def test_a_vin_plate():
    reading = parse_licence_lines(
        [
            "品牌:大众 制造国:中国",
            "整车型号:FV7152BBCGG",
            "发动机型号:DST 发动机排量:1498mL",
            "最大净功率:110kW 乘坐人数:5",
            f"车辆识别代号:{VIN}",
            "制造年月:2019年05月",
            "生产厂名:一汽-大众汽车有限公司",
        ]
    )

    assert reading.fields["vin"].value == VIN
    assert reading.fields["brand_model"].value == "大众牌FV7152BBCGG"
    # the engine model is not the engine number; the month of manufacture is no date here
    assert reading.fields["engine_number"].value == ""
    assert reading.fields["registered_on"].value == ""


def test_a_door_pillar_label():
    reading = parse_licence_lines(
        [
            "一汽-大众汽车有限公司",
            "车辆型号:FV7152BBCGG",
            "制造日期:2019年05月",
            f"VIN:{VIN}",
            "中国制造 MADE IN CHINA",
        ]
    )

    assert reading.fields["vin"].value == VIN
    assert reading.fields["brand_model"].value == "FV7152BBCGG"
    assert reading.fields["plate"].value == ""


def test_a_windscreen_vin_alone():
    reading = parse_licence_lines([f"{VIN[:8]} {VIN[8:]}"])

    assert reading.fields["vin"].value == VIN


@pytest.mark.parametrize("lines", [GOOD_CARD, ["车辆识别代号 LGBH5AE11K7G83244"], []])
def test_to_json_and_back(lines):
    reading = parse_licence_lines(lines)
    reading = LicenceReading(fields=reading.fields, lines=reading.lines, seconds=0.84)

    data = json.loads(json.dumps(reading.to_json()))

    assert LicenceReading.from_json(data) == reading
    assert data["fields"]["vin"].keys() == {"value", "read", "candidates", "note"}


def test_from_json_of_an_older_or_partial_reading_fills_what_is_missing():
    reading = LicenceReading.from_json({"fields": {"plate": {"value": "粤B12345"}}})

    assert reading.fields["plate"] == FieldReading(value="粤B12345", read="")
    assert set(reading.fields) == set(FIELDS)
    assert reading.lines == ()
    assert reading.seconds == 0.0
