"""The printed documents of a work order: download a stored version, or (re)print now."""

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import FileResponse, Http404
from django.shortcuts import get_object_or_404, redirect
from django.views.decorators.http import require_GET, require_POST

from apps.core.http import require_perm

from . import documents
from .models import WorkOrder, WorkOrderDocument


@require_GET
@require_perm("workorders.view_workorder")
def document_download(request, pk: int):
    """One stored version of a document, as the PDF it was issued as (opened in the
    browser's viewer; its name carries the order number, the document and the version)."""
    document = get_object_or_404(WorkOrderDocument.objects.select_related("work_order"), pk=pk)
    try:
        file = document.file.open("rb")
    except FileNotFoundError:
        raise Http404("文件已不存在") from None
    response = FileResponse(
        file,
        content_type="application/pdf",
        as_attachment=False,
        filename=documents.document_filename(document),
    )
    response["X-Content-Type-Options"] = "nosniff"
    return response


@require_POST
@require_perm("workorders.change_workorder")
def document_issue(request, pk: int, kind: str):
    """Print now: the latest version when the content is unchanged, else a new version;
    then open it."""
    work_order = get_object_or_404(WorkOrder, pk=pk)
    try:
        document = documents.document_issue(work_order=work_order, kind=kind, by=request.user)
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
        return redirect(work_order.get_absolute_url())
    return redirect("workorders:document_download", pk=document.pk)
