from django.contrib import messages
from django.contrib.auth.decorators import login_not_required, permission_required
from django.http import FileResponse, Http404
from django.shortcuts import redirect, render

from .forms import DealershipSettingsForm, sectioned
from .selectors import dealership_settings


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
    logo = dealership_settings().logo
    if not logo:
        raise Http404("未上传标志")
    return FileResponse(logo.open("rb"))
