"""Fields of a vehicle licence (机动车行驶证), a VIN plate or a door-pillar label, from the
lines an OCR engine recognised on its photo (issue 12).

Pure Python: it never imports the OCR engine (apps/customers/ocr.py does), so the parser is
tested on recognised-text fixtures and runs where the optional OCR extra is not installed.

The lines are what the engine read, in reading order; a line may hold one label and its
value ("号牌号码 粤B12345"), several ("注册日期 2019-05-20 发证日期 2019-05-20"), a label alone
with its value on the next line, or a value with no label at all. Labels are matched
fuzzily (the engine writes 号玛 for 号码, 识刖 for 识别, drops a character or the colon) and
every field falls back to its shape when its label was not read: a 17-character VIN, a
plate, a date.

The VIN is checked by its check digit (position 9). A VIN that fails it is never filled as
read: the usual OCR confusions (0/O/Q/D, 1/I/L, 5/S, 8/B, 2/Z, 6/G) are tried, and a single
check-digit-valid reading is filled with a note; several are offered as candidates.
"""

from __future__ import annotations

import itertools
import re
from dataclasses import dataclass
from datetime import date

from django.core.exceptions import ValidationError

from apps.core.text import normalize_text

from .validators import VIN_ALPHABET, is_vin_check_digit_valid, normalize_plate

FIELDS = (
    "plate",
    "vin",
    "engine_number",
    "owner",
    "address",
    "brand_model",
    "vehicle_type",
    "use_character",
    "registered_on",
    "issued_on",
)


@dataclass(frozen=True)
class FieldReading:
    value: str  # what to fill ('' when nothing trustworthy was read)
    read: str  # what was recognised, verbatim (shown to the advisor as 识别为…)
    candidates: tuple[str, ...] = ()  # VIN: check-digit-valid repairs when more than one fits
    note: str = ""  # a Chinese note, e.g. "校验位不符,已按常见误识修正(O→0)"

    def to_json(self) -> dict:
        return {
            "value": self.value,
            "read": self.read,
            "candidates": list(self.candidates),
            "note": self.note,
        }

    @classmethod
    def from_json(cls, data: dict) -> FieldReading:
        return cls(
            value=str(data.get("value", "")),
            read=str(data.get("read", "")),
            candidates=tuple(str(c) for c in data.get("candidates", ())),
            note=str(data.get("note", "")),
        )


EMPTY = FieldReading(value="", read="")


@dataclass(frozen=True)
class LicenceReading:
    # Every key of FIELDS is present (an empty FieldReading when nothing was read).
    fields: dict[str, FieldReading]
    lines: tuple[str, ...]  # the recognised lines, in reading order
    seconds: float = 0.0  # time spent recognising (0 for a parse of given lines)

    def value(self, name: str) -> str:
        return self.fields.get(name, EMPTY).value

    def filled(self) -> dict[str, str]:
        """{field: value} of the fields that have a value to fill."""
        return {name: reading.value for name, reading in self.fields.items() if reading.value}

    def to_json(self) -> dict:
        return {
            "fields": {name: reading.to_json() for name, reading in self.fields.items()},
            "lines": list(self.lines),
            "seconds": self.seconds,
        }

    @classmethod
    def from_json(cls, data: dict) -> LicenceReading:
        given = data.get("fields", {})
        return cls(
            fields={name: FieldReading.from_json(given.get(name, {})) for name in FIELDS},
            lines=tuple(str(line) for line in data.get("lines", ())),
            seconds=float(data.get("seconds", 0.0)),
        )


# ---------------------------------------------------------------------------------------
# The VIN and its check digit

# What an OCR engine confuses, both ways. I, O and Q are never part of a VIN.
_CONFUSABLE = ("0OQD", "1IL", "5S", "8B", "2Z", "6G")
_SIMILAR = {ch: set(group) - {ch} for group in _CONFUSABLE for ch in group}
# Position 10 (model year): never 0, U or Z. Positions 14 to 17: digits (GB 16735 for makers
# of 500 vehicles a year or more: every make a 4S store sells). Position 9, the check
# digit: a digit or X.
_NOT_YEAR = set("0UZ")
# Readings that change more than the characters that cannot stand as read plus this many
# look-alikes are not tried: with two free changes most VINs have several valid readings.
_MAX_FREE_CHANGES = 1


