from django.contrib.auth.models import AbstractUser
from django.db import models


class User(AbstractUser):
    """Staff account. Roles are Django groups named by role code (see roles.py)."""

    display_name = models.CharField("姓名", max_length=50, blank=True)
    mobile = models.CharField("手机", max_length=20, blank=True)

    class Meta:
        verbose_name = verbose_name_plural = "用户"
        ordering = ["username"]

    def __str__(self):
        return self.display_name or self.username
