"""The clerks' call queue: "next call" and the item claimed (DOMAIN.md §5)."""

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.views.decorators.http import require_POST

from apps.core.http import require_perm
from apps.core.settings import current_settings

from . import selectors, services
from .models import CallbackSettings, CallItem

QUEUE_PERMISSION = "callbacks.work_callitem"


@require_perm(QUEUE_PERMISSION)
def queue(request):
    """The clerk's desk: today's queue in figures, the call the clerk holds, 下一个."""
    now = timezone.now()
    rules = current_settings(CallbackSettings)
    context = {
        "state": selectors.call_queue_state(now=now),
        "item": selectors.call_held_by(user=request.user, now=now),
        "today": timezone.localdate(now),
        "contact_limit": rules.contact_limit_per_week,
        "claim_minutes": rules.callback_claim_minutes,
    }
    return render(request, "callbacks/queue.html", context)


@require_POST
@require_perm(QUEUE_PERMISSION)
def queue_next(request):
    item = services.call_next(by=request.user)
    if item is None:
        state = selectors.call_queue_state(now=timezone.now())
        if state.resumes_at is not None:
            resumes = timezone.localtime(state.resumes_at)
            messages.info(request, f"现在不在客户可接听的时段,{resumes:%H:%M} 恢复回访。")
        elif state.waiting:
            messages.info(request, "今天剩下的客户都不在可联系的时段(或正由他人拨打)。")
        else:
            messages.success(request, "今天的回访队列已全部领取。")
    return redirect("callbacks:queue")


@require_POST
@require_perm(QUEUE_PERMISSION)
def queue_release(request, pk):
    item = get_object_or_404(CallItem, pk=pk)
    try:
        services.call_release(item=item, by=request.user)
    except ValidationError as error:
        messages.error(request, error.messages[0])
    else:
        messages.info(request, "已放回队列。")
    return redirect("callbacks:queue")
