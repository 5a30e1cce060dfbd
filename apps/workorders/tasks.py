"""Celery tasks of the service file: ids in, one service call, safe to run twice."""

import logging

from celery import shared_task
from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError
from django.db import OperationalError

from . import documents
from .models import WorkOrder

logger = logging.getLogger(__name__)

# Retries of a database outage, 30 s, 60 s, … apart.
MAX_RETRIES = 5
# A document renders in one or two seconds (a CJK font is subset into it); a minute is a
# sign of trouble, two kill a stuck render. Both far below the broker's visibility timeout.
DOCUMENT_SOFT_LIMIT = 60
DOCUMENT_HARD_LIMIT = 120


@shared_task(
    bind=True,
    max_retries=MAX_RETRIES,
    soft_time_limit=DOCUMENT_SOFT_LIMIT,
    time_limit=DOCUMENT_HARD_LIMIT,
)
def issue_document(self, work_order_id: int, kind: str, by_id: int | None) -> str:
    """Issue (store) the printed document `kind` of a work order (documents.document_issue).

    Safe to run twice: a second run finds the same content as the latest version and
    returns it; the order's row lock keeps two concurrent runs from making two versions.
    A database outage is retried; an order deleted meanwhile, or one with nothing to
    print for `kind`, ends the task (retrying would give the same answer).
    """
    work_order = WorkOrder.objects.filter(pk=work_order_id).first()
    if work_order is None:
        return "gone"
    by = get_user_model().objects.filter(pk=by_id).first() if by_id else None
    try:
        document = documents.document_issue(work_order=work_order, kind=kind, by=by)
    except OperationalError as error:
        raise self.retry(exc=error, countdown=30 * (self.request.retries + 1)) from error
    except ValidationError as error:
        logger.warning("document %s of work order %s not issued: %s", kind, work_order_id, error)
        return "refused"
    return f"{kind} v{document.version}"
