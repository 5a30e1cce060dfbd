"""The questionnaires of the callbacks (DOMAIN.md §5), kept as versioned data.

Each callback kind asks one questionnaire; a question is scored 1-5 (5 best), yes/no, or
the customer's own words, and belongs to a department (models.Department), so that answers
add up to each department's satisfaction. An answer is stored with the version and the
department it was asked under (`CallAnswer`): issuing a new version (a new entry in
`VERSIONS`, `CURRENT` pointing at it) changes no old answer. A question with a condition is
asked only when the visit had that kind of work (`applies`).

The 3DC items are DOMAIN §5's 1-7 (seeds/000: 维修后3日内 回访内容); the 7DC items the sales
experience; monthly, annual, level 2/3 and second callbacks ask a shorter set each.
"""

from dataclasses import dataclass

from apps.workorders.models import WorkOrder

from .models import Callback, Department

Kind = Callback.Kind
D = Department

SCORE = "score"  # 1-5
YES_NO = "yes_no"
WORDS = "words"  # the customer's own words, verbatim

# Conditions: the question is asked only when the visit had this kind of work.
BODY_PAINT = "body_paint"


@dataclass(frozen=True)
class Question:
    code: str
    text: str
    kind: str
    department: str = D.OVERALL
    when: str = ""  # a condition (BODY_PAINT) or "" (always asked)

    @property
    def department_label(self) -> str:
        return Department(self.department).label

    @property
    def is_words(self) -> bool:
        return self.kind == WORDS


@dataclass(frozen=True)
class Questionnaire:
    version: str
    title: str
    questions: tuple[Question, ...]
    # The script (话术): the opening, and the branch for a satisfied / unhappy customer.
    opening: str = ""
    if_satisfied: str = ""
    if_unhappy: str = ""

    def questions_for(self, conditions: set[str]) -> list[Question]:
        return [q for q in self.questions if not q.when or q.when in conditions]


OVERALL = Question("overall", "总体满意度", SCORE, D.OVERALL)
WORDS_Q = Question("words", "客户意见(原话记录)", WORDS, D.OVERALL)
UNHAPPY = "非常抱歉给您带来不便,您的意见我已经详细记录,相关部门会尽快与您联系处理。"
SATISFIED = "感谢您的支持和认可,祝您用车愉快!"

SERVICE_3DC_V1 = Questionnaire(
    version="3dc-v1",
    title="3DC 维修回访问卷",
    opening="您好,我是本店客服专员,您的爱车前几天在我店维修保养,占用您两分钟做个回访可以吗?",
    if_satisfied=SATISFIED + "下次保养前我们会提醒您,也欢迎您提前预约。",
    if_unhappy=UNHAPPY,
    questions=(
        Question("speed_reception", "接待速度满意吗?", SCORE, D.FRONT_DESK),
        Question("speed_work", "维修按时完工,速度满意吗?", SCORE, D.WORKSHOP),
        Question("speed_checkout", "结账速度满意吗?", SCORE, D.CASHIER),
        Question("price", "配件价格和工时费满意吗?", SCORE, D.PARTS),
        Question("advisor", "服务顾问的服务(维修前报价、交车时讲解)满意吗?", SCORE, D.FRONT_DESK),
        Question("quoted", "服务顾问接待时是否主动报价?", YES_NO, D.FRONT_DESK),
        Question("explained", "交车时是否逐项讲解了维修内容?", YES_NO, D.FRONT_DESK),
        Question("quality_repair", "维修质量满意吗?", SCORE, D.WORKSHOP),
        Question("quality_paint", "喷漆质量满意吗?", SCORE, D.BODY_PAINT, when=BODY_PAINT),
        Question("quality_wash", "车辆清洁程度满意吗?", SCORE, D.WASH),
        Question("visit", "本次到店(预约、等待、到店)满意吗?", SCORE, D.FRONT_DESK),
        OVERALL,
        WORDS_Q,
        Question("reminded", "已提醒预约服务和下次保养", YES_NO, D.FRONT_DESK),
    ),
)

