"""Document frequencies from the paragraph keyword index equal the substring scan they replace."""

from qa.index.bm25 import KeywordIndex, KeywordSpec
from qa.index.docfreq import DocFreq, ScanFreq

TEXTS = [
    "沙坪坝区总工会建成工会驿站12个，其中智能化升级4个。",
    "重庆市总工会副主席出席活动，市总工会为职工送温暖。",
    "区总工会组织劳模工匠进企业，开展培训+交友活动。",
    "职工会员可以在驿站休息，外卖小哥之家也已开放。",
    "今年以来，全市新建职工书屋30家。",
    "",
]
TERMS = ["工会", "总工会", "区总工会", "副主席", "工会驿站", "驿站", "培训+交友", "小哥之家", "职工", "书屋",
         "了", "的", "目的", "没有的词", "12个"]


def _index(texts: list[str]) -> KeywordIndex:
    return KeywordIndex([f"标题 {t}" for t in texts], KeywordSpec("precise", 0.9))


def test_counts_equal_the_scan() -> None:
    freq = DocFreq(_index(TEXTS), TEXTS)
    assert freq(TERMS) == ScanFreq(TEXTS)(TERMS)


def test_terms_across_token_boundaries_count() -> None:  # 职工会员 holds 工会 across 职工|会员
    assert DocFreq(_index(TEXTS), TEXTS).count("工会") == sum("工会" in t for t in TEXTS) == 4


def test_common_terms_are_estimated_from_a_sample() -> None:
    texts = [f"第{i}条：工会{'驿站' if i % 4 == 0 else '活动'}开放。" for i in range(400)]
    freq = DocFreq(_index(texts), texts, verify_max=50)
    exact = sum("驿站" in t for t in texts)
    assert abs(freq.count("驿站") - exact) <= 0.1 * exact
    assert freq.count("工会") == 400
    assert freq.count("没有") == 0


def test_empty_index() -> None:
    assert DocFreq(_index([]), []).count("工会") == 0
    assert ScanFreq([]).count("工会") == 0