def _allowed(position: int, ch: str) -> bool:
    """Whether `ch` may stand at `position` (0-based) of a VIN."""
    if ch not in VIN_ALPHABET:
        return False
    if position == 8:
        return ch.isdigit() or ch == "X"
    if position == 9:
        return ch not in _NOT_YEAR
    if position >= 13:
        return ch.isdigit()
    return True


def vin_text(text: str) -> str:
    """What was read as a VIN, upper case, with everything but letters and digits removed."""
    return re.sub(r"[^0-9A-Z]", "", normalize_text(text).upper())


def repair_vin(text: str) -> tuple[str, tuple[str, ...], str]:
    """(VIN to fill, candidates, note) for a VIN as the engine read it.

    Read as a valid VIN: filled as read. Otherwise the readings that change the fewest
    characters, each into a look-alike (0/O/Q/D, 1/I/L, 5/S, 8/B, 2/Z, 6/G): every
    character that cannot stand where it was read (I, O, Q anywhere; a letter in the serial
    digits 14 to 17 …) plus at most one more. Exactly one of them check-digit-valid: filled,
    with a note saying what was changed; several: not filled, offered as candidates; none:
    not filled. A VIN that fails its check digit is never filled."""
    vin = vin_text(text)
    if not vin:
        return "", (), ""
    if len(vin) != 17:
        return "", (), f"识别到 {len(vin)} 位字符,VIN 应为 17 位,请核对"
    if all(_allowed(i, ch) for i, ch in enumerate(vin)) and is_vin_check_digit_valid(vin):
        return vin, (), ""
    alikes = [sorted(c for c in _SIMILAR.get(ch, ()) if _allowed(i, c)) for i, ch in enumerate(vin)]
    must = [i for i, ch in enumerate(vin) if not _allowed(i, ch)]
    if any(not alikes[i] for i in must):
        return "", (), "VIN 含有无法修正的字符,请核对"
    free = [i for i, ch in enumerate(vin) if i not in must and alikes[i]]
    found: set[str] = set()
    for extra in range(_MAX_FREE_CHANGES + 1):
        for chosen in itertools.combinations(free, extra):
            positions = must + list(chosen)
            for picked in itertools.product(*(alikes[i] for i in positions)):
                chars = list(vin)
                for i, c in zip(positions, picked, strict=True):
                    chars[i] = c
                candidate = "".join(chars)
                if is_vin_check_digit_valid(candidate):
                    found.add(candidate)
        if found:
            break
    if not found:
        return "", (), "VIN 校验位不符,按常见误识也无法修正,请核对"
    if len(found) > 1:
        return "", tuple(sorted(found)), f"VIN 校验位不符,有 {len(found)} 种可能的修正,请选择"
    repaired = found.pop()
    swaps = "、".join(
        dict.fromkeys(f"{a}→{b}" for a, b in zip(vin, repaired, strict=True) if a != b)
    )
    why = "VIN 中不会出现 I、O、Q" if set(vin) & set("IOQ") else "校验位不符"
    return repaired, (), f"{why},已按常见误识修正({swaps}),请核对"


# ---------------------------------------------------------------------------------------
# Labels

