"""The customer archive of DOMAIN.md §2: "one car, two files" (一车两档).

Customer and Vehicle are the archive; SalesFile is the sales file of a vehicle sold here;
the service file is the vehicle's work orders (apps.workorders). Writes go through
services.py; reads with their joins live in selectors.py.
"""

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import F
from django.db.models.functions import Left, Right
from simple_history.models import HistoricalRecords

from apps.core.models import AreaSettings, TimeStampedModel, money_field, number_field
from apps.core.pii import PiiField
from apps.core.storage import private_storage_callable


class Customer(TimeStampedModel):
    class Kind(models.TextChoices):
        PERSON = "person", "个人"
        COMPANY = "company", "单位"

    class Sex(models.TextChoices):
        MALE = "M", "男"
        FEMALE = "F", "女"

    class Segment(models.TextChoices):
        VIP = "vip", "VIP客户"
        MAJOR = "major", "重要客户"
        NORMAL = "normal", "普通客户"
        SMALL = "small", "小客户"

    class Source(models.TextChoices):
        BOUGHT_HERE = "bought_here", "本店购车"
        SERVICE_ONLY = "service_only", "仅维修"

    class ContactTime(models.TextChoices):
        ANY = "", "不限"
        # The morning and afternoon are the callback windows of the settings; forms and
        # pages show them with those times (contact_times.py), not times written here.
        MORNING = "morning", "上午"
        AFTERNOON = "afternoon", "下午"
        EVENING = "evening", "晚上(18:00-20:00)"
        WEEKEND = "weekend", "仅周末"

    kind = models.CharField("类型", max_length=10, choices=Kind.choices, default=Kind.PERSON)
    name = models.CharField("姓名/单位名称", max_length=100)
    mobile = models.CharField("手机", max_length=11)
    phone_other = models.CharField("其他电话", max_length=20, blank=True)
    id_number = models.CharField("身份证号", max_length=18, blank=True)
    credit_code = models.CharField("统一社会信用代码", max_length=18, blank=True)
    sex = models.CharField("性别", max_length=1, choices=Sex.choices, blank=True)
    birthday = models.DateField("生日", null=True, blank=True)
    address = models.CharField("地址", max_length=200, blank=True)
    preferred_contact_time = models.CharField(
        "希望联系时间", max_length=10, choices=ContactTime.choices, blank=True
    )
    marketing_consent = models.BooleanField("同意接收短信关怀/提醒", default=False)
    do_not_call = models.BooleanField("免打扰", default=False)
    club_member_number = models.CharField("车友俱乐部会员号", max_length=30, blank=True)
    club_joined_on = models.DateField("入会日期", null=True, blank=True)
    segment = models.CharField(
        "客户分级", max_length=10, choices=Segment.choices, default=Segment.NORMAL
    )
    segment_computed_on = models.DateField("分级计算日期", null=True, blank=True)
    source = models.CharField(
        "客户来源", max_length=20, choices=Source.choices, default=Source.SERVICE_ONLY
    )
    note = models.TextField("备注", blank=True)
    history = HistoricalRecords()

    class Meta:
        verbose_name = verbose_name_plural = "客户"
        ordering = ["-id"]
        permissions = [
            ("view_pii", "查看完整手机号与证件号"),
            ("export_customer", "导出客户名单"),
            ("import_archive", "导入客户档案"),
            ("accept_invalid_vin", "保留校验位错误的VIN"),
            ("merge_customer", "合并重复的客户档案"),
        ]
        indexes = [
            # A whole-mobile lookup reads customer_mobile_name_unique (mobile first).
            models.Index(Right("mobile", 4), name="customer_mobile_last4_idx"),
            models.Index(fields=["phone_other"], name="customer_phone_other_idx"),
            models.Index(fields=["id_number"], name="customer_id_number_idx"),
            models.Index(fields=["credit_code"], name="customer_credit_code_idx"),
            models.Index(fields=["name", "mobile"], name="customer_name_mobile_idx"),
            # A one-character search is a surname: its matches in id order, straight from
            # the index (newest first, keyset pages, bounded counts read the index alone).
            models.Index(Left("name", 1), F("id"), name="customer_surname_idx"),
            # The list's keyset order (created_at, id) and the creation-date filters.
            models.Index(fields=["created_at", "id"], name="customer_created_id_idx"),
            # PostgreSQL also has trigram and pattern-ops indexes on name (migration
            # 0001_archive, PostgresOnlyRunSQL): customer_name_trgm_idx,
            # customer_name_prefix_idx, customer_name_suffix_idx.
        ]
        constraints = [
            models.UniqueConstraint(
                fields=["id_number"],
                condition=~models.Q(id_number=""),
                name="customer_id_number_unique",
                violation_error_message="该身份证号已登记在另一位客户名下。",
            ),
            # The import's merge key: one archive per person. services.customer_create turns
            # a violation into a sentence linking to the existing customer.
            models.UniqueConstraint(
                fields=["mobile", "name"],
                name="customer_mobile_name_unique",
                violation_error_message="已有同名、同手机号的客户档案。",
            ),
        ]

    def __str__(self):
        return self.name

    @property
    def is_club_member(self) -> bool:
        return bool(self.club_member_number)


