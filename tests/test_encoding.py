"""scrapers.encoding: fetched bytes decoded as Korean sites really serve them, whatever their labels claim."""

from __future__ import annotations

import codecs

import pytest

from scrapers.encoding import declared_charset, decode_document, header_charset, normalise_charset

# 똠 is one of the Hangul syllables CP949 adds to EUC-KR: strict euc-kr cannot decode its bytes.
EXTENDED = "똠방각하 기자가 전했다"


@pytest.mark.parametrize("label", ["euc-kr", "EUC-KR", "ks_c_5601-1987", "x-windows-949", "'cp949'"])
def test_every_korean_label_is_read_as_cp949(label: str) -> None:
    assert normalise_charset(label) == "cp949"


def test_unknown_or_missing_labels_name_no_codec() -> None:
    assert normalise_charset("x-no-such-charset") is None
    assert normalise_charset("") is None and normalise_charset(None) is None
    assert normalise_charset("Latin-1") == "iso8859-1"


def test_cp949_bytes_labelled_euc_kr_decode_with_the_extended_syllables() -> None:
    content = f'<html><head><meta charset="euc-kr"></head><body>{EXTENDED}</body></html>'.encode("cp949")
    with pytest.raises(UnicodeDecodeError):
        content.decode("euc-kr")

    text, codec = decode_document(content, "text/html")

    assert codec == "cp949" and EXTENDED in text


def test_utf8_bytes_win_over_a_lying_header_and_meta_tag() -> None:
    content = f'<meta http-equiv="Content-Type" content="text/html; charset=euc-kr"><p>{EXTENDED}</p>'.encode()
    text, codec = decode_document(content, "text/html; charset=euc-kr")
    assert codec == "utf-8" and EXTENDED in text


def test_the_header_charset_is_tried_before_the_declared_one() -> None:
    content = "<?xml version='1.0' encoding='cp949'?><title>café</title>".encode("latin-1")
    assert header_charset("application/rss+xml; charset=\"ISO-8859-1\"") == "iso8859-1"
    assert declared_charset(content) == "cp949"
    text, codec = decode_document(content, "application/rss+xml; charset=ISO-8859-1")
    assert codec == "iso8859-1" and "café" in text


def test_a_byte_order_mark_decides_the_codec() -> None:
    text, codec = decode_document(codecs.BOM_UTF16_LE + EXTENDED.encode("utf-16-le"), "text/plain; charset=euc-kr")
    assert codec == "utf-16" and text == EXTENDED


def test_bytes_no_codec_decodes_cleanly_are_kept_with_replacement_characters() -> None:
    content = EXTENDED.encode("cp949") + b"\xff\xff" + "끝".encode("cp949")
    text, codec = decode_document(content)
    assert codec == "cp949" and text.startswith(EXTENDED) and "\ufffd" in text and text.endswith("끝")
