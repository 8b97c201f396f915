"""Exact dedupe keys: canonical URLs and normalised-text hashes."""

import pytest

from dedupe.exact import canonical_url, content_hash


@pytest.mark.parametrize(
    ("a", "b"),
    [
        ("HTTPS://News.Example.COM:443/a/1?utm_source=x&id=3#top", "https://news.example.com/a/1?id=3"),
        ("https://ex.com/p?b=2&a=1&fbclid=zz", "https://ex.com/p?a=1&b=2"),
        ("https://n.news.naver.com/mnews/article/001/0015816459?sid=104",
         "https://n.news.naver.com/article/001/0015816459"),
        ("https://news.naver.com/main/read.naver?mode=LSD&oid=001&aid=0015816459",
         "https://n.news.naver.com/mnews/article/001/0015816459"),
        ("https://ex.com/story/", "https://ex.com/story"),
    ],
)
def test_same_page_same_canonical_url(a, b):
    assert canonical_url(a) == canonical_url(b)


def test_different_pages_stay_different():
    assert canonical_url("https://ex.com/a?id=1") != canonical_url("https://ex.com/a?id=2")
    assert canonical_url("https://ex.com/A") != canonical_url("https://ex.com/a")


def test_hash_ignores_spacing_and_punctuation_but_not_words():
    body = "KT가 희망퇴직을 시행한다. " * 20
    assert content_hash("t", body) == content_hash("다른 제목", body.replace(". ", ".\n\n"))
    assert content_hash("t", body) != content_hash("t", body.replace("KT", "SKT"))


def test_short_bodies_hash_with_their_title():
    assert content_hash("서울 첫눈", "(사진=연합뉴스)") != content_hash("부산 폭우", "(사진=연합뉴스)")
