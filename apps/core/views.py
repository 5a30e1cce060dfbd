from django.contrib import messages
from django.contrib.auth.decorators import login_not_required, permission_required
from django.http import FileResponse, Http404
from django.shortcuts import redirect, render

from .forms import DealershipSettingsForm, sectioned
from .selectors import dealership_settings
from .uploads import image_kind


@permission_required("core.change_dealershipsettings", raise_exception=True)
def settings_edit(request):
    form = DealershipSettingsForm(
        request.POST or None, request.FILES or None, instance=dealership_settings()
    )
    if request.method == "POST" and form.is_valid():
        form.save()
        messages.success(request, "经销商设置已保存,新值立即生效。")
        return redirect("core:settings_edit")
    if request.method == "POST":
        messages.error(request, "设置未保存:请按红色提示修改。")
    return render(request, "core/settings_form.html", {"form": form, "sections": sectioned(form)})


@login_not_required
def dealership_logo(request):
    """The logo, served as the image it is: its content type from its content (PNG, JPEG or
    WebP, apps.core.uploads), never from its name; anything else stored before the upload
    check existed is not served at all."""
    logo = dealership_settings().logo
    if not logo:
        raise Http404("未上传标志")
    file = logo.open("rb")
    kind = image_kind(file)
    if kind is None:
        file.close()
        raise Http404("标志文件不是可用的图片")
    response = FileResponse(file, content_type=kind.content_type)
    response["Content-Disposition"] = f'inline; filename="logo.{kind.extension}"'
    response["X-Content-Type-Options"] = "nosniff"
    # Opened on its own, the image may do nothing: no script, no styles, no requests.
    response["Content-Security-Policy"] = "default-src 'none'; sandbox"
    return response
