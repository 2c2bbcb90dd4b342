"""Relief documents on disk (救助要件, 第十九条（四）, 第二十七条): checked by content, stored outside the web
root under settings.RELIEF_DOCUMENT_ROOT with a random name, read back only by the service that audits
the view. Nothing here is served by a URL of its own."""

import hashlib
import secrets
from dataclasses import dataclass
from pathlib import Path

from django.conf import settings

from loanportal.errors import DomainError

DEFAULT_MAX_BYTES = 10 * 1024 * 1024  # settings.RELIEF_DOCUMENT_MAX_BYTES overrides
# Magic bytes → (content type, extension). The name and the browser's content type are not trusted.
SIGNATURES = (
    (b"%PDF-", "application/pdf", ".pdf"),
    (b"\xff\xd8\xff", "image/jpeg", ".jpg"),
    (b"\x89PNG\r\n\x1a\n", "image/png", ".png"),
)
ALLOWED_TEXT = "PDF、JPEG 或 PNG"


@dataclass(frozen=True)
class CheckedDocument:
    data: bytes
    content_type: str
    extension: str
    original_name: str
    sha256: str


def max_bytes() -> int:
    return int(getattr(settings, "RELIEF_DOCUMENT_MAX_BYTES", DEFAULT_MAX_BYTES))


def document_check(upload, *, field: str = "file") -> CheckedDocument:
    """The uploaded file's bytes when it is a non-empty PDF/JPEG/PNG (by content) within the size limit."""
    if upload is None:
        raise DomainError("请选择要上传的文件", field=field)
    name = (getattr(upload, "name", "") or "文件")[:200]
    limit = max_bytes()
    size = getattr(upload, "size", None)
    if size is not None and size > limit:
        raise DomainError(f"文件“{name}”超过 {limit // (1024 * 1024)} MB 的大小限制", field=field)
    data = upload.read(limit + 1)
    if not data:
        raise DomainError(f"文件“{name}”是空文件", field=field)
    if len(data) > limit:
        raise DomainError(f"文件“{name}”超过 {limit // (1024 * 1024)} MB 的大小限制", field=field)
    for magic, content_type, extension in SIGNATURES:
        if data.startswith(magic):
            return CheckedDocument(
                data=data,
                content_type=content_type,
                extension=extension,
                original_name=name,
                sha256=hashlib.sha256(data).hexdigest(),
            )
    raise DomainError(f"文件“{name}”不是 {ALLOWED_TEXT} 文件（按内容判断，而非扩展名）", field=field)


def root() -> Path:
    return Path(settings.RELIEF_DOCUMENT_ROOT)


def document_store(checked: CheckedDocument) -> str:
    """Write the bytes under a random name; returns the storage name."""
    storage_name = secrets.token_hex(16) + checked.extension
    folder = root()
    folder.mkdir(parents=True, exist_ok=True, mode=0o700)
    path = folder / storage_name
    with open(path, "xb") as handle:
        handle.write(checked.data)
    path.chmod(0o600)
    return storage_name


def document_path(storage_name: str) -> Path:
    path = (root() / storage_name).resolve()
    if path.parent != root().resolve():
        raise DomainError("文件不存在")
    return path