class Vehicle(TimeStampedModel):
    vin = models.CharField("VIN", max_length=17)
    vin_check_digit_valid = models.BooleanField("VIN校验位正确", default=True)
    vin_exception_reason = models.CharField("VIN校验位例外原因", max_length=200, blank=True)
    vin_exception_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name="例外批准人",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    plate = models.CharField("车牌号", max_length=8, blank=True)
    brand = models.CharField("品牌", max_length=30)
    model_name = models.CharField("车型", max_length=60)
    colour = models.CharField("颜色", max_length=20, blank=True)
    engine_number = models.CharField("发动机号", max_length=30, blank=True)
    owner = models.ForeignKey(
        Customer, verbose_name="车主", on_delete=models.PROTECT, related_name="vehicles"
    )
    sale_date = models.DateField("销售日期", null=True, blank=True)
    warranty_start = models.DateField("三包开始", null=True, blank=True)
    warranty_end = models.DateField("三包结束", null=True, blank=True)
    warranty_km_limit = models.PositiveIntegerField("三包里程上限", null=True, blank=True)
    insurance_company = models.CharField("保险公司", max_length=50, blank=True)
    insurance_expires_on = models.DateField("保险到期", null=True, blank=True)
    inspection_due_on = models.DateField("年审到期", null=True, blank=True)
    mileage = models.PositiveIntegerField("当前里程(公里)", default=0)
    mileage_recorded_on = models.DateField("里程记录日期", null=True, blank=True)
    history = HistoricalRecords()

    class Meta:
        verbose_name = verbose_name_plural = "车辆"
        ordering = ["-id"]
        indexes = [
            models.Index(fields=["plate"], name="vehicle_plate_idx"),
            models.Index(Right("vin", 6), name="vehicle_vin_last6_idx"),
            # The list's keyset order (created_at, id) and the creation-date filters.
            models.Index(fields=["created_at", "id"], name="vehicle_created_id_idx"),
            # PostgreSQL also has vehicle_plate_trgm_idx (trigrams on plate, migration 0001).
        ]
        # Named, so the services can tell which rule a write broke and say it in Chinese
        # with the other vehicle (services._raise_for_violation).
        constraints = [
            models.UniqueConstraint(
                fields=["vin"],
                name="vehicle_vin_unique",
                violation_error_message="该 VIN 已登记在另一辆车上。",
            ),
            # A plate is on one vehicle at a time; it moves only after vehicle_free_plate.
            models.UniqueConstraint(
                fields=["plate"],
                condition=~models.Q(plate=""),
                name="vehicle_plate_unique",
                violation_error_message="该车牌已登记在另一辆车上。",
            ),
        ]

    def __str__(self):
        return self.plate or self.vin


class VehicleOwnership(TimeStampedModel):
    """Owner history: one open row (ended_on is null) per vehicle, closed on a transfer."""

    vehicle = models.ForeignKey(
        Vehicle, verbose_name="车辆", on_delete=models.CASCADE, related_name="ownerships"
    )
    customer = models.ForeignKey(
        Customer, verbose_name="车主", on_delete=models.PROTECT, related_name="ownerships"
    )
    started_on = models.DateField("起始日期")
    ended_on = models.DateField("结束日期", null=True, blank=True)
    note = models.CharField("说明", max_length=200, blank=True)

    class Meta:
        verbose_name = verbose_name_plural = "车主变更记录"
        ordering = ["vehicle", "-started_on", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["vehicle"],
                condition=models.Q(ended_on__isnull=True),
                name="vehicle_one_current_owner",
            ),
        ]

    def __str__(self):
        return f"{self.vehicle} · {self.customer}"


