"""The workshop floor (车间, DOMAIN.md §3 dispatch): teams, technicians, bays, the jobs the
supervisor dispatches, the technicians' clock, their proposed added items and the checks.

Above workorders: a `Job` groups approved lines of one work order for one technician; the
workshop services move the work order through its state machine
(`workorders.services.work_order_transition`), so the order's status stays the one truth
the advisor, the callbacks and the reports read. The design is in docs/WORKSHOP.md.
"""

from django.conf import settings
from django.db import models
from django.db.models import Q

from apps.core.models import TimeStampedModel
from apps.core.storage import private_storage_callable
from apps.workorders.models import LabourOperation, WorkOrder, WorkOrderLine

USER = settings.AUTH_USER_MODEL


class Skill(models.Model):
    """A kind of work a technician is qualified for (保养, 机修, 电器, 钣金, 喷漆, 新能源高压…);
    kept by managers, seeded by a data migration."""

    code = models.CharField("代码", max_length=20, unique=True)
    name = models.CharField("技能", max_length=30)
    order = models.PositiveSmallIntegerField("排序", default=0)
    # The labour operations that need this skill: dispatch infers a job's skill from its
    # lines' operations (services_dispatch.required_skill); a line typed by hand needs none.
    operations = models.ManyToManyField(
        LabourOperation, verbose_name="对应工时项目", blank=True, related_name="skills"
    )

    class Meta:
        verbose_name = verbose_name_plural = "技能"
        ordering = ["order", "code"]

    def __str__(self):
        return self.name


class Team(TimeStampedModel):
    name = models.CharField("班组", max_length=30, unique=True)
    lead = models.ForeignKey(
        USER,
        verbose_name="班组长",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="teams_led",
    )
    active = models.BooleanField("在用", default=True)

    class Meta:
        verbose_name = verbose_name_plural = "班组"
        ordering = ["name"]
        permissions = [("view_jobboard", "查看车间看板")]

    def __str__(self):
        return self.name


class Technician(TimeStampedModel):
    """A user who works on the floor. Working hours default to the dealership's."""

    user = models.OneToOneField(
        USER, verbose_name="账号", on_delete=models.PROTECT, related_name="technician"
    )
    team = models.ForeignKey(
        Team, verbose_name="班组", on_delete=models.PROTECT, related_name="technicians"
    )
    skills = models.ManyToManyField(Skill, verbose_name="技能", blank=True)
    starts_at = models.TimeField("上班时间", null=True, blank=True)
    ends_at = models.TimeField("下班时间", null=True, blank=True)
    active = models.BooleanField("在岗", default=True)

    class Meta:
        verbose_name = verbose_name_plural = "技师"
        ordering = ["team", "user__username"]

    def __str__(self):
        return str(self.user)  # the user's display name (姓名), else the login


class Bay(TimeStampedModel):
    """A working place (工位): a lift, an alignment bay, a paint booth…"""

    code = models.CharField("工位号", max_length=10, unique=True)
    name = models.CharField("名称", max_length=30)
    skill = models.ForeignKey(
        Skill,
        verbose_name="适用技能",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        help_text="留空:通用工位",
    )
    active = models.BooleanField("在用", default=True)

    class Meta:
        verbose_name = verbose_name_plural = "工位"
        ordering = ["code"]

    def __str__(self):
        return f"{self.code} {self.name}"


