"""Photos of vehicle licences (机动车行驶证) and VIN plates made by code, with their true
fields: the set the OCR tests and `make bench` (bench_ocr) measure on, and the photo the
reception flow's browser test uploads (issue 12). Nothing binary is committed.

Rendered with Pillow and Debian's Noto CJK fonts (`fonts-noto-cjk`, also what the printed
documents use) in several faces and sizes, then photographed badly on purpose: a slight
rotation on a desk, blur, noise, uneven light and JPEG compression. Each sample's fields
are random but valid (VINs with their check digit, plates of the real shapes) and the same
for the same seed.
"""

from __future__ import annotations

import functools
import io
import random
from dataclasses import dataclass
from datetime import date, timedelta
from pathlib import Path

from PIL import Image, ImageDraw, ImageFilter, ImageFont

from .validators import vin_check_digit

FONT_DIR = Path("/usr/share/fonts/opentype/noto")
# (file, face index of the Simplified Chinese face in the collection)
FACES = {
    "sans": ("NotoSansCJK-Regular.ttc", 2),
    "sans-bold": ("NotoSansCJK-Bold.ttc", 2),
    "mono": ("NotoSansCJK-Regular.ttc", 7),
    "serif": ("NotoSerifCJK-Regular.ttc", 2),
}
MISSING_FONTS = (
    "未找到 Noto CJK 字体(/usr/share/fonts/opentype/noto/):请安装 Debian 的 fonts-noto-cjk。"
)


class FontsMissing(RuntimeError):
    pass


def fonts_available() -> bool:
    return all((FONT_DIR / file).exists() for file, _index in FACES.values())


@functools.cache
def _font(face: str, size: int) -> ImageFont.FreeTypeFont:
    file, index = FACES[face]
    if not (FONT_DIR / file).exists():  # Pillow would look for the name elsewhere
        raise FontsMissing(MISSING_FONTS)
    try:
        return ImageFont.truetype(str(FONT_DIR / file), size, index=index)
    except OSError:
        raise FontsMissing(MISSING_FONTS) from None


# ---------------------------------------------------------------------------------------
# True fields

SURNAMES = (
    "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘蒋蔡余杜叶程苏魏吕"
)
GIVEN = (
    "伟芳娜秀敏静丽强磊军洋勇艳杰娟涛明超霞平刚英华建国志红文玉兰梅海波宇浩然子轩欣怡佳俊鹏飞晨雪婷"
)
COMPANIES = ("深圳市华信科技有限公司", "深圳鹏程物流有限公司", "深圳市前海星河贸易有限公司")
CITIES = (
    ("广东省深圳市", ("南山区", "福田区", "罗湖区", "宝安区", "龙岗区", "龙华区")),
    ("广东省广州市", ("天河区", "越秀区", "海珠区", "白云区")),
    ("广东省东莞市", ("南城街道", "东城街道", "松山湖")),
)
STREETS = (
    "科技园南路",
    "深南大道",
    "南海大道",
    "滨海大道",
    "沙河西路",
    "桃园路",
    "前海路",
    "宝安大道",
)
# (brand as printed on the card, model code, WMI, VDS, engine prefix, new energy)
MODELS = (
    ("一汽-大众牌", "FV7152BBCGG", "LFV", "2A21K", "DST", False),
    ("一汽-大众牌", "FV7201TACWG", "LFV", "3A23C", "DPL", False),
    ("大众汽车牌", "SVW71617BM", "LSV", "AB41Z", "DLF", False),
    ("丰田牌", "GTM7200GB", "LVG", "AJ4KR", "M20C", False),
    ("本田牌", "HG7201BAC6", "LHG", "CV163", "L15B", False),
    ("比亚迪牌", "BYD7006BEV", "LGX", "E4GA2", "TZ220XS", True),
    ("日产牌", "DFL7162ACC", "LGB", "H5AE1", "HR16", False),
)
VEHICLE_TYPES = ("小型轿车", "小型轿车", "小型普通客车", "小型越野客车")
USES = ("非营运", "非营运", "非营运", "营运", "出租客运")
PLATE_CITIES = ("粤B", "粤A", "粤S", "京A", "沪C", "湘A")
PLATE_LETTERS = "ABCDEFGHJKLMNPQRSTUVWXYZ"
YEAR_CODES = "ABCDEFGHJKLMNPRSTVWXY123456789"  # model year 2010 = A … (I, O, Q, U, Z, 0 unused)