class CustomerMerge(TimeStampedModel):
    """A duplicate customer merged into the one kept: who, when, why and what moved.

    The duplicate row is deleted; its last state stays in the customer history
    (simple_history records the deletion with every field).
    """

    kept = models.ForeignKey(
        Customer, verbose_name="保留的客户", on_delete=models.PROTECT, related_name="merges"
    )
    duplicate_id = models.PositiveBigIntegerField("被合并的客户编号")
    duplicate_name = models.CharField("被合并的客户姓名", max_length=100)
    merged_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name="合并人",
        on_delete=models.PROTECT,
        null=True,  # null: merged by the data migration that preceded the unique constraint
        blank=True,
        related_name="+",
    )
    reason = models.CharField("合并原因", max_length=200)
    moved = models.JSONField("转移的记录", default=dict, blank=True)

    class Meta:
        verbose_name = verbose_name_plural = "客户合并记录"
        ordering = ["-created_at", "-id"]

    def __str__(self):
        return f"{self.duplicate_name}(#{self.duplicate_id})→ {self.kept}"


class SalesFile(TimeStampedModel):
    """销售档案: one per vehicle sold here, with the checklist of documents received."""

    class Document(models.TextChoices):
        PURCHASE_CONTRACT = "purchase_contract", "购车合同"
        ID_COPY = "id_copy", "身份证复印件"
        VEHICLE_CERTIFICATE = "vehicle_certificate", "车辆合格证"
        INVOICE = "invoice", "购车发票"
        PURCHASE_TAX = "purchase_tax", "购置税完税证明"
        INSURANCE_POLICY = "insurance_policy", "保险单"
        DELIVERY_CONFIRMATION = "delivery_confirmation", "交车确认单"
        PDI_CHECK = "pdi_check", "PDI检查单"
        WARRANTY_REGISTRATION = "warranty_registration", "保修登记表"

    vehicle = models.OneToOneField(
        Vehicle, verbose_name="车辆", on_delete=models.CASCADE, related_name="sales_file"
    )
    delivered_on = models.DateField("交车日期")
    invoiced_on = models.DateField("开票日期", null=True, blank=True)
    salesperson = models.CharField("销售顾问", max_length=30)
    via_secondary_outlet = models.BooleanField("二级网点销售", default=False)
    outlet_name = models.CharField("二级网点名称", max_length=60, blank=True)
    documents_due_on = models.DateField("资料应交日期")
    documents_completed_on = models.DateField("资料交齐日期", null=True, blank=True)
    history = HistoricalRecords()

    class Meta:
        verbose_name = verbose_name_plural = "销售档案"
        ordering = ["-delivered_on", "-id"]
        indexes = [
            # The keyset orders of the sales-file lists: open and late files by due day,
            # the others by delivery day (core.pagination; customers.selectors).
            models.Index(
                fields=["documents_due_on", "id"],
                condition=models.Q(documents_completed_on__isnull=True),
                name="salesfile_open_due_id_idx",
            ),
            models.Index(fields=["delivered_on", "id"], name="salesfile_delivered_id_idx"),
            # A secondary outlet's 7DC counts from the invoice (the callback generator).
            models.Index(
                fields=["invoiced_on"],
                condition=models.Q(via_secondary_outlet=True),
                name="salesfile_outlet_invoiced_idx",
            ),
        ]

    def __str__(self):
        return f"{self.vehicle} 销售档案"


class SalesDocument(TimeStampedModel):
    sales_file = models.ForeignKey(
        SalesFile, verbose_name="销售档案", on_delete=models.CASCADE, related_name="documents"
    )
    kind = models.CharField("资料", max_length=30, choices=SalesFile.Document.choices)
    received_on = models.DateField("收到日期")
    received_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name="接收人", on_delete=models.PROTECT, null=True
    )

    class Meta:
        verbose_name = verbose_name_plural = "销售档案资料"
        ordering = ["sales_file", "kind"]
        constraints = [
            models.UniqueConstraint(fields=["sales_file", "kind"], name="salesdocument_once"),
        ]

    def __str__(self):
        return self.get_kind_display()


