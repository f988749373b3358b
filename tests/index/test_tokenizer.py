import pytest

from qa.index.tokens import expand_query, normalize, to_simplified, tokenize


def test_domain_words_stay_whole():
    tokens = tokenize("巫山县推动新就业形态劳动者建会入会，建设工会驿站")
    assert "新就业形态劳动者" in tokens
    assert "工会驿站" in tokens


def test_question_words_and_punctuation_are_dropped():
    tokens = tokenize("沙坪坝区建了多少个工会驿站？")
    assert "多少" not in tokens and "？" not in tokens
    assert "沙坪坝区" in tokens


def test_traditional_and_fullwidth_match_simplified():
    assert to_simplified("沙坪壩區建了多少個工會驛站") == "沙坪坝区建了多少个工会驿站"
    assert normalize("１７４个") == "174个"
    assert set(tokenize("沙坪壩區工會驛站")) == set(tokenize("沙坪坝区工会驿站"))


def test_expand_query_adds_other_form_both_ways():
    assert "市总工会" in expand_query("市总开展了什么活动")
    assert "产改" in expand_query("产业工人队伍建设改革进展")
    assert expand_query("今天天气怎么样") == "今天天气怎么样"


def test_precise_segmentation_keeps_each_word_once_search_adds_its_inner_words():
    search = tokenize("沙坪坝区建成工会驿站")
    precise = tokenize("沙坪坝区建成工会驿站", "precise")
    assert precise == ["沙坪坝区", "建成", "工会驿站"]
    assert {"沙坪坝", "驿站", "沙坪坝区", "工会驿站"} <= set(search)
    assert "驿站" not in precise


def test_an_unknown_segmentation_names_the_valid_ones():
    with pytest.raises(ValueError, match="precise.*search|search.*precise"):
        tokenize("工会", "full")