def random_vin(rng: random.Random, wmi: str = "LFV", vds: str = "2A21K", year: int = 2020) -> str:
    body = (
        f"{wmi}{vds}0{YEAR_CODES[(year - 2010) % 30]}"
        f"{rng.choice('ABCDEFGHJKLMNPRSTUVWXYZ0123456789')}{rng.randrange(10**6):06d}"
    )
    return body[:8] + vin_check_digit(body) + body[9:]


def random_plate(rng: random.Random, new_energy: bool = False) -> str:
    prefix = rng.choice(PLATE_CITIES)
    if new_energy:
        return (
            prefix
            + rng.choice("DF")
            + rng.choice(PLATE_LETTERS[:8] + "0123456789")
            + (f"{rng.randrange(10**4):04d}")
        )
    tail = [rng.choice("0123456789") for _ in range(5)]
    for position in rng.sample(range(5), rng.choice((0, 1, 1, 2))):
        tail[position] = rng.choice(PLATE_LETTERS)
    return prefix + "".join(tail)


def random_fields(rng: random.Random) -> dict[str, str]:
    """The fields of one 行驶证, as the parser should return them."""
    brand, model_code, wmi, vds, engine_prefix, new_energy = rng.choice(MODELS)
    registered = date(2012, 1, 1) + timedelta(days=rng.randrange(12 * 365))
    issued = registered if rng.random() < 0.7 else registered + timedelta(days=rng.randrange(900))
    if rng.random() < 0.12:
        owner = rng.choice(COMPANIES)
    else:
        owner = rng.choice(SURNAMES) + "".join(rng.choice(GIVEN) for _ in range(rng.choice((1, 2))))
    city, districts = rng.choice(CITIES)
    address = f"{city}{rng.choice(districts)}{rng.choice(STREETS)}{rng.randrange(1, 300)}号" + (
        f"{rng.randrange(1, 12)}栋{rng.randrange(1, 33)}{rng.randrange(1, 9):02d}"
        if rng.random() < 0.6
        else ""
    )
    return {
        "plate": random_plate(rng, new_energy),
        "vin": random_vin(rng, wmi, vds, registered.year),
        "engine_number": f"{engine_prefix}{rng.randrange(10**6):06d}",
        "owner": owner,
        "address": address,
        "brand_model": f"{brand}{model_code}",
        "vehicle_type": rng.choice(VEHICLE_TYPES),
        "use_character": rng.choice(USES),
        "registered_on": registered.isoformat(),
        "issued_on": issued.isoformat(),
    }


# ---------------------------------------------------------------------------------------
# Rendering


@dataclass(frozen=True)
class Sample:
    kind: str  # "card" (行驶证), "nameplate" (铭牌), "door" (B-pillar label), "windscreen"
    name: str
    data: bytes  # the photo, JPEG
    truth: dict[str, str]  # the fields the parser should read (only those the sample shows)