class ImportBatch(TimeStampedModel):
    """An upload of the old system's Excel, imported all-or-nothing by a Celery task."""

    class Status(models.TextChoices):
        PENDING = "pending", "排队中"
        RUNNING = "running", "导入中"
        SUCCEEDED = "succeeded", "已导入"
        REJECTED = "rejected", "有错误,未导入"
        FAILED = "failed", "系统错误"

    file = models.FileField("文件", upload_to="imports/%Y/%m/")
    original_name = models.CharField("文件名", max_length=200)
    status = models.CharField("状态", max_length=10, choices=Status.choices, default="pending")
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name="导入人", on_delete=models.PROTECT
    )
    accept_invalid_vin = models.BooleanField("保留仅校验位错误的VIN", default=False)
    invalid_vin_reason = models.CharField("保留原因", max_length=200, blank=True)
    started_at = models.DateTimeField("开始时间", null=True, blank=True)
    finished_at = models.DateTimeField("完成时间", null=True, blank=True)
    errors = models.JSONField("错误", default=list, blank=True)
    # Values of the file that differ from what the app holds: listed, never written.
    conflicts = models.JSONField("冲突", default=list, blank=True)
    summary = models.JSONField("结果", default=dict, blank=True)
    # Progress while it runs (a few UPDATEs a second at most): rows read and checked, and
    # records written out of the total to write (known once the file is checked).
    rows_checked = models.PositiveIntegerField("已检查行数", default=0)
    rows_total = models.PositiveIntegerField("待写入记录数", default=0)
    rows_written = models.PositiveIntegerField("已写入记录数", default=0)
    # Checking is the first half of the bar (by bytes of the sheets read), writing the second.
    progress = models.PositiveSmallIntegerField("进度(%)", default=0)
    # Claims so far (a worker that died mid-import leaves one behind); capped by the task.
    attempts = models.PositiveSmallIntegerField("尝试次数", default=0)
    # The Celery task (message) that claimed it: its redelivery may claim it again.
    task_id = models.CharField("任务ID", max_length=50, blank=True)

    class Meta:
        verbose_name = verbose_name_plural = "档案导入"
        ordering = ["-id"]
        indexes = [
            models.Index(
                fields=["status", "started_at"],
                condition=models.Q(status__in=["pending", "running"]),
                name="importbatch_unfinished_idx",
            ),
        ]

    def __str__(self):
        return self.original_name

    @property
    def is_final(self) -> bool:
        return self.status in FINAL_IMPORT_STATUSES

    @property
    def duration(self):
        if self.started_at and self.finished_at:
            return self.finished_at - self.started_at
        return None


class ArchiveSettings(AreaSettings):
    """The archive's rules (DOMAIN.md §2): sales-file deadline, segments, search."""

    domain_section = 2

    sales_documents_due_working_days = number_field(
        2, "销售档案资料提交期限(工作日)", low=1, high=30
    )
    segment_months = number_field(12, "客户分级统计月数", low=1, high=60)
    segment_vip_spend = money_field("20000", "VIP:近期消费达(元)")
    segment_vip_visits = number_field(6, "VIP:近期进厂达(次)", low=1, high=365)
    segment_major_spend = money_field("8000", "重要客户:近期消费达(元)")
    segment_major_visits = number_field(4, "重要客户:近期进厂达(次)", low=1, high=365)
    segment_normal_spend = money_field("2000", "普通客户:近期消费达(元)")
    segment_normal_visits = number_field(2, "普通客户:近期进厂达(次)", low=1, high=365)
    # Rows per page of each kind of search result (more are paged, and counted): 25, one
    # tablet screen, as every list; 50 rows made the commonest search, a surname, too slow.
    search_result_limit = number_field(25, "搜索结果每页条数", low=10, high=500)
    # PIPL: a 行驶证 photo never confirmed for a car (the advisor typed the car in instead,
    # or walked away) is deleted after this many hours; one day covers a visit.
    licence_scan_unattached_hours = number_field(
        24, "未关联车辆的行驶证照片保留(小时)", low=1, high=720
    )

    class Meta(AreaSettings.Meta):
        verbose_name = verbose_name_plural = "客户档案规则"

    def clean(self):
        errors = {}
        if not (self.segment_vip_spend >= self.segment_major_spend >= self.segment_normal_spend):
            errors["segment_major_spend"] = "分级消费门槛须满足 VIP ≥ 重要 ≥ 普通。"
        if not (self.segment_vip_visits >= self.segment_major_visits >= self.segment_normal_visits):
            errors["segment_major_visits"] = "分级进厂次数门槛须满足 VIP ≥ 重要 ≥ 普通。"
        if errors:
            raise ValidationError(errors)


