from django.contrib import messages
from django.contrib.auth.decorators import login_not_required
from django.core.exceptions import ValidationError
from django.http import Http404
from django.shortcuts import redirect, render
from django.utils import timezone

from . import selectors, services
from .calendar import package_arrangement
from .daily_jobs import MAX_AUTOMATIC_ATTEMPTS
from .forms import (
    CalendarRangeFormSet,
    CalendarYearForm,
    area_settings_form,
    calendar_days,
    ranges_of,
)
from .http import add_service_errors, image_response, require_perm
from .models import CalendarYear, DealershipSettings
from .settings import areas, current_settings

# The settings page and the working-day calendar open to one permission (the administrator).
SETTINGS_PERMISSION = "core.change_dealershipsettings"
FIRST_YEAR, LAST_YEAR = 2000, 2100  # the years a calendar can be entered for


@require_perm(SETTINGS_PERMISSION)
def settings_edit(request):
    """Every area's rules on one page, one section per area; one save validates them all."""
    posted = request.method == "POST"
    forms = [
        area_settings_form(
            model,
            selectors.settings_row_for_edit(model),
            request.POST if posted else None,
            request.FILES if posted else None,
        )
        for model in areas()
    ]
    if posted:
        valid = [form.is_valid() for form in forms]  # every section, so each shows its errors
        if all(valid):
            changed = [form.instance for form in forms if form.has_changed()]
            try:
                services.area_settings_save(rows=changed, by=request.user)
            except ValidationError as error:
                _show_on_sections(forms, error)
            else:
                messages.success(request, "经销商设置已保存,新值立即生效。")
                return redirect("core:settings_edit")
        messages.error(request, "设置未保存:请按红色提示修改。")
    sections = [(form.instance._meta.verbose_name, form) for form in forms]
    return render(request, "core/settings_form.html", {"sections": sections})


def _show_on_sections(forms, error: ValidationError) -> None:
    """A service error on the section that holds its field (the first one otherwise)."""
    for field, errors in error.message_dict.items():
        form = next((form for form in forms if field in form.fields), forms[0])
        form.add_error(field if field in form.fields else None, errors)


@require_perm(SETTINGS_PERMISSION)
def calendar_list(request):
    """The years entered from the State Council's notices, and the coming ones."""
    this_year = timezone.localdate().year
    entered = {calendar_year.year: calendar_year for calendar_year in selectors.calendar_years()}
    years = sorted(set(entered) | {this_year, this_year + 1}, reverse=True)
    rows = [{"year": year, "entered": entered.get(year)} for year in years]
    return render(request, "core/calendar_list.html", {"rows": rows})


@require_perm(SETTINGS_PERMISSION)
def calendar_year(request, year: int):
    """Enter or correct a year's holidays and make-up working days; they replace the
    `holidays` package for that year. Not yet entered, the package's guess is offered."""
    if not FIRST_YEAR <= year <= LAST_YEAR:
        raise Http404("年份超出范围")
    entered = selectors.calendar_year_or_none(year)
    if request.method == "POST" and "delete" in request.POST:
        services.calendar_year_delete(year=year)
        messages.success(request, f"已删除 {year} 年的放假安排,改用 holidays 包的推算。")
        return redirect("core:calendar_list")
    if entered:
        initial = ranges_of([(day.date, day.kind, day.name) for day in entered.days.all()])
    else:
        initial = ranges_of(package_arrangement(year))
    posted = request.POST if request.method == "POST" else None
    year_form = CalendarYearForm(posted, instance=entered or CalendarYear(year=year))
    # Posted lines are compared with blank ones (not the offered ones), so an offered line
    # kept unchanged is saved too; a blank line is skipped.
    formset = CalendarRangeFormSet(posted, initial=None if posted else initial, prefix="days")
    if posted is not None and year_form.is_valid() and formset.is_valid():
        try:
            services.calendar_year_save(
                year=year,
                days=calendar_days(formset),
                note=year_form.cleaned_data["note"],
                by=request.user,
            )
        except ValidationError as error:
            add_service_errors(year_form, error)
        else:
            messages.success(request, f"{year} 年放假安排已保存,所有工作日期限按此计算。")
            return redirect("core:calendar_year", year=year)
    if posted is not None:
        messages.error(request, "放假安排未保存:请按红色提示修改。")
    return render(
        request,
        "core/calendar_year.html",
        {"year": year, "entered": entered, "year_form": year_form, "formset": formset},
    )


@login_not_required
def dealership_logo(request):
    """The logo, served as the image it is: its content type from its content (PNG, JPEG or
    WebP, apps.core.uploads), never from its name; anything else stored before the upload
    check existed is not served at all."""
    logo = current_settings(DealershipSettings).logo
    if not logo:
        raise Http404("未上传标志")
    return image_response(logo, name="logo")


@require_perm("core.view_jobrun")
def job_run_list(request):
    """The daily jobs' ledger for managers: each job's recent business dates, with when
    each ran, what it did or why it failed, and the dates not run yet."""
    today = timezone.localdate()
    context = {
        "histories": selectors.job_histories(today=today),
        "catch_up_days": current_settings(DealershipSettings).daily_jobs_catch_up_days,
        "max_attempts": MAX_AUTOMATIC_ATTEMPTS,
    }
    return render(request, "core/jobrun_list.html", context)