# Each field's label on the card, and the labels of a VIN plate or door-pillar label.
# Labels of 3 or more characters are matched with one character wrong, missing or extra
# (6 or more: two); shorter ones need one of the listed spellings.
_LABELS: dict[str, tuple[str, ...]] = {
    "plate": ("号牌号码", "车牌号码", "号牌号"),
    "vehicle_type": ("车辆类型",),
    "owner": ("所有人",),
    "address": ("住址", "往址", "住扯", "住趾", "佳址", "住地址"),
    "use_character": ("使用性质",),
    "brand_model": ("品牌型号",),
    "vin": ("车辆识别代号", "车辆识别代码", "识别代号", "车架号", "VIN"),
    "engine_number": ("发动机号码", "发动机号"),
    "registered_on": ("注册日期",),
    "issued_on": ("发证日期",),
    # VIN plate / door pillar
    "brand": ("品牌", "商标"),
    "model": ("整车型号", "车辆型号"),
    "made_on": ("制造年月", "制造日期", "生产日期"),
    # read and ignored: they only end the value before them
    "_": (
        "发动机型号",
        "发动机排量",
        "最大净功率",
        "制造国",
        "生产厂名",
        "制造厂名",
        "制造商",
        "乘坐人数",
        "最大允许总质量",
        "核定载人数",
        "总质量",
        "整备质量",
        "发证机关",
        "中华人民共和国机动车行驶证",
        "机动车行驶证",
        "检验记录",
        "档案编号",
    ),
}
# The English half of the card's bilingual labels: removed (they are noise around values).
_ENGLISH = re.compile(
    r"vehicle\s*license\s*of\s*the\s*people'?s?\s*republic\s*of\s*china|"
    r"plate\s*n[o0]\.?|vehicle\s*type|[o0]wner|address|use\s*character|"
    r"register\s*date|issue\s*date|engine\s*n[o0]\.?|model|"
    r"vehicle\s*identification\s*number|\bvin\b",
    re.IGNORECASE,
)
_SEPARATORS = ":;,、。.|"


def _distance(a: str, b: str, limit: int) -> int:
    """Levenshtein distance of a and b, or limit + 1 when it exceeds limit."""
    if abs(len(a) - len(b)) > limit:
        return limit + 1
    previous = list(range(len(b) + 1))
    for i, ca in enumerate(a, 1):
        current = [i]
        for j, cb in enumerate(b, 1):
            current.append(min(previous[j] + 1, current[j - 1] + 1, previous[j - 1] + (ca != cb)))
        if min(current) > limit:
            return limit + 1
        previous = current
    return previous[-1]


def _tolerance(label: str) -> int:
    if label.isascii():
        return 0
    if len(label) >= 6:
        return 2
    return 1 if len(label) >= 3 else 0


@dataclass(frozen=True)
class _Match:
    start: int
    end: int
    name: str
    rank: tuple  # lower is better


def _cjk(ch: str) -> bool:
    return "\u4e00" <= ch <= "\u9fff"


def _find_labels(line: str) -> list[_Match]:
    """The labels in `line`, left to right, none overlapping.

    Of overlapping readings the best wins: the fewest wrong characters, then one that ends
    where the value begins (a space, a colon, a digit or letter; "车辆类形 小型轿车" is the
    label 车辆类型 misread, not 车辆类 followed by 形), then one that starts and ends on
    characters of the label ("车辆类小型轿车" is 车辆类 without its last character, not
    车辆类小), then the longest."""
    matches: list[_Match] = []
    upper = line.upper()
    for name, spellings in _LABELS.items():
        for label in spellings:
            tolerance = _tolerance(label)
            n = len(label)
            for length in range(max(2, n - tolerance), n + tolerance + 1):
                for start in range(0, len(line) - length + 1):
                    window = upper[start : start + length]
                    end = start + length
                    if label.isascii():
                        if window != label:
                            continue
                        before, after = upper[start - 1 : start], upper[end : end + 1]
                        if (before and before.isalnum()) or (after and after.isalnum()):
                            continue  # VIN inside a VIN-shaped token is not the label
                    elif length > n and (window[0] != label[0] or window[-1] != label[-1]):
                        continue  # a character read in excess sits inside the label
                    elif length < n and (window[0] not in label or window[-1] not in label):
                        continue
                    cost = _distance(window, label, tolerance)
                    if cost > tolerance:
                        continue
                    boundary = end == len(line) or not _cjk(line[end])
                    edges = window[0] in label and window[-1] in label
                    rank = (cost, not boundary, not edges, -length, start)
                    matches.append(_Match(start, end, name, rank))
    matches.sort(key=lambda m: m.rank)
    chosen: list[_Match] = []
    for match in matches:
        if all(match.end <= c.start or match.start >= c.end for c in chosen):
            chosen.append(match)
    return sorted(chosen, key=lambda m: m.start)


