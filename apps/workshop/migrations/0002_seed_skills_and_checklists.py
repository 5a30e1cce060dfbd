"""The skills of DOMAIN.md §3 dispatch and a starting checklist per kind of check; managers
change both afterwards (they are data, not code)."""

from django.db import migrations

SKILLS = [
    ("maintenance", "保养"),
    ("mechanical", "机修"),
    ("electrical", "电器"),
    ("body", "钣金"),
    ("paint", "喷漆"),
    ("ev_hv", "新能源高压"),
    ("tyre", "轮胎与四轮定位"),
    ("diagnosis", "故障诊断"),
]

# (kind, skill code or None for every job, text)
CHECK_ITEMS = [
    ("self", None, "委托项目全部完成"),
    ("self", None, "更换件安装牢固,无漏装"),
    ("self", None, "工具、旧件、垃圾已清出车内"),
    ("self", "maintenance", "机油、滤芯已更换,油位正确"),
    ("self", "maintenance", "保养灯已复位"),
    ("self", "electrical", "故障码已清除,复检无故障码"),
    ("self", "ev_hv", "高压断电/上电流程按规范执行"),
    ("team", None, "委托项目与工单一致,全部完成"),
    ("team", None, "紧固件力矩抽检合格"),
    ("team", None, "无油液渗漏"),
    ("team", "body", "钣金件缝隙均匀"),
    ("team", "paint", "漆面无流挂、色差"),
    ("final", None, "路试正常(需要时)"),
    ("final", None, "客户描述的问题已排除"),
    ("final", None, "车辆外观、内饰无新增损伤"),
    ("final", None, "三件套已取下,车内整洁"),
    ("final", "ev_hv", "高压系统绝缘检测合格"),
]


def seed(apps, schema_editor):
    Skill = apps.get_model("workshop", "Skill")
    CheckItem = apps.get_model("workshop", "CheckItem")
    skills = {}
    for order, (code, name) in enumerate(SKILLS):
        skills[code], _ = Skill.objects.get_or_create(
            code=code, defaults={"name": name, "order": order}
        )
    for order, (kind, skill, text) in enumerate(CHECK_ITEMS):
        CheckItem.objects.get_or_create(
            kind=kind, skill=skills.get(skill), text=text, defaults={"order": order}
        )


class Migration(migrations.Migration):
    dependencies = [("workshop", "0001_initial")]

    operations = [migrations.RunPython(seed, migrations.RunPython.noop)]