def render_card(
    fields: dict[str, str], *, width: int = 1000, faces=("sans", "mono")
) -> Image.Image:
    """A clean 行驶证 main page (88 × 60 mm) of `width` pixels: the form's bilingual labels,
    the printed values, the issuing office's red seal."""
    label_face, value_face = faces
    height = round(width * 60 / 88)
    unit = width / 1000
    card = Image.new("RGB", (width, height), (236, 240, 228))
    draw = ImageDraw.Draw(card)
    # the security pattern: fine wavy lines
    for y in range(0, height, max(3, round(9 * unit))):
        draw.line([(0, y), (width, y + round(6 * unit))], fill=(224, 231, 214), width=1)
    draw.rectangle(
        [4, 4, width - 5, height - 5], outline=(120, 140, 120), width=max(1, round(2 * unit))
    )

    def text(x, y, value, size, face, fill=(30, 30, 30)):
        draw.text(
            (round(x * unit), round(y * unit)),
            value,
            font=_font(face, max(8, round(size * unit))),
            fill=fill,
        )

    text(250, 18, "中华人民共和国机动车行驶证", 38, "sans-bold", fill=(40, 60, 40))
    text(
        265, 64, "Vehicle License of the People's Republic of China", 17, "sans", fill=(60, 80, 60)
    )
    value_fill = (20, 20, 30)
    rows = [
        (
            110,
            [
                (30, "号牌号码", "Plate No.", 190, "plate"),
                (480, "车辆类型", "Vehicle Type", 620, "vehicle_type"),
            ],
        ),
        (175, [(30, "所有人", "Owner", 190, "owner")]),
        (240, [(30, "住址", "Address", 190, "address")]),
        (
            305,
            [
                (30, "使用性质", "Use Character", 190, "use_character"),
                (480, "品牌型号", "Model", 620, "brand_model"),
            ],
        ),
        (370, [(30, "车辆识别代号", "VIN", 270, "vin")]),
        (435, [(30, "发动机号码", "Engine No.", 230, "engine_number")]),
        (
            500,
            [
                (30, "注册日期", "Register Date", 190, "registered_on"),
                (480, "发证日期", "Issue Date", 620, "issued_on"),
            ],
        ),
    ]
    for y, cells in rows:
        for x, label, english, value_x, name in cells:
            text(x, y, label, 27, label_face, fill=(50, 70, 50))
            text(x, y + 32, english, 15, "sans", fill=(80, 100, 80))
            value = fields.get(name, "")
            # the printer shrinks a long value to fit the card
            size = 30
            while (
                size > 18
                and _font(value_face, round(size * unit)).getlength(value) > (960 - value_x) * unit
            ):
                size -= 2
            text(value_x, y + 4 + (30 - size) // 2, value, size, value_face, fill=value_fill)
    # the issuing office's red seal, bottom right
    cx, cy, r = round(890 * unit), round(590 * unit), round(70 * unit)
    draw.ellipse(
        [cx - r, cy - r, cx + r, cy + r], outline=(200, 40, 40), width=max(2, round(4 * unit))
    )
    draw.regular_polygon((cx, cy, round(22 * unit)), 5, fill=(200, 40, 40))
    return card


def render_nameplate(
    fields: dict[str, str], *, width: int = 900, face: str = "sans"
) -> Image.Image:
    """The manufacturer's plate (铭牌) riveted in the engine bay or on the B pillar."""
    unit = width / 900
    height = round(width * 0.55)
    plate = Image.new("RGB", (width, height), (200, 203, 206))
    draw = ImageDraw.Draw(plate)
    draw.rectangle(
        [6, 6, width - 7, height - 7], outline=(90, 90, 95), width=max(2, round(3 * unit))
    )
    font = _font(face, round(30 * unit))
    lines = [
        f"品牌:{fields['brand']}   制造国:中国",
        f"整车型号:{fields['model']}",
        f"发动机型号:{fields['engine_model']}   发动机排量:{fields['displacement']} mL",
        f"最大净功率:{fields['power']} kW   乘坐人数:5",
        f"车辆识别代号:{fields['vin']}",
        f"制造年月:{fields['made']}",
        f"生产厂名:{fields['maker']}",
    ]
    for index, line in enumerate(lines):
        draw.text(
            (round(40 * unit), round((30 + index * 62) * unit)), line, font=font, fill=(25, 25, 30)
        )
    return plate


def render_door_label(
    fields: dict[str, str], *, width: int = 800, face: str = "sans"
) -> Image.Image:
    """The white sticker on the door pillar: the maker, the VIN, the date of manufacture."""
    unit = width / 800
    height = round(width * 0.5)
    label = Image.new("RGB", (width, height), (246, 246, 242))
    draw = ImageDraw.Draw(label)
    draw.rectangle([3, 3, width - 4, height - 4], outline=(60, 60, 60), width=2)
    big, small = _font(face, round(30 * unit)), _font(face, round(22 * unit))
    draw.text((round(30 * unit), round(20 * unit)), fields["maker"], font=big, fill=(20, 20, 20))
    draw.text(
        (round(30 * unit), round(80 * unit)),
        f"车辆型号:{fields['model']}",
        font=small,
        fill=(20, 20, 20),
    )
    draw.text(
        (round(30 * unit), round(130 * unit)),
        f"制造日期:{fields['made']}",
        font=small,
        fill=(20, 20, 20),
    )
    draw.text(
        (round(30 * unit), round(200 * unit)), f"VIN:{fields['vin']}", font=big, fill=(10, 10, 10)
    )
    draw.text(
        (round(30 * unit), round(270 * unit)),
        "中国制造  MADE IN CHINA",
        font=small,
        fill=(20, 20, 20),
    )
    return label


def render_windscreen(vin: str, *, width: int = 900, face: str = "mono") -> Image.Image:
    """The VIN seen through the windscreen at the base of the A pillar: the VIN alone."""
    unit = width / 900
    image = Image.new("RGB", (width, round(width * 0.3)), (38, 40, 44))
    draw = ImageDraw.Draw(image)
    draw.rounded_rectangle(
        [round(60 * unit), round(70 * unit), round(840 * unit), round(200 * unit)],
        radius=round(12 * unit),
        fill=(188, 190, 186),
    )
    draw.text(
        (round(110 * unit), round(105 * unit)),
        vin,
        font=_font(face, round(52 * unit)),
        fill=(20, 20, 24),
    )
    return image


def _perspective_coefficients(source, target) -> list[float]:
    """The 8 coefficients of Image.transform(PERSPECTIVE) that map each `target` corner
    (output pixel) to its `source` corner (input pixel)."""
    rows, values = [], []
    for (x, y), (u, v) in zip(target, source, strict=True):
        rows.append([x, y, 1, 0, 0, 0, -u * x, -u * y])
        rows.append([0, 0, 0, x, y, 1, -v * x, -v * y])
        values += [u, v]
    # Gaussian elimination with partial pivoting (8 × 8)
    n = 8
    matrix = [row + [value] for row, value in zip(rows, values, strict=True)]
    for col in range(n):
        pivot = max(range(col, n), key=lambda r: abs(matrix[r][col]))
        matrix[col], matrix[pivot] = matrix[pivot], matrix[col]
        for r in range(n):
            if r != col:
                factor = matrix[r][col] / matrix[col][col]
                matrix[r] = [a - factor * b for a, b in zip(matrix[r], matrix[col], strict=True)]
    return [matrix[i][n] / matrix[i][i] for i in range(n)]


def photograph(image: Image.Image, rng: random.Random, *, strength: float = 1.0) -> bytes:
    """`image` as a tablet photographs it: on a desk, a little turned and seen at a slant,
    at some distance, blurred, noisy, unevenly lit, JPEG-compressed. `strength` scales
    every defect (1 is a careful advisor, 2 a hurried one)."""
    margin = round(max(image.size) * rng.uniform(0.04, 0.12))
    desk_tone = rng.randrange(70, 150)
    desk = (desk_tone, desk_tone - 8, desk_tone - 20)
    photo = Image.new("RGB", (image.width + 2 * margin, image.height + 2 * margin), desk)
    photo.paste(image, (margin, margin))
    # the camera not quite parallel to the card: each corner moved by up to 2.5 % × strength
    w, h = photo.size
    corners = [(0, 0), (w, 0), (w, h), (0, h)]
    slack = 0.025 * strength
    moved = [
        (x + rng.uniform(-slack, slack) * w, y + rng.uniform(-slack, slack) * h) for x, y in corners
    ]
    photo = photo.transform(
        photo.size,
        Image.Transform.PERSPECTIVE,
        _perspective_coefficients(corners, moved),
        resample=Image.Resampling.BICUBIC,
        fillcolor=desk,
    )
    photo = photo.rotate(
        rng.uniform(-3, 3) * strength,
        resample=Image.Resampling.BICUBIC,
        expand=False,
        fillcolor=desk,
    )
    # the distance: the card fills more or less of the camera's pixels
    scale = rng.uniform(0.75, 1.3)
    photo = photo.resize((round(w * scale), round(h * scale)), Image.Resampling.BILINEAR)
    # uneven light: a soft gradient laid over
    light = Image.linear_gradient("L").rotate(rng.uniform(0, 360), fillcolor=128)
    light = light.resize(photo.size).filter(ImageFilter.GaussianBlur(8))
    dim = Image.new("RGB", photo.size, (0, 0, 0))
    photo = Image.composite(
        photo, dim, light.point(lambda v: 255 - round(v * min(0.6, 0.25 * strength)))
    )
    blur = rng.uniform(0.2, 1.0) * strength
    if blur > 0.3:
        photo = photo.filter(ImageFilter.GaussianBlur(blur))
    # sensor noise from the seeded generator (Image.effect_noise is not reproducible)
    noise = Image.frombytes("L", photo.size, rng.randbytes(photo.width * photo.height))
    photo = Image.blend(photo, noise.convert("RGB"), min(0.2, 0.08 * strength))
    buffer = io.BytesIO()
    photo.save(buffer, "JPEG", quality=rng.randrange(45, 90))
    return buffer.getvalue()


def card_sample(rng: random.Random, index: int = 0) -> Sample:
    fields = random_fields(rng)
    faces = rng.choice(
        (
            ("sans", "mono"),
            ("sans", "sans"),
            ("serif", "mono"),
            ("sans", "serif"),
            ("serif", "sans-bold"),
        )
    )
    image = render_card(fields, width=rng.choice((900, 1000, 1100, 1250, 1400)), faces=faces)
    return Sample(
        "card", f"card-{index:02d}", photograph(image, rng, strength=rng.uniform(0.7, 1.7)), fields
    )


def plate_sample(rng: random.Random, index: int = 0) -> Sample:
    brand, model_code, wmi, vds, engine_prefix, _new_energy = rng.choice(MODELS)
    year = rng.randrange(2014, 2026)
    vin = random_vin(rng, wmi, vds, year)
    made = f"{year}年{rng.randrange(1, 13):02d}月"
    maker = {"LFV": "一汽-大众汽车有限公司", "LSV": "上汽大众汽车有限公司"}.get(
        wmi, "广汽丰田汽车有限公司"
    )
    kind = ("nameplate", "door", "windscreen")[index % 3]
    face = rng.choice(("sans", "sans-bold", "mono", "serif"))
    width = rng.choice((800, 900, 1000, 1200))
    if kind == "nameplate":
        fields = {
            "brand": brand.removesuffix("牌"),
            "model": model_code,
            "engine_model": engine_prefix,
            "displacement": str(rng.choice((1395, 1498, 1984))),
            "power": str(rng.choice((110, 118, 137, 162))),
            "vin": vin,
            "made": made,
            "maker": maker,
        }
        image = render_nameplate(fields, width=width, face=face)
        truth = {"vin": vin, "brand_model": f"{brand}{model_code}"}
    elif kind == "door":
        image = render_door_label(
            {"maker": maker, "model": model_code, "made": made, "vin": vin}, width=width, face=face
        )
        truth = {"vin": vin}
    else:
        image = render_windscreen(vin, width=width, face=rng.choice(("mono", "sans", "sans-bold")))
        truth = {"vin": vin}
    return Sample(
        kind, f"{kind}-{index:02d}", photograph(image, rng, strength=rng.uniform(0.7, 1.7)), truth
    )


def sample_set(*, cards: int = 40, plates: int = 20, seed: int = 12) -> list[Sample]:
    """The fixed set `make bench` measures: the same images for the same arguments."""
    if not fonts_available():
        raise FontsMissing(MISSING_FONTS)
    rng = random.Random(seed)
    samples = [card_sample(rng, i) for i in range(cards)]
    samples += [plate_sample(rng, i) for i in range(plates)]
    return samples


def licence_photo(seed: int = 1) -> tuple[bytes, dict[str, str]]:
    """One 行驶证 photo (JPEG) and its true fields, e.g. for the reception flow's upload."""
    if not fonts_available():
        raise FontsMissing(MISSING_FONTS)
    sample = card_sample(random.Random(seed))
    return sample.data, sample.truth
