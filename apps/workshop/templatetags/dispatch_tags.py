"""Template tags of the dispatch board and the job board."""

from django import template
from django.utils.html import format_html, format_html_join
from django.utils.safestring import SafeString

register = template.Library()


@register.simple_tag
def options(rows, failed=None, key: str = "", name: str = "", default=None, empty: str = ""):
    """The <option>s of a board select from (value, label, flagged) rows, built in Python
    (a board has a select of every technician per order: hundreds of options). The selected
    one is what a refused post sent for this card (`failed.key == key`, its attribute
    `name`), else `default`; `empty` adds a first option with no value. A flagged row (a
    technician lacking the skill) is marked for the eye."""
    posted = failed is not None and failed.key == key
    selected = getattr(failed, name, None) if posted else default
    selected = getattr(selected, "pk", selected)
    # The same rows with the same choice render once per page: every card of a skill shares
    # its technician list and most cards select nothing. Rows that can carry the memo
    # (views_dispatch.OptionRows) keep it across the cards' included templates.
    memo = getattr(rows, "rendered", None)
    if memo is None:
        return _options(rows, selected, empty)
    if (selected, empty) not in memo:
        memo[selected, empty] = _options(rows, selected, empty)
    return memo[selected, empty]


def _options(rows, selected, empty: str):
    first = format_html('<option value="">{}</option>', empty) if empty else SafeString()
    rest = format_html_join(
        "",
        '<option value="{}"{}{}>{}</option>',
        (
            (
                value,
                SafeString(" selected") if value == selected else "",
                SafeString(' class="text-danger"') if flagged else "",
                label,
            )
            for value, label, flagged in rows
        ),
    )
    return first + rest


@register.filter
def minutes(seconds) -> str:
    """Seconds as 时:分 of work, e.g. 1:05."""
    seconds = int(seconds or 0)
    return f"{seconds // 3600}:{seconds % 3600 // 60:02d}"
