"""Uploaded documents: a size limit, the type read from the content (never from the name
or the browser's claim), stored under their SHA-256 in HOME/grants/documents/, a folder no
route serves; the uploaded name is cleaned and kept only as a title to show."""

from __future__ import annotations

import hashlib
import os
import re
import unicodedata
from pathlib import Path

import puremagic
from sqlalchemy import Engine

from pahna.errors import UploadError, WorkspaceError
from pahna.grants.history import Author, append
from pahna.grants.models import Document

ACCEPTED = {"application/pdf": ".pdf", "image/png": ".png", "image/jpeg": ".jpg"}
"""Media types an applicant may upload, as read from the first bytes."""
_UNSAFE = re.compile(r"[\x00-\x1f\x7f<>:\"|?*]+")
MAX_TITLE = 200


def media_type(content: bytes) -> str:
    """The type the bytes are, or UploadError when it is not an accepted one."""
    if not content:
        raise UploadError("the file is empty")
    try:
        found = str(puremagic.from_string(content[:8192], mime=True))
    except (puremagic.PureError, ValueError):
        found = "unknown"
    if found not in ACCEPTED:
        raise UploadError(f"a {found} file is not accepted; send PDF, PNG or JPEG")
    return found


def clean_title(name: str) -> str:
    """The uploaded name, for display only: last path part, no control or odd characters."""
    base = re.split(r"[\\/]", unicodedata.normalize("NFC", name or ""))[-1]
    base = _UNSAFE.sub("", base).strip(" .")
    return base[:MAX_TITLE] or "document"


def check_upload(content: bytes, limit_bytes: int) -> tuple[str, str]:
    """(media type, sha256) of an acceptable upload; UploadError otherwise."""
    if len(content) > limit_bytes:
        raise UploadError(f"the file is {len(content)} bytes; the limit is {limit_bytes}")
    return media_type(content), hashlib.sha256(content).hexdigest()


class DocumentStore:
    """Files by content hash under `root` (HOME/grants/documents)."""

    def __init__(self, root: Path) -> None:
        self.root = root

    def path(self, sha256: str) -> Path:
        if not re.fullmatch(r"[0-9a-f]{64}", sha256):
            raise UploadError(f"not a document hash: {sha256!r}")
        return self.root / sha256[:2] / sha256

    def put(self, content: bytes) -> str:
        """Store the bytes (once, atomically) and return their SHA-256."""
        digest = hashlib.sha256(content).hexdigest()
        target = self.path(digest)
        if target.exists():
            return digest
        target.parent.mkdir(parents=True, exist_ok=True)
        temp = target.with_name(f".{digest}.{os.getpid()}.tmp")
        with temp.open("wb") as handle:
            handle.write(content)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(temp, target)
        return digest

    def read(self, sha256: str) -> bytes:
        try:
            return self.path(sha256).read_bytes()
        except FileNotFoundError as exc:
            raise WorkspaceError(f"{self.root}: document {sha256} is missing") from exc


def document_id(application_id: str, doc_type: str) -> str:
    """One document of each type per application (a new upload is a new revision)."""
    return "doc-" + hashlib.sha256(f"{application_id}/{doc_type}".encode()).hexdigest()[:12]


def attach(engine: Engine, store: DocumentStore, application_id: str, doc_type: str,
           filename: str, content: bytes, limit_bytes: int, author: Author) -> Document:
    """Check and store an upload, and record it as a document of the application."""
    found, _digest = check_upload(content, limit_bytes)
    document = Document(
        id=document_id(application_id, doc_type), application_id=application_id,
        doc_type=doc_type, media_type=found, size_bytes=len(content),
        sha256=store.put(content), title=clean_title(filename))
    append(engine, "document", document, author, f"{doc_type} uploaded")
    return document