def _strip_label_tail(name: str, value: str) -> str:
    """The value without a last character of its label that the engine read twice at the
    box's edge ("品牌型号 号一汽-大众牌…"): no value of these fields starts with one."""
    tails = {label[-1] for label in _LABELS.get(name, ()) if not label.isascii()}
    while len(value) > 1 and value[0] in tails:
        value = value[1:].lstrip(" " + _SEPARATORS)
    return value


def _clean(value: str) -> str:
    value = _ENGLISH.sub(" ", value)
    value = value.strip(" " + _SEPARATORS)
    return re.sub(r"\s+", " ", value)


# ---------------------------------------------------------------------------------------
# Shapes

_PLATE_SHAPE = re.compile(
    r"[京津沪渝冀豫云辽黑湘皖鲁新苏浙赣鄂桂甘晋蒙陕吉闽贵粤青藏川宁琼]\s*[A-Z]\s*[·.\-]?\s*[A-Z0-9]{5,6}"
)
_VIN_SHAPE = re.compile(r"(?<![A-Z0-9])[A-Z0-9](?:\s?[A-Z0-9]){16}(?![A-Z0-9])")
_DATE = re.compile(
    r"(?<![0-9A-Z])((?:19|20)\d{2})\s*[-./年]?\s*(\d{1,2})\s*[-./月]?\s*(\d{1,2})\s*日?"
)
# Digits that the engine reads as letters inside a number.
_DIGIT_LOOKALIKES = str.maketrans(
    {"O": "0", "o": "0", "D": "0", "I": "1", "l": "1", "L": "1", "|": "1"}
)


def _plate(text: str) -> str:
    compact = re.sub(r"[\s·.\-]", "", normalize_text(text).upper())
    for candidate in (compact, _plate_digits(compact)):
        try:
            return normalize_plate(candidate)
        except ValidationError:
            continue
    return ""


def _plate_digits(compact: str) -> str:
    """A plate never holds O or I: the engine read 0 or 1."""
    if len(compact) < 3:
        return compact
    return compact[:2] + compact[2:].replace("O", "0").replace("I", "1")


def _date(text: str) -> str:
    found = _DATE.search(normalize_text(text).translate(_DIGIT_LOOKALIKES))
    if not found:
        return ""
    year, month, day = (int(g) for g in found.groups())
    try:
        return date(year, month, day).isoformat()
    except ValueError:
        return ""


def _engine(text: str) -> str:
    compact = re.sub(r"[^0-9A-Z]", "", normalize_text(text).upper())
    return compact if 4 <= len(compact) <= 20 else ""


# The hyphen of 一汽-大众 or 广汽-菲克 read as a middle dot or a long dash.
_BRAND_DASH = re.compile(r"(?<=[\u4e00-\u9fff])[·・—–―](?=[\u4e00-\u9fff])")


def _text(text: str) -> str:
    return normalize_text(text).strip(_SEPARATORS + " ")


def _field(name: str, read: str) -> FieldReading:
    read = normalize_text(read)
    if not read:
        return EMPTY
    if name == "vin":
        value, candidates, note = repair_vin(read)
        return FieldReading(value=value, read=read, candidates=candidates, note=note)
    if name == "plate":
        value = _plate(read)
        return FieldReading(value=value, read=read, note="" if value else "车牌号格式不符,请核对")
    if name in ("registered_on", "issued_on"):
        value = _date(read)
        return FieldReading(value=value, read=read, note="" if value else "日期无法识别,请核对")
    if name == "engine_number":
        value = _engine(read)
        # Makers leave I, O and Q out of engine numbers as out of VINs: the engine read 1 or 0
        fixed = value.replace("O", "0").replace("Q", "0").replace("I", "1")
        note = "发动机号中的 O、Q、I 已按 0、1 填写,请核对" if fixed != value else ""
        return FieldReading(value=fixed, read=read, note=note)
    if name == "brand_model":
        return FieldReading(value=_BRAND_DASH.sub("-", _text(read)), read=read)
    return FieldReading(value=_text(read), read=read)


