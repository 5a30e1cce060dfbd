"""Callbacks (回访, DOMAIN.md §5) and churn (客户流失, §8): the two areas' rules and the
callbacks themselves (`Callback`, made by the daily generator in services.py); the call
queue, the questionnaires and churn callbacks build on them.

Churn lives here rather than in a reports app: every newly lost vehicle gets a churn
callback, so the callback generator needs the churn rules, and reports (the top layer,
which reads every app) must stay above callbacks, never below it.
"""

import datetime as dt

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models

from apps.core.models import (
    AreaSettings,
    TimeStampedModel,
    money_field,
    number_field,
    percent_field,
)
from apps.customers.models import Customer, SalesFile, Vehicle
from apps.workorders.models import WorkOrder


class CallbackSettings(AreaSettings):
    """When callbacks open and fall due, who is sampled, and when customers may be called."""

    domain_section = 5

    callback_3dc_open_day = number_field(3, "3DC 开始(交车后第N天)", low=1, high=30)
    callback_3dc_due_day = number_field(5, "3DC 截止(交车后第N天)", low=1, high=30)
    callback_7dc_open_day = number_field(7, "7DC 开始(交车后第N天)", low=1, high=60)
    callback_7dc_due_day = number_field(10, "7DC 截止(交车后第N天)", low=1, high=60)
    callback_7dc_outlet_open_day = number_field(10, "7DC 二级网点开始(开票后第N天)", low=1, high=60)
    callback_7dc_outlet_due_day = number_field(13, "7DC 二级网点截止(开票后第N天)", low=1, high=60)
    callback_level2_sample_percent = percent_field("10", "二级回访抽样比例(%)")
    callback_level3_amount = money_field("20000", "三级回访:工单金额达(元)")
    callback_second_within_days = number_field(3, "二次回访期限(解决后天数)", low=1, high=30)
    # Added with the generator (issue 11): the periodic callbacks' offsets and windows.
    callback_monthly_after_months = number_field(1, "新车月回访(交车后N个月)", low=1, high=11)
    callback_annual_after_months = number_field(12, "新车年回访(交车后N个月)", low=2, high=36)
    callback_periodic_due_days = number_field(7, "月/年回访完成期限(开始后天数)", low=0, high=60)
    callback_level2_due_day = number_field(7, "二级回访截止(每月第N天)", low=1, high=28)
    callback_level3_after_months = number_field(3, "三级回访新车(交车后N个月)", low=1, high=24)
    callback_level3_sample_percent = percent_field("10", "三级回访新车抽样比例(%)")
    callback_level3_due_days = number_field(14, "三级回访完成期限(开始后天数)", low=0, high=60)
    callback_window1_start = models.TimeField("回访时段一开始", default=dt.time(10, 0))
    callback_window1_end = models.TimeField("回访时段一结束", default=dt.time(12, 0))
    callback_window2_start = models.TimeField("回访时段二开始", default=dt.time(15, 0))
    callback_window2_end = models.TimeField("回访时段二结束", default=dt.time(18, 0))
    callback_max_attempts = number_field(3, "无法接通关闭前尝试(次,不同日)", low=1, high=10)
    contact_limit_per_week = number_field(2, "每周联系上限(次,投诉除外)", low=1, high=14)
    callback_claim_minutes = number_field(15, "领取后未处理自动释放(分钟)", low=1, high=240)

    class Meta(AreaSettings.Meta):
        verbose_name = verbose_name_plural = "回访规则"

    def clean(self):
        errors = {}
        if self.callback_window1_start >= self.callback_window1_end:
            errors["callback_window1_end"] = "回访时段一的结束时间必须晚于开始时间。"
        if self.callback_window2_start >= self.callback_window2_end:
            errors["callback_window2_end"] = "回访时段二的结束时间必须晚于开始时间。"
        if self.callback_window1_end > self.callback_window2_start:
            errors["callback_window2_start"] = "回访时段二必须在时段一之后。"
        if self.callback_3dc_open_day > self.callback_3dc_due_day:
            errors["callback_3dc_due_day"] = "3DC 截止日不能早于开始日。"
        if self.callback_7dc_open_day > self.callback_7dc_due_day:
            errors["callback_7dc_due_day"] = "7DC 截止日不能早于开始日。"
        if self.callback_7dc_outlet_open_day > self.callback_7dc_outlet_due_day:
            errors["callback_7dc_outlet_due_day"] = "二级网点 7DC 截止日不能早于开始日。"
        if errors:
            raise ValidationError(errors)


