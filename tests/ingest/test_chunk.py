from qa.ingest.chunk import chunk_paragraph, pack_sentences, split_sentences
from qa.schema import Paragraph


def para(text: str) -> Paragraph:
    return Paragraph(id="a-01#p3", article_id="a-01", n=3, text=text, title="标题")


def test_split_sentences_keeps_closing_quote():
    assert split_sentences("他说：“好。”然后走了！真的？") == ["他说：“好。”", "然后走了！", "真的？"]


def test_pack_sentences_respects_cap_and_keeps_all_text():
    sentences = ["一二三。", "四五。", "六七八九十。"]
    pieces = pack_sentences(sentences, 7)
    assert all(len(p) <= 7 for p in pieces)
    assert "".join(pieces) == "".join(sentences)


def test_short_paragraph_is_one_chunk_with_title_context():
    [chunk] = chunk_paragraph(para("建成工会驿站174个。"), 50)
    assert chunk.id == "a-01#p3/c1" and chunk.paragraph_id == "a-01#p3" and chunk.context == "标题"


def test_long_paragraph_splits_at_sentence_ends_and_maps_back():
    text = "第一句话比较长一些。" * 5 + "最后一句！"
    chunks = chunk_paragraph(para(text), 25)
    assert len(chunks) > 1
    assert "".join(c.text for c in chunks) == text
    assert all(c.paragraph_id == "a-01#p3" and len(c.text) <= 25 for c in chunks)
    assert all(c.text.endswith(("。", "！")) for c in chunks)