FINAL_IMPORT_STATUSES = (
    ImportBatch.Status.SUCCEEDED,
    ImportBatch.Status.REJECTED,
    ImportBatch.Status.FAILED,
)


class PiiReveal(TimeStampedModel):
    """One look at a whole phone or ID number (PIPL): who, when, whose, which, from where.

    Append-only: written by services.customer_reveal_pii, listed to managers.
    """

    customer = models.ForeignKey(
        Customer, verbose_name="客户", on_delete=models.PROTECT, related_name="pii_reveals"
    )
    field = models.CharField("查看内容", max_length=20, choices=PiiField.choices)
    revealed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name="查看人", on_delete=models.PROTECT, related_name="+"
    )
    page = models.CharField("页面", max_length=200, blank=True)

    class Meta:
        verbose_name = verbose_name_plural = "号码查看记录"
        ordering = ["-id"]
        indexes = [
            # The log page: newest first (the primary key), filtered by user or by date.
            models.Index(fields=["revealed_by", "-id"], name="piireveal_user_idx"),
            models.Index(fields=["created_at"], name="piireveal_created_at_idx"),
        ]

    def __str__(self):
        return f"{self.revealed_by} · {self.customer} · {self.get_field_display()}"


class LicenceScan(TimeStampedModel):
    """A photo of a vehicle licence (机动车行驶证), a VIN plate or a door-pillar label, read
    by OCR in a Celery task (tasks.read_licence_scan) and confirmed by the advisor.

    The photo is personal data (the owner's name and address): it lives in private storage,
    is streamed only to users with `view_licence_photo`, and is deleted with the row by
    services.licence_scan_erase (the PIPL erasure calls licence_scans_erase_for_customer).
    """

    class Status(models.TextChoices):
        PENDING = "pending", "识别中"
        READ = "read", "已识别"
        FAILED = "failed", "识别失败"

    image = models.FileField("照片", upload_to="licences/%Y/%m/", storage=private_storage_callable)
    content_type = models.CharField("格式", max_length=20)
    status = models.CharField("状态", max_length=10, choices=Status.choices, default=Status.PENDING)
    error = models.CharField("失败原因", max_length=200, blank=True)
    # LicenceReading.to_json(): every field with what was read, and the recognised lines.
    reading = models.JSONField("识别结果", default=dict, blank=True)
    read_at = models.DateTimeField("识别时间", null=True, blank=True)
    # Readings started (tasks.read_licence_scan): a photo that kills the worker every time
    # must not be redelivered forever.
    attempts = models.PositiveSmallIntegerField("识别次数", default=0)
    uploaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name="拍摄人", on_delete=models.PROTECT, related_name="+"
    )
    # The car the advisor confirmed it for, and whose licence it is: the owner when it was
    # attached (a later transfer does not make it the new owner's document).
    vehicle = models.ForeignKey(
        Vehicle,
        verbose_name="车辆",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="licence_scans",
    )
    customer = models.ForeignKey(
        Customer,
        verbose_name="车主",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="licence_scans",
    )
    attached_at = models.DateTimeField("关联时间", null=True, blank=True)

    class Meta:
        verbose_name = verbose_name_plural = "行驶证照片"
        ordering = ["-id"]
        permissions = [("view_licence_photo", "查看行驶证照片")]
        indexes = [
            # The sweep: scans never attached to a car, oldest first.
            models.Index(
                fields=["created_at"],
                condition=models.Q(vehicle__isnull=True),
                name="licencescan_unattached_idx",
            ),
        ]

    def __str__(self):
        return f"行驶证照片 #{self.pk}"