class ChurnSettings(AreaSettings):
    """The retained base and when a vehicle counts as active, dormant, lost or about to churn."""

    domain_section = 8

    churn_retained_months = number_field(24, "保有客户:近N月销售或进厂", low=1, high=120)
    churn_active_months = number_field(6, "活跃:末次付费进厂在N月内", low=1, high=60)
    churn_dormant_months = number_field(12, "休眠:末次付费进厂在N月内", low=1, high=120)
    churn_overdue_days = number_field(30, "即将流失:预计进厂逾期(天)", low=1, high=365)

    class Meta(AreaSettings.Meta):
        verbose_name = verbose_name_plural = "客户流失规则"

    def clean(self):
        if self.churn_active_months >= self.churn_dormant_months:
            raise ValidationError({"churn_dormant_months": "休眠月数必须大于活跃月数。"})


class Callback(TimeStampedModel):
    """One reason to call a customer back, made once per event (DOMAIN.md §5).

    The event is the callback's source: a delivered work order (3DC; level 3 for a big,
    accident or VIP repair), a new car's sales file (7DC, monthly, annual; level 3 for the
    new-car sample) or an earlier callback (`parent`: the level-2 check of a completed
    3DC/7DC; the second callback after a problem of that callback was resolved). Level-2
    and second callbacks also carry their parent's work order or sales file: the visit or
    sale the call is about. Partial unique constraints make "once per event" a database
    rule, so the generator inserts with ON CONFLICT DO NOTHING and a second run adds
    nothing.

    The window: it may be worked from `opens_on` and should be done by `due_on` (after
    it, overdue). `event_on` is the day the window counts from. `status` leaves OPEN once,
    for DONE (the customer was reached), UNREACHABLE (`attempts` failed calls on different
    days) or CANCELLED; the call queue, the call screen and the questionnaire build on
    these fields.
    """

    class Kind(models.TextChoices):
        SERVICE_3DC = "3dc", "3DC 维修回访"
        SALES_7DC = "7dc", "7DC 新车回访"
        MONTHLY = "monthly", "新车月回访"
        ANNUAL = "annual", "新车年回访"
        LEVEL2 = "level2", "二级回访"
        LEVEL3 = "level3", "三级回访"
        SECOND = "second", "二次回访"

    class Status(models.TextChoices):
        OPEN = "open", "待回访"
        DONE = "done", "已回访"
        UNREACHABLE = "unreachable", "无法接通"
        CANCELLED = "cancelled", "已取消"

    # Kinds by their source (the constraints below, the generator, the call screen).
    WORK_ORDER_KINDS = (Kind.SERVICE_3DC, Kind.LEVEL3)
    SALES_FILE_KINDS = (Kind.SALES_7DC, Kind.MONTHLY, Kind.ANNUAL, Kind.LEVEL3)
    PARENT_KINDS = (Kind.LEVEL2, Kind.SECOND)

    kind = models.CharField("类型", max_length=10, choices=Kind.choices)
    status = models.CharField("状态", max_length=12, choices=Status.choices, default=Status.OPEN)
    customer = models.ForeignKey(
        Customer, verbose_name="客户", on_delete=models.PROTECT, related_name="callbacks"
    )
    vehicle = models.ForeignKey(
        Vehicle, verbose_name="车辆", on_delete=models.PROTECT, related_name="callbacks"
    )
    work_order = models.ForeignKey(
        WorkOrder,
        verbose_name="工单",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="callbacks",
    )
    sales_file = models.ForeignKey(
        SalesFile,
        verbose_name="销售档案",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="callbacks",
    )
    parent = models.ForeignKey(
        "self",
        verbose_name="上一回访",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="followups",
    )
    event_on = models.DateField("事件日期")
    opens_on = models.DateField("开始日期")
    due_on = models.DateField("截止日期")
    # --- the calls (the queue and the call screen write these) ---
    attempts = models.PositiveSmallIntegerField("未接通次数", default=0)
    last_attempt_at = models.DateTimeField("最近一次拨打", null=True, blank=True)
    call_back_at = models.DateTimeField("约定回拨时间", null=True, blank=True)
    closed_at = models.DateTimeField("完成时间", null=True, blank=True)
    closed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name="回访人",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    is_problem = models.BooleanField("问题客户", default=False)
    outcome = models.CharField("回访结果", max_length=16, blank=True)  # CallOutcome, when closed
    note = models.TextField("回访备注", blank=True)

    class Meta:
        verbose_name = verbose_name_plural = "回访"
        ordering = ["due_on", "id"]
        indexes = [
            # The queue: open callbacks by due day (overdue first), and the day's openings.
            models.Index(
                fields=["due_on", "id"],
                condition=models.Q(status="open"),
                name="callback_open_due_idx",
            ),
            models.Index(
                fields=["customer", "opens_on"],
                condition=models.Q(status="open"),
                name="callback_open_customer_idx",
            ),
            # Level 2 samples last month's completed 3DC/7DC callbacks.
            models.Index(fields=["kind", "closed_at"], name="callback_kind_closed_idx"),
            # Satisfaction (satisfaction.py): the callbacks reached in a period.
            models.Index(
                fields=["closed_at"],
                condition=models.Q(status="done"),
                name="callback_done_closed_idx",
            ),
        ]
        constraints = [
            # Once per event: a work order, a sales file or a parent callback has at most
            # one callback of each kind (a second run of the generator inserts nothing).
            models.UniqueConstraint(
                fields=["kind", "work_order"],
                condition=models.Q(kind__in=["3dc", "level3"], work_order__isnull=False),
                name="callback_once_per_work_order",
            ),
            models.UniqueConstraint(
                fields=["kind", "sales_file"],
                condition=models.Q(
                    kind__in=["7dc", "monthly", "annual", "level3"], sales_file__isnull=False
                ),
                name="callback_once_per_sales_file",
            ),
            models.UniqueConstraint(
                fields=["kind", "parent"],
                condition=models.Q(parent__isnull=False),
                name="callback_once_per_parent",
            ),
            # Each kind has its source.
            models.CheckConstraint(
                condition=~models.Q(kind="3dc") | models.Q(work_order__isnull=False),
                name="callback_3dc_has_work_order",
            ),
            models.CheckConstraint(
                condition=~models.Q(kind__in=["7dc", "monthly", "annual"])
                | models.Q(sales_file__isnull=False),
                name="callback_sale_kinds_have_sales_file",
            ),
            models.CheckConstraint(
                condition=~models.Q(kind="level3")
                | models.Q(work_order__isnull=False, sales_file__isnull=True)
                | models.Q(work_order__isnull=True, sales_file__isnull=False),
                name="callback_level3_has_one_source",
            ),
            models.CheckConstraint(
                condition=~models.Q(kind="level2") | models.Q(parent__isnull=False),
                name="callback_level2_has_parent",
            ),
            models.CheckConstraint(
                condition=models.Q(opens_on__lte=models.F("due_on")),
                name="callback_opens_before_due",
            ),
        ]

    def __str__(self):
        return f"{self.get_kind_display()} · {self.customer_id} · {self.due_on:%Y-%m-%d}"