class Job(TimeStampedModel):
    """Work dispatched to one technician: one or more approved lines of one work order.

    Each line belongs to at most one job that is not cancelled (JobLine's constraint).
    `worked_seconds` is a cache of the closed JobClock rows, written by the clock service.
    """

    class Status(models.TextChoices):
        ASSIGNED = "assigned", "待开工"
        IN_PROGRESS = "in_progress", "作业中"
        PAUSED = "paused", "暂停"
        FINISHED = "finished", "已完工"
        CANCELLED = "cancelled", "已撤销"

    class PauseReason(models.TextChoices):
        PARTS = "parts", "等待配件"
        APPROVAL = "approval", "等待客户确认"
        BREAK = "break", "休息"
        OTHER = "other", "其他"

    work_order = models.ForeignKey(
        WorkOrder, verbose_name="工单", on_delete=models.PROTECT, related_name="jobs"
    )
    lines = models.ManyToManyField(
        WorkOrderLine, verbose_name="作业项目", through="JobLine", related_name="jobs"
    )
    team = models.ForeignKey(Team, verbose_name="班组", on_delete=models.PROTECT)
    technician = models.ForeignKey(
        Technician, verbose_name="技师", on_delete=models.PROTECT, related_name="jobs"
    )
    bay = models.ForeignKey(Bay, verbose_name="工位", on_delete=models.PROTECT, null=True)
    # The kind of work: what the technician must be qualified for (dispatch checks it) and
    # which checklist items apply (CheckItem.skill). Empty: general work.
    skill = models.ForeignKey(
        Skill, verbose_name="作业技能", on_delete=models.PROTECT, null=True, blank=True
    )
    status = models.CharField("状态", max_length=12, choices=Status.choices, default="assigned")
    pause_reason = models.CharField(
        "暂停原因", max_length=10, choices=PauseReason.choices, blank=True
    )
    pause_note = models.CharField("暂停说明", max_length=200, blank=True)
    standard_hours = models.DecimalField("标准工时", max_digits=6, decimal_places=2, default=0)
    worked_seconds = models.PositiveIntegerField("实际作业(秒)", default=0)
    is_rework = models.BooleanField("返工", default=False)
    # Why the supervisor took the job back (undispatch before work started).
    cancel_reason = models.CharField("撤销原因", max_length=200, blank=True)
    assigned_by = models.ForeignKey(USER, verbose_name="派工人", on_delete=models.PROTECT)
    assigned_at = models.DateTimeField("派工时间")
    started_at = models.DateTimeField("开工时间", null=True, blank=True)
    finished_at = models.DateTimeField("完工时间", null=True, blank=True)

    class Meta:
        verbose_name = verbose_name_plural = "派工作业"
        ordering = ["assigned_at", "id"]
        indexes = [
            # The technician's tablet and the job board: open jobs per technician.
            models.Index(fields=["technician", "status"], name="job_technician_status_idx"),
            models.Index(fields=["status", "assigned_at"], name="job_status_assigned_idx"),
            # Efficiency and first-time-fix per period.
            models.Index(fields=["finished_at"], name="job_finished_at_idx"),
            # The tablet's "finished today" of one technician among ten years of jobs.
            models.Index(fields=["technician", "finished_at"], name="job_technician_finished_idx"),
            # The figures of a period (selectors_floor.floor_stats): every column the sums
            # read is in the index, so a year's jobs are read from it alone.
            models.Index(
                fields=["finished_at"],
                include=["technician", "team", "standard_hours", "worked_seconds", "is_rework"],
                condition=Q(status="finished"),
                name="job_finished_figures_idx",
            ),
        ]

    def __str__(self):
        return f"{self.work_order.number} · {self.technician}"


class JobLine(models.Model):
    job = models.ForeignKey(Job, on_delete=models.CASCADE, related_name="job_lines")
    line = models.ForeignKey(WorkOrderLine, on_delete=models.PROTECT, related_name="job_lines")
    # Copied from the job so the "one live job per line" rule is a database constraint.
    active = models.BooleanField(default=True)

    class Meta:
        verbose_name = verbose_name_plural = "作业项目"
        constraints = [
            models.UniqueConstraint(
                fields=["line"], condition=Q(active=True), name="jobline_one_live_job_per_line"
            )
        ]

    def __str__(self):
        return f"{self.job_id}: {self.line_id}"


class JobAssignment(models.Model):
    """Every (re)assignment of a job, with the reason for a reassignment."""

    job = models.ForeignKey(Job, on_delete=models.CASCADE, related_name="assignments")
    team = models.ForeignKey(Team, verbose_name="班组", on_delete=models.PROTECT)
    technician = models.ForeignKey(Technician, verbose_name="技师", on_delete=models.PROTECT)
    bay = models.ForeignKey(Bay, verbose_name="工位", on_delete=models.PROTECT, null=True)
    reason = models.CharField("改派原因", max_length=200, blank=True)
    by = models.ForeignKey(USER, verbose_name="操作人", on_delete=models.PROTECT)
    at = models.DateTimeField("时间")

    class Meta:
        verbose_name = verbose_name_plural = "派工记录"
        ordering = ["at", "id"]

    def __str__(self):
        return f"{self.job_id} → {self.technician_id}"


class JobClock(models.Model):
    """One stretch of work on a job: start (or resume) to pause (or finish)."""

    job = models.ForeignKey(Job, on_delete=models.CASCADE, related_name="clock")
    technician = models.ForeignKey(Technician, verbose_name="技师", on_delete=models.PROTECT)
    started_at = models.DateTimeField("开始")
    ended_at = models.DateTimeField("结束", null=True, blank=True)
    # Why the stretch ended: a PauseReason, or "finish".
    end_reason = models.CharField("结束原因", max_length=10, blank=True)

    class Meta:
        verbose_name = verbose_name_plural = "作业计时"
        ordering = ["started_at", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["job"], condition=Q(ended_at__isnull=True), name="jobclock_one_open_per_job"
            )
        ]

    def __str__(self):
        return f"{self.job_id} {self.started_at:%H:%M}"


