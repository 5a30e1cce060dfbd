"""Template filters of the DMS: masking of personal data (PIPL), from apps.core.pii."""

from django import template

from apps.core import pii

register = template.Library()

register.filter("mask_phone", pii.mask_phone)
register.filter("mask_id", pii.mask_id)
register.filter("mask_address", pii.mask_address)
