"""Pages of the parts catalogue: HTTP, permissions and forms only; writes are services."""

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.shortcuts import get_object_or_404, redirect, render

from apps.core.http import add_service_errors, cursor_param, require_perm

from . import selectors, services
from .forms import CatalogueSearchForm, PartForm
from .models import Part


@require_perm("parts.view_part")
def part_list(request):
    """The catalogue by part number; ?q= finds a number prefix or a name fragment."""
    search = CatalogueSearchForm(request.GET or None)
    query, inactive = "", False
    if search.is_valid():
        query, inactive = search.cleaned_data["q"], search.cleaned_data["inactive"]
    page = selectors.part_list(
        query=query,
        include_inactive=inactive,
        after=cursor_param(request, "after"),
        before=cursor_param(request, "before"),
    )
    return render(request, "parts/part_list.html", {"search": search, "page": page, "query": query})


def _part_form_page(request, *, part: Part, title: str, done: str):
    form = PartForm(request.POST or None, instance=part)
    if request.method == "POST" and form.is_valid():
        try:
            saved = services.part_save(part=form.save(commit=False))
        except ValidationError as error:
            add_service_errors(form, error)
        else:
            messages.success(request, f"{done}:{saved.number} {saved.name}")
            return redirect("parts:part_list")
    return render(request, "parts/part_form.html", {"form": form, "title": title, "part": part})


@require_perm("parts.add_part")
def part_create(request):
    return _part_form_page(request, part=Part(), title="新建配件", done="已新建配件")


@require_perm("parts.change_part")
def part_update(request, pk):
    part = get_object_or_404(Part, pk=pk)
    return _part_form_page(request, part=part, title=f"编辑配件:{part.number}", done="配件已保存")