class ProposedItem(TimeStampedModel):
    """An added item (增项) a technician proposes from the car: a note and a photo, which
    the advisor turns into proposed lines for the customer's approval, or declines."""

    class Status(models.TextChoices):
        PROPOSED = "proposed", "待顾问处理"
        ADDED = "added", "已加入工单"
        DECLINED = "declined", "顾问未采纳"

    job = models.ForeignKey(Job, verbose_name="作业", on_delete=models.PROTECT, related_name="+")
    work_order = models.ForeignKey(
        WorkOrder, verbose_name="工单", on_delete=models.PROTECT, related_name="proposed_items"
    )
    proposed_by = models.ForeignKey(Technician, verbose_name="技师", on_delete=models.PROTECT)
    description = models.CharField("建议项目", max_length=200)
    note = models.TextField("说明", blank=True)
    photo = models.FileField(
        "照片",
        upload_to="proposals/%Y/%m/",
        storage=private_storage_callable,
        blank=True,
    )
    status = models.CharField("状态", max_length=10, choices=Status.choices, default="proposed")
    lines = models.ManyToManyField(WorkOrderLine, verbose_name="加入的明细", blank=True)
    decided_by = models.ForeignKey(
        USER, verbose_name="处理人", on_delete=models.PROTECT, null=True, related_name="+"
    )
    decided_at = models.DateTimeField("处理时间", null=True, blank=True)
    decline_reason = models.CharField("未采纳原因", max_length=200, blank=True)

    class Meta:
        verbose_name = verbose_name_plural = "技师增项建议"
        ordering = ["created_at", "id"]
        # The advisors' "waiting for me" list: the few open proposals among all of them.
        indexes = [models.Index(fields=["status", "created_at"], name="proposeditem_status_idx")]

    def __str__(self):
        return self.description


class CheckItem(models.Model):
    """One line of a checklist, by kind of check and kind of work (data, kept by managers):
    an item with an empty `skill` applies to every job."""

    class Kind(models.TextChoices):
        SELF = "self", "自检"
        TEAM = "team", "班组长检验"
        FINAL = "final", "终检"

    kind = models.CharField("检验类别", max_length=10, choices=Kind.choices)
    skill = models.ForeignKey(
        Skill, verbose_name="作业类别", on_delete=models.PROTECT, null=True, blank=True
    )
    text = models.CharField("检查项", max_length=200)
    order = models.PositiveSmallIntegerField("排序", default=0)
    active = models.BooleanField("在用", default=True)

    class Meta:
        verbose_name = verbose_name_plural = "检验项目"
        ordering = ["kind", "order", "id"]

    def __str__(self):
        return self.text


class Check(models.Model):
    """A self-check (per job), team-lead check or final QC (per work order): the checklist
    answers, pass or fail, and on failure the reason that sent the work back as rework."""

    work_order = models.ForeignKey(
        WorkOrder, verbose_name="工单", on_delete=models.PROTECT, related_name="checks"
    )
    job = models.ForeignKey(
        Job, verbose_name="作业", on_delete=models.PROTECT, null=True, related_name="checks"
    )
    kind = models.CharField("检验类别", max_length=10, choices=CheckItem.Kind.choices)
    passed = models.BooleanField("合格")
    # [{"item": <CheckItem id>, "text": "...", "ok": true, "note": ""}, ...] as answered.
    answers = models.JSONField("检查结果", default=list)
    reason = models.CharField("不合格原因", max_length=300, blank=True)
    by = models.ForeignKey(USER, verbose_name="检验人", on_delete=models.PROTECT)
    at = models.DateTimeField("检验时间")
    # A failed team or final check counts against the technician and team who did the job
    # then (first-time fix), even when the rework goes to someone else.
    technician = models.ForeignKey(
        Technician,
        verbose_name="责任技师",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="failed_checks",
    )
    team = models.ForeignKey(
        Team, verbose_name="责任班组", on_delete=models.PROTECT, null=True, blank=True
    )

    class Meta:
        verbose_name = verbose_name_plural = "检验记录"
        ordering = ["at", "id"]
        indexes = [
            models.Index(fields=["kind", "at"], name="check_kind_at_idx"),
            # The figures' failed team / final checks of a period, with whose they are: a
            # few among every check, read from the index alone.
            models.Index(
                fields=["at"],
                include=["technician", "team"],
                condition=Q(passed=False, kind__in=("team", "final")),
                name="check_failed_by_at_idx",
            ),
        ]

    def __str__(self):
        return f"{self.get_kind_display()} {'合格' if self.passed else '不合格'}"