# ---------------------------------------------------------------------------------------
# The parser


def _segments(lines: list[str]) -> tuple[dict[str, str], list[str]]:
    """({label name: the text read after it}, [text read under no label]).

    A label followed by nothing on its line takes the next text under no label (labels
    read on one line, their values on the next: in order). Text under no label after an
    address continues it (a long address wraps onto a second line)."""
    values: dict[str, str] = {}
    orphans: list[str] = []
    pending: list[str] = []
    last = ""  # the field whose value ended the previous line with labels
    for raw in lines:
        line = normalize_text(raw)
        labels = _find_labels(line)
        cut = labels[0].start if labels else len(line)
        leading = _clean(line[:cut])
        if leading:
            if pending:
                parts = leading.split(" ") if len(pending) > 1 else [leading]
                if len(parts) >= len(pending) > 1:
                    parts = parts[: len(pending) - 1] + [" ".join(parts[len(pending) - 1 :])]
                for name, part in zip(pending, parts, strict=False):
                    values.setdefault(name, part)
                    last = name
                pending = pending[len(parts) :]
            elif last == "address" and any(_cjk(ch) or ch.isdigit() for ch in leading):
                values["address"] += leading.replace(" ", "")
            else:
                orphans.append(leading)
        if labels:
            last = ""
        for index, match in enumerate(labels):
            end = labels[index + 1].start if index + 1 < len(labels) else len(line)
            value = _strip_label_tail(match.name, _clean(line[match.end : end]))
            if value:
                values.setdefault(match.name, value)
                last = match.name
            elif match.name not in values and match.name != "_":
                pending.append(match.name)
    return values, orphans


def parse_licence_lines(lines: list[str]) -> LicenceReading:
    """The fields of a 行驶证, a VIN plate or a door-pillar label from its recognised lines."""
    lines = [normalize_text(line) for line in lines if normalize_text(line)]
    values, _orphans = _segments(lines)
    fields = {name: _field(name, values.get(name, "")) for name in FIELDS}

    if not fields["brand_model"].read and (values.get("brand") or values.get("model")):
        brand = _text(values.get("brand", "")).removesuffix("牌")
        model = _engine(values.get("model", ""))
        fields["brand_model"] = _field(
            "brand_model", f"{brand}牌{model}" if brand and model else brand or model
        )

    # Fall back to shapes anywhere in what was read when a field's label was not.
    everything = " ".join(lines).upper()
    if not fields["vin"].value:
        fields["vin"] = _vin_by_shape(fields["vin"], everything)
    if not fields["plate"].value:
        found = _PLATE_SHAPE.search(normalize_text(" ".join(lines)).upper())
        if found and _plate(found.group()):
            fields["plate"] = FieldReading(value=_plate(found.group()), read=found.group())
    dates = [d for d in (_date(m.group()) for m in _DATE.finditer(everything)) if d]
    if not fields["registered_on"].value and not fields["issued_on"].value and len(dates) >= 2:
        fields["registered_on"] = FieldReading(value=dates[0], read=dates[0])
        fields["issued_on"] = FieldReading(value=dates[1], read=dates[1])
    return LicenceReading(fields=fields, lines=tuple(lines))


def _vin_by_shape(labelled: FieldReading, everything: str) -> FieldReading:
    """A 17-character token that repairs to a valid VIN, when the labelled one did not; else
    the first such token as read (not filled, with its note), when no VIN label was read."""
    if labelled.candidates:
        return labelled
    first = None
    for match in _VIN_SHAPE.finditer(everything):
        token = match.group().replace(" ", "")
        if sum(c.isdigit() for c in token) < 3 or sum(c.isalpha() for c in token) < 2:
            continue
        value, candidates, note = repair_vin(token)
        if value or candidates:
            return FieldReading(value=value, read=token, candidates=candidates, note=note)
        first = first or FieldReading(value="", read=token, note=note)
    return labelled if labelled.read or first is None else first


__all__ = [
    "FIELDS",
    "FieldReading",
    "LicenceReading",
    "parse_licence_lines",
    "repair_vin",
]
