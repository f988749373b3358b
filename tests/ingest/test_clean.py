"""Page cleaning on the five real corpus pages (titles counted by hand) and on tiny hand-written pages."""

from __future__ import annotations

import pytest
from conftest import REPO

from qa.ingest.clean import RawArticle, ends_sentence, lead_title, split_inline, split_page, split_paragraphs

CORPUS = REPO / "corpus"
CASES = "chongqing-union-innovation-cases-2024-07.txt"
REVIEW = "chongqing-federation-of-trade-unions-five-year-review.txt"
STATION = "chongqing-union-service-station-worker-life-quality.txt"
GRRB = "gongren-ribao-2024-04-14-chongqing-huimin-qiangqi.txt"
ROUNDUP = "union-news-roundup-grassroots-union-reform.txt"

# Counted by hand from the page text: every headline, in page order.
TITLES = {
    CASES: [
        "重庆工会7项工作入选全国工会重点工作创新案例",  # page headline over the one-paragraph introduction
        "市总工会持续打造“今日工会”专刊 唱响新时代的“咱们工人有力量”",
        "重庆市能源工会 构建产业工人“求学圆梦行动”新路径",
        "沙坪坝区总工会五项举措建驿站 真情温暖户外劳动者",
        "云阳县总工会构建“三项体系” 推动“小三级”工会建设走深走实",
        "沙坪坝区总工会深化新时代“枫桥经验” 打造西部劳动关系服务平台",
        "江北区总工会聚焦解决“三不”难题 建强工会劳动法律监督组织",
        "沙坪坝区总工会上下联动聚力 “三融三新”点亮单身职工婚恋服务品牌",
        "一周动态",
    ],
    REVIEW: ["栉风沐雨秉初心 踔厉奋进续华章"],  # one long review; its four "X Y" lines are subheads
    STATION: [
        "市总工会召开提升职工生活品质工作现场经验交流会",
        "江北区总工会 打造职工服务自选超市",
        "巫山县总工会高质量推进新就业形态劳动者建会入会",
    ],
    GRRB: ["擦亮职工“幸福底色” 纾解企业“急难愁盼”"],
    ROUNDUP: [
        "工会兼职副主席“带项目竞聘上岗”",
        "江西首届职工创新成果交流大会举行",
        "劳模变身“城市旅游推荐人”",
        "一家工联会的成长之路",
        "免费健康体检",  # photo news: short headline after a break, text, photographer credit
        "技能成果服务社区",  # photo news with the credit at the end of its text
        "“人社+工会”跑出多元解纷加速度",
        "老厂故事融合现代设计 昆明打造“产业工人文化街区”",
        "北京丰台区总开展“健康知识进驿站”活动",
        "激发“她力量”赋能“产改”",
    ],
}
# The only body paragraph that may end mid-sentence: the page itself breaks off after these words and the next
# line opens a new paragraph (五年多来,…), so there is nothing to glue on.
TRUNCATED_IN_SOURCE = {"通过在基层产业园区和企业设立调解工作"}


def page(name: str) -> list[RawArticle]:
    return split_page((CORPUS / name).read_text(encoding="utf-8"))


def paragraphs(name: str, kind: str | None = None) -> list[str]:
    return [t for a in page(name) for t, k in a.paragraphs if kind is None or k == kind]


@pytest.mark.parametrize("name", sorted(TITLES))
def test_each_page_yields_the_hand_counted_articles(name):
    assert [a.title for a in page(name)] == TITLES[name]


def test_headline_pairs_kickers_and_section_labels():
    station = page(STATION)
    assert (station[0].subtitle, station[0].section) == ("提升职工生活品质 塑造幸福生活环境", "工会服务站")
    assert station[2].subtitle == "着力“三个强化” 突出“三管齐下” 狠抓“三个关键”"
    assert station[2].section == "区县级工会加强年"
    assert page(REVIEW)[0].subtitle == "——重庆市总工会五年工作综述"
    assert page(GRRB)[0].subtitle.endswith("同步提升——")
    roundup = page(ROUNDUP)
    assert roundup[0].section == "强基层增活力 工会建设在行动" and roundup[0].subtitle.startswith("台州市椒江区")
    assert roundup[2].subtitle == "沈阳市总多举措助力城市特色宣传"
    assert [a.section for a in page(CASES)][1:4] == ["宣传传播", "产业工人队伍建设改革", "工会服务职工"]


def test_no_body_paragraph_ends_mid_sentence_after_repair():
    # Only kind=body is checked: headlines and subheads are heading-like lines (≤45 chars, no 。！？；) placed by
    # their position; captions are heading-like lines after a column break; list items start with a bullet.
    # Those legitimately end without a full stop and are kept apart by their kind.
    dangling = [t for name in TITLES for t in paragraphs(name, "body") if not ends_sentence(t)]
    assert [t for t in dangling if not any(t.endswith(s) for s in TRUNCATED_IN_SOURCE)] == []
    assert len(dangling) == len(TRUNCATED_IN_SOURCE)


