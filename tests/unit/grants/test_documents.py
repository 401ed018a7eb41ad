"""Uploads: size limit, type by content, stored by hash, names never trusted."""

from __future__ import annotations

from pathlib import Path

import pytest

from pahna.errors import UploadError
from pahna.grants.documents import DocumentStore, check_upload, clean_title

PDF = b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n1 0 obj\n<<>>\nendobj\n"


def test_a_pdf_is_accepted_and_stored_under_its_hash(tmp_path: Path) -> None:
    store = DocumentStore(tmp_path / "documents")
    kind, digest = check_upload(PDF, 1024)
    assert kind == "application/pdf"
    assert store.put(PDF) == digest
    assert store.path(digest) == tmp_path / "documents" / digest[:2] / digest
    assert store.read(digest) == PDF


def test_oversize_is_refused() -> None:
    with pytest.raises(UploadError, match="the limit is 1024"):
        check_upload(PDF + b"0" * 1024, 1024)


@pytest.mark.parametrize("content", [
    b"MZ\x90\x00\x03\x00\x00\x00\x04\x00", b"<html><script>alert(1)</script></html>",
    b"#!/bin/sh\nrm -rf /\n", b"", b"PK\x03\x04\x14\x00\x06\x00"])
def test_other_types_are_refused_whatever_the_name(content: bytes) -> None:
    with pytest.raises(UploadError):
        check_upload(content, 1 << 20)


@pytest.mark.parametrize(("name", "shown"), [
    ("../../etc/passwd", "passwd"), ("..\\..\\boot.ini", "boot.ini"),
    ("/abs/path/proposal.pdf", "proposal.pdf"), ("a\x00b<script>.pdf", "abscript.pdf"),
    ("..", "document"), ("", "document"), ("طرح پیشنهادی.pdf", "طرح پیشنهادی.pdf")])
def test_names_are_cleaned_for_display_only(name: str, shown: str) -> None:
    assert clean_title(name) == shown


def test_a_hash_that_is_not_one_cannot_name_a_path(tmp_path: Path) -> None:
    with pytest.raises(UploadError):
        DocumentStore(tmp_path).path("../../../etc/passwd")


@pytest.mark.parametrize(("content", "kind"), [
    (b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x00\x01", "image/png"),
    (b"\xff\xd8\xff\xe0\x00\x10JFIF\x00\x01\x01\x00", "image/jpeg"),
    (PDF, "application/pdf")])
def test_pdf_png_and_jpeg_are_accepted(content: bytes, kind: str) -> None:
    assert check_upload(content, 1024)[0] == kind