class CallItem(TimeStampedModel):
    """The call queue (DOMAIN.md §5): one item per customer and day, listing every open
    callback of that customer (one call for all its reasons), built each morning by the
    daily job `callbacks-build-queue` (services.call_queue_build).

    A clerk's "next call" claims the most urgent item no one holds (`SELECT … FOR UPDATE
    SKIP LOCKED`, services.call_next): `claimed_by` / `claimed_at`; a claim untouched for
    `CallbackSettings.callback_claim_minutes` may be taken by anyone. `preferred_time` is
    the customer's preferred contact time when the item was built: the queue offers the
    item only within it (or the default windows).
    """

    class Status(models.TextChoices):
        WAITING = "waiting", "待拨打"
        CLAIMED = "claimed", "拨打中"
        DONE = "done", "已拨打"

    customer = models.ForeignKey(
        Customer, verbose_name="客户", on_delete=models.PROTECT, related_name="call_items"
    )
    day = models.DateField("日期")
    status = models.CharField("状态", max_length=10, choices=Status.choices, default=Status.WAITING)
    due_on = models.DateField("最早截止日期")  # the most urgent of its callbacks
    preferred_time = models.CharField(
        "希望联系时间", max_length=10, choices=Customer.ContactTime.choices, blank=True
    )
    callbacks = models.ManyToManyField(Callback, verbose_name="回访事项", related_name="call_items")
    claimed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name="领取人",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    claimed_at = models.DateTimeField("领取时间", null=True, blank=True)
    done_at = models.DateTimeField("拨打完成时间", null=True, blank=True)
    # The call's outcome (CallOutcome) once done; a failed call does not count towards the
    # contact limit. `call_back_at`: the customer asked to be called at this time today,
    # so the item is offered again from then on.
    outcome = models.CharField("拨打结果", max_length=16, blank=True)
    call_back_at = models.DateTimeField("约定回拨时间", null=True, blank=True)

    class Meta:
        verbose_name = verbose_name_plural = "回访队列"
        ordering = ["day", "due_on", "id"]
        permissions = [("work_callitem", "回访拨打(领取下一个)")]
        indexes = [
            # "Next call": today's unfinished items, most urgent (overdue) first.
            models.Index(
                fields=["day", "due_on", "id"],
                condition=models.Q(status__in=["waiting", "claimed"]),
                name="callitem_queue_idx",
            ),
            # The contact limit: a customer's calls of the last week.
            models.Index(fields=["customer", "day"], name="callitem_customer_day_idx"),
            # Today's queue in figures and the week's calls, among ten years of items.
            models.Index(fields=["day", "status"], name="callitem_day_status_idx"),
        ]
        constraints = [
            # One call per customer per day: every reason of the day in one item.
            models.UniqueConstraint(fields=["customer", "day"], name="callitem_once_per_day"),
        ]

    def __str__(self):
        return f"{self.day:%Y-%m-%d} · {self.customer_id}"