def test_paragraphs_broken_at_column_breaks_are_rejoined():
    yunyang = page(CASES)[4]
    assert any("推动人力下沉,强化干部" in t for t, k in yunyang.paragraphs if k == "body")
    wushan = page(STATION)[2].paragraphs
    i = next(i for i, (t, _) in enumerate(wushan) if "宣传政策,在“四送活动”中" in t)
    assert wushan[i][1] == "body"
    assert wushan[i + 1] == ("巫山县高唐街道农民工、新就业形态劳动者集中入会仪式", "caption")
    assert not any(t.startswith("策,") for t, _ in wushan)
    assert any("细化完善区级工会兼职副主席选聘标准" in t for t in paragraphs(ROUNDUP, "body"))
    assert any("解决生产技术难题的攻关站" in t for t in paragraphs(ROUNDUP, "body"))


def test_page_that_wraps_its_last_sentence_to_the_top_is_mended():
    body = paragraphs(REVIEW, "body")
    assert body[-1].endswith("重庆广大职工群众正努力向前奔跑,用担当奉献书写属于自己的光荣与梦想。")
    assert not any(t.startswith("奔跑,") for t in body)


def test_boilerplate_masthead_and_labels_are_gone():
    texts = [t for name in TITLES for a in page(name) for t in (a.title, a.subtitle, a.byline, *dict(a.paragraphs))]
    for junk in ("版权声明", "扫码关注", "中工网微信", "Copyright", "中工娱乐", "工人日报-中工网", "星期一", "02版",
                 "阅读提示", "图片说明"):
        assert not any(junk in t for t in texts), junk
    assert page(GRRB)[0].date == "2024-04-14"
    assert page(GRRB)[0].byline == "本报记者 黄仕强"


def test_subheads_captions_lists_and_bylines_keep_their_kind():
    review = dict(page(REVIEW)[0].paragraphs)
    assert review["聚焦中心“公转” 立足主业“自转”"] == "subhead"
    assert review["筑牢信仰之基 凝聚奋进伟力"] == "subhead"
    assert sum(k == "caption" for k in review.values()) == 7  # the picture list
    assert dict(page(ROUNDUP)[9].paragraphs)["“四位一体”拓展阵地"] == "subhead"
    weekly = page(CASES)[8]
    assert [k for _, k in weekly.paragraphs] == ["list"] * 10
    assert any(t.endswith("推进工会工作法治化,不断提高工会干部依法建会、依法管会、依法维权的能力和水平。")
               for t, _ in weekly.paragraphs)
    assert not any(t.startswith("◆") for t, _ in weekly.paragraphs)
    roundup = page(ROUNDUP)
    assert roundup[1].byline == "本报讯 (记者王晓娟)" and roundup[1].paragraphs[0][0].startswith("近日,江西省")
    assert roundup[5].byline == "本报通讯员 曹建雄 摄" and roundup[5].paragraphs[0][0].endswith("职业教育成果。")
    assert page(REVIEW)[0].byline == "(文/重庆市总工会)"


MADE_UP_PAGE = """


职工之家

清江县总工会 开办职工夜校

3月2日,清江县总工会开办职工夜校,首批学员60人。夜校课程由工会和职业学校共同

设计,每周两晚授课。



夜校开学仪式

学员结业后可参加技能等级认定。

课程特色

夜校开设电工、焊工两个班。
"""


def test_rules_work_on_a_made_up_page_of_the_same_kind():
    arts = split_page(MADE_UP_PAGE)
    assert [(a.title, a.section) for a in arts] == [("清江县总工会 开办职工夜校", "职工之家")]
    assert arts[0].paragraphs == (
        ("3月2日,清江县总工会开办职工夜校,首批学员60人。夜校课程由工会和职业学校共同设计,每周两晚授课。", "body"),
        ("夜校开学仪式", "caption"),
        ("学员结业后可参加技能等级认定。", "body"),
        ("课程特色", "subhead"),
        ("夜校开设电工、焊工两个班。", "body"),
    )


def test_single_heading_naming_a_union_body_starts_a_new_article():
    text = "甲市总工会举办竞赛\n\n近日,甲市总工会举办竞赛。\n\n乙区总工会 建成驿站\n\n乙区建成驿站20个。\n"
    assert [a.title for a in split_page(text)] == ["甲市总工会举办竞赛", "乙区总工会 建成驿站"]


def test_split_paragraphs():
    text = "近日,市总工会召开会议。会议要求各级工会\n聚焦主责主业。\n\n工作要求\n\n本报记者 张三\n\n第二段。"
    assert split_paragraphs(text) == (("近日,市总工会召开会议。会议要求各级工会聚焦主责主业。", "body"),
                                      ("工作要求", "subhead"), ("第二段。", "body"))