SALES_7DC_V1 = Questionnaire(
    version="7dc-v1",
    title="7DC 新车回访问卷",
    opening="您好,我是本店客服专员,恭喜您喜提新车!占用您两分钟了解一下购车体验可以吗?",
    if_satisfied=SATISFIED + "首次保养请记得提前预约。",
    if_unhappy=UNHAPPY,
    questions=(
        Question("delivery", "交车过程满意吗?", SCORE, D.SALES),
        Question("explanation", "销售顾问对车辆功能的讲解满意吗?", SCORE, D.SALES),
        Question("salesperson", "销售顾问的服务满意吗?", SCORE, D.SALES),
        Question("paperwork", "手续办理(上牌、保险、发票)满意吗?", SCORE, D.SALES),
        OVERALL,
        WORDS_Q,
        Question("first_service", "已告知首保时间和里程", YES_NO, D.FRONT_DESK),
    ),
)

PERIODIC_V1 = Questionnaire(
    version="periodic-v1",
    title="新车关怀回访问卷",
    opening="您好,我是本店客服专员,您的新车用了一段时间了,想了解一下用车情况。",
    if_satisfied=SATISFIED,
    if_unhappy=UNHAPPY,
    questions=(
        Question("car_ok", "车辆使用正常吗?", YES_NO, D.WORKSHOP),
        OVERALL,
        WORDS_Q,
        Question("reminded", "已提醒下次保养", YES_NO, D.FRONT_DESK),
    ),
)

CHECK_V1 = Questionnaire(
    version="check-v1",
    title="抽查回访问卷",
    opening="您好,我是本店客服,想再了解一下您对上次服务/购车的感受。",
    if_satisfied=SATISFIED,
    if_unhappy=UNHAPPY,
    questions=(
        Question("called_before", "之前是否接到过我店的回访电话?", YES_NO, D.OVERALL),
        OVERALL,
        WORDS_Q,
    ),
)

SECOND_V1 = Questionnaire(
    version="second-v1",
    title="二次回访问卷",
    opening="您好,我是本店客服,您之前反映的问题已经处理,想了解一下处理结果您是否满意。",
    if_satisfied=SATISFIED,
    if_unhappy=UNHAPPY,
    questions=(
        Question("solved", "问题是否已经解决?", YES_NO, D.OVERALL),
        Question("handling", "对处理过程满意吗?", SCORE, D.OVERALL),
        WORDS_Q,
    ),
)

# Every version ever issued (old answers name theirs), and the one asked now per kind.
VERSIONS = {q.version: q for q in (SERVICE_3DC_V1, SALES_7DC_V1, PERIODIC_V1, CHECK_V1, SECOND_V1)}
CURRENT = {
    Kind.SERVICE_3DC: SERVICE_3DC_V1,
    Kind.SALES_7DC: SALES_7DC_V1,
    Kind.MONTHLY: PERIODIC_V1,
    Kind.ANNUAL: PERIODIC_V1,
    Kind.LEVEL2: CHECK_V1,
    Kind.LEVEL3: CHECK_V1,
    Kind.SECOND: SECOND_V1,
}


def questionnaire_for(callback: Callback) -> Questionnaire:
    return CURRENT[callback.kind]


def questions_for(callback: Callback, conditions: set[str]) -> list[Question]:
    """The questions asked on `callback`'s call, given the visit's conditions."""
    return questionnaire_for(callback).questions_for(conditions)


def visit_conditions(callback: Callback) -> set[str]:
    """What kind of work the visit asked about had (conditional questions): an accident
    repair had body and paint work."""
    order = callback.work_order
    if order is not None and order.kind == WorkOrder.Kind.ACCIDENT:
        return {BODY_PAINT}
    return set()