class CallOutcome(models.TextChoices):
    """What one call attempt came to (DOMAIN.md §5)."""

    REACHED = "reached", "已接通"
    NO_ANSWER = "no_answer", "无人接听"
    BUSY = "busy", "占线"
    WRONG_NUMBER = "wrong_number", "号码错误"
    REFUSED = "refused", "拒绝回访"
    CALL_BACK = "call_back", "约定回拨"
    DO_NOT_DISTURB = "do_not_disturb", "要求免打扰"


# Attempts that did not reach the customer: they count towards the unreachable rule and
# not towards the contact limit.
FAILED_OUTCOMES = (CallOutcome.NO_ANSWER, CallOutcome.BUSY, CallOutcome.WRONG_NUMBER)


class CallAttempt(models.Model):
    """One call placed from the call screen (who, when, what came of it): append-only.

    One call covers every callback of its queue item (one call per customer per day), so
    an attempt belongs to the item; `callbacks` lists those it was about.
    """

    item = models.ForeignKey(
        CallItem, verbose_name="回访队列", on_delete=models.PROTECT, related_name="attempts"
    )
    customer = models.ForeignKey(
        Customer, verbose_name="客户", on_delete=models.PROTECT, related_name="call_attempts"
    )
    callbacks = models.ManyToManyField(
        Callback, verbose_name="回访事项", related_name="call_attempts"
    )
    by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name="回访人", on_delete=models.PROTECT, related_name="+"
    )
    at = models.DateTimeField("拨打时间")
    outcome = models.CharField("结果", max_length=16, choices=CallOutcome.choices)
    call_back_at = models.DateTimeField("约定回拨时间", null=True, blank=True)
    note = models.TextField("备注", blank=True)

    class Meta:
        verbose_name = verbose_name_plural = "拨打记录"
        ordering = ["-at", "-id"]
        indexes = [
            models.Index(fields=["customer", "-at"], name="callattempt_customer_idx"),
            # The clerk's 工作台: today's calls and how many reached the customer.
            models.Index(fields=["at"], name="callattempt_at_idx"),
        ]

    def __str__(self):
        return f"{self.at:%Y-%m-%d %H:%M} · {self.get_outcome_display()}"


class CallAnswer(models.Model):
    """One answer of a reached callback's questionnaire (questionnaires.py), kept with the
    questionnaire's version and the question's department as they were when asked: a new
    version changes neither old answers nor the satisfaction computed from them."""

    callback = models.ForeignKey(
        Callback, verbose_name="回访", on_delete=models.CASCADE, related_name="answers"
    )
    version = models.CharField("问卷版本", max_length=20)
    code = models.CharField("题目", max_length=20)
    department = models.CharField("部门", max_length=12)
    score = models.PositiveSmallIntegerField("评分(1-5)", null=True, blank=True)
    yes = models.BooleanField("是/否", null=True, blank=True)
    text = models.TextField("客户原话", blank=True)

    class Meta:
        verbose_name = verbose_name_plural = "回访答案"
        ordering = ["callback", "id"]
        permissions = [("view_satisfaction", "查看满意度统计")]
        constraints = [
            models.UniqueConstraint(fields=["callback", "code"], name="callanswer_once_per_code"),
            models.CheckConstraint(
                condition=models.Q(score__isnull=True) | models.Q(score__gte=1, score__lte=5),
                name="callanswer_score_1_to_5",
            ),
        ]

    def __str__(self):
        return f"{self.callback_id} · {self.code}"


