"""Private files (signatures, inspection photos, printed documents): stored under
settings.PRIVATE_ROOT, never under MEDIA_ROOT, and never given a public URL. A view checks
the reader's permission and streams the file (FileResponse)."""

import os

from django.conf import settings
from django.core.files.storage import FileSystemStorage


class PrivateStorage(FileSystemStorage):
    """FileSystemStorage rooted at settings.PRIVATE_ROOT, read at each use (tests point it
    at a temporary folder); `url()` raises, since no URL serves these files directly."""

    def __init__(self):
        super().__init__(base_url=None)

    @property
    def base_location(self):
        return settings.PRIVATE_ROOT

    @property
    def location(self):
        return os.path.abspath(self.base_location)

    def url(self, name):
        raise ValueError("私有文件没有公开地址,请通过有权限检查的下载页面读取。")


private_storage = PrivateStorage()


def private_storage_callable() -> PrivateStorage:
    """For FileField(storage=...): a callable keeps the storage out of migrations."""
    return private_storage