def test_one_line_item_keeps_its_text_before_a_copyright_notice():
    # news archives often hold an item as one line that ends with the site's notice: the body must survive
    body = "中国青年报客户端北京8月10日电（记者 叶雨婷）记者今天获悉，教育部印发通知。通知要求各地做好防汛工作。"
    paragraphs = split_paragraphs(body + "版权声明：本文仅代表作者观点，转载请注明出处")
    assert [t for t, _ in paragraphs] == [body]
    assert split_paragraphs("关于我们 | 版权声明 | 举报电话") == ()


def test_a_lead_byline_takes_the_comma_after_it():
    assert split_inline("本报讯，住建部近日公布数据。") == [("byline", "本报讯"), ("body", "住建部近日公布数据。")]
    assert split_inline("本报讯 (记者王晓娟)近日，市总工会召开会议。")[1] == ("body", "近日，市总工会召开会议。")


@pytest.mark.parametrize(("texts", "title"), [
    (["本报讯（记者 张三）3月9日，市总工会召开会议。会上…"], "3月9日，市总工会召开会议"),
    (["新华社北京8月1日电", "全国总工会发布通知，要求做好防暑降温工作。"], "全国总工会发布通知，要求做好防暑降温工作"),
    (["【新华社北京8月1日电】全国总工会日前印发通知。"], "全国总工会日前印发通知"),
    (["北京商报讯（记者 王五 实习生 赵六）今天，北京市总工会举办活动。"], "今天，北京市总工会举办活动"),
    (["央视网消息：记者今天从海关总署获悉，外贸稳中向好。"], "记者今天从海关总署获悉，外贸稳中向好"),
    (["IT之家 7 月 24 日消息，有多个外媒称“宁德时代与福特汽车的电池合作项目突遭美国调查”。"],
     "有多个外媒称“宁德时代与福特汽车的电池合作项目突遭美国调查”"),  # a dated 消息 opening, spaced or not
    (["最高检7月26日消息，今年上半年全国检察机关共办结民事生效裁判监督案件3.2万件。"],
     "今年上半年全国检察机关共办结民事生效裁判监督案件3.2万件"),
    (["，昨天，第八届全国学生军事训练营在京开营。"], "昨天，第八届全国学生军事训练营在京开营"),  # comma left
    (["财联社7月28日电，国家税务总局28日表示，将继续落实税费优惠政策。"],
     "国家税务总局28日表示，将继续落实税费优惠政策"),
    (["原标题：警惕！高温天气户外作业要做好防护。正文。"], "警惕！高温天气户外作业要做好防护"),  # too short alone
    (["会议现场", "近日，某公司召开了年度职工代表大会，审议通过多项议案。"],
     "近日，某公司召开了年度职工代表大会，审议通过多项议案"),  # a caption gives no title
    (["今年12月31日电费上调，居民需注意。"], "今年12月31日电费上调，居民需注意"),  # no agency: no dateline
    (["“今年旅游火起来了，收入高了。”村支书说。"], "“今年旅游火起来了，收入高了。”"),
    (["24日上午，中国篮协官方宣布：“欢迎李凯尔！在各方的推动和支持下，李凯尔获得中国国籍。"],
     "24日上午，中国篮协官方宣布：“欢迎李凯尔”"),  # the quote left open is closed
    (["“作为一个普通人，我没有医生的专业知识，但能以这样的方式帮助一名生命垂危的患者，我觉得值。”他说。"],
     "“作为一个普通人，我没有医生的专业知识，但能以这样的方式帮助一名生命垂危的患者…”"),
    (["金融监管总局近日印发《关于做好防汛救灾和灾后重建金融服务工作的通知》，要求各地做好服务。"],
     "金融监管总局近日印发《关于做好防汛救灾和灾后重建金融服务工作的通知》…"),
    (["金融监管总局网站今日发布消息称，监管总局印发《关于做好防汛救灾和灾后重建金融服务工作的通知》。"],
     "金融监管总局网站今日发布消息称，监管总局印发…"),  # the 40th character inside 《》: cut before it
    (["“一二三四五六七八九十一二三四五六七八九十一二三四五，六七八九十一二三四五六七八九十一二三四五六七八九十”他说。"],
     "“一二三四五六七八九十一二三四五六七八九十一二三四五…”"),  # a quote opened early: cut inside it, closed
    (["——全市各级工会为一线职工送清凉。"], "全市各级工会为一线职工送清凉"),
    (["）】全市各级工会为一线职工送清凉。"], "全市各级工会为一线职工送清凉"),  # closers a cut-off opening left
    (["据报8月1日电力供应紧张，多地限电。"], "据报8月1日电力供应紧张，多地限电"),  # 电力, not an agency's 电
    (["华为通讯 业务增长迅速，利润创新高。"], "华为通讯 业务增长迅速，利润创新高"),  # 讯 after no agency
    (["（", "——"], ""),  # only marks: no title
    (["一" * 50], "一" * 40 + "…"),  # no clause break: cut hard
    (["The district union opened twelve new rest stations for outdoor workers this spring."],
     "The district union opened twelve new…"),  # no English word cut in two
    (["  ", ""], ""),
])
def test_lead_title(texts, title):
    assert lead_title(texts) == title