class SatisfactionDay(models.Model):
    """The scored answers of one day (the local date the callbacks were reached), per kind
    of callback and department: how many, and how many were 4 or 5. Kept by the service
    that records answers (in its transaction) and rebuilt from the answers by
    `satisfaction.satisfaction_rebuild` (the demo's bulk history, a check): the
    satisfaction pages sum a few hundred of these rows instead of a year's answers."""

    day = models.DateField("回访日期")
    kind = models.CharField("回访类型", max_length=12)
    department = models.CharField("部门", max_length=12)
    answers = models.PositiveIntegerField("评分答案", default=0)
    satisfied = models.PositiveIntegerField("满意(4-5 分)", default=0)

    class Meta:
        verbose_name = verbose_name_plural = "每日满意度汇总"
        constraints = [
            models.UniqueConstraint(
                fields=["day", "kind", "department"], name="satisfactionday_unique"
            )
        ]

    def __str__(self):
        return f"{self.day} · {self.kind} · {self.department}"


class Department(models.TextChoices):
    """Who answers for a questionnaire item or a problem (DOMAIN.md §5)."""

    FRONT_DESK = "front_desk", "前台"
    WORKSHOP = "workshop", "车间"
    CASHIER = "cashier", "收银"
    PARTS = "parts", "配件"
    BODY_PAINT = "body_paint", "钣喷"
    WASH = "wash", "洗车"
    SALES = "sales", "销售"
    OVERALL = "overall", "总体"


class Problem(TimeStampedModel):
    """A problem raised by a callback (问题客户, DOMAIN.md §5): a scored answer ≤ 3 or a
    complaint the customer stated. Worked on 问题处理 with the quick-handling form
    (快速处理表: department, person, due date, what was done, result) and closed, or
    escalated to a complaint (the complaints app calls services.problem_mark_escalated).
    When the last open problem of a callback closes, its second callback is scheduled."""

    class Severity(models.TextChoices):
        NORMAL = "normal", "一般"
        SERIOUS = "serious", "严重"

    class Status(models.TextChoices):
        OPEN = "open", "待处理"
        CLOSED = "closed", "已处理"
        ESCALATED = "escalated", "已转投诉"

    callback = models.ForeignKey(
        Callback, verbose_name="回访", on_delete=models.PROTECT, related_name="problems"
    )
    customer = models.ForeignKey(
        Customer, verbose_name="客户", on_delete=models.PROTECT, related_name="problems"
    )
    question = models.CharField("题目", max_length=20, blank=True)  # blank: a stated complaint
    score = models.PositiveSmallIntegerField("评分", null=True, blank=True)
    what = models.TextField("问题")
    department = models.CharField("责任部门", max_length=12, choices=Department.choices)
    severity = models.CharField(
        "严重程度", max_length=8, choices=Severity.choices, default=Severity.NORMAL
    )
    status = models.CharField("状态", max_length=10, choices=Status.choices, default=Status.OPEN)
    responsible = models.CharField("责任人", max_length=30, blank=True)
    due_on = models.DateField("处理期限", null=True, blank=True)
    action = models.TextField("处理措施", blank=True)
    result = models.TextField("处理结果", blank=True)
    handled_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name="处理人",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    handled_at = models.DateTimeField("处理时间", null=True, blank=True)
    complaint_id = models.PositiveIntegerField("投诉单", null=True, blank=True)

    class Meta:
        verbose_name = verbose_name_plural = "回访问题"
        ordering = ["-created_at", "-id"]
        indexes = [
            models.Index(
                fields=["-created_at", "-id"],
                condition=models.Q(status="open"),
                name="problem_open_idx",
            )
        ]

    def __str__(self):
        return f"{self.get_department_display()} · {self.what[:20]}"
