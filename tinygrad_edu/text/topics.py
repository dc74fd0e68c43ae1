"""A generated topic-classification task for pre-training and fine-tuning, in English and Chinese.

Each sentence is about one of four topics (animals, food, weather, sport) and names one topic **noun** (16 per
topic). Half the sentences also have a topic **predicate** ("barked at the postman", "was served with rice"); the
other half a neutral one ("was in the photo"), so in those the noun is the only clue. A handful of labelled
sentences cover only some of the 64 nouns; a classifier trained on them alone cannot know that "otter" is an
animal if no labelled sentence said so. Unlabelled text can: "otter" turns up before "swam across the river"
like "dog" does. That is what masked-language-model pre-training extracts, and why it helps fine-tuning.

    >>> sentences, labels = topic_sentences(4, seed=0)
    >>> corpus = unlabelled_corpus(20_000, seed=1)  # text for pre-training, from another seed
"""

from __future__ import annotations

import numpy as np

TOPICS = {"en": ("animals", "food", "weather", "sport"), "zh": ("动物", "食物", "天气", "运动")}

_NOUNS = {
    "en": (
        ("dog", "cat", "horse", "otter", "rabbit", "fox", "goat", "parrot", "tiger", "mouse", "wolf", "duck",
         "sheep", "bear", "deer", "owl"),
        ("soup", "bread", "cake", "noodle dish", "apple pie", "curry", "salad", "pizza", "dumpling", "omelette",
         "sandwich", "stew", "pancake", "risotto", "tart", "porridge"),
        ("rain", "storm", "fog", "snow", "wind", "sunshine", "thunder", "hail", "frost", "drizzle", "heatwave",
         "cloud cover", "breeze", "blizzard", "mist", "downpour"),
        ("match", "race", "tennis final", "marathon", "relay", "football game", "boxing bout", "regatta",
         "chess tournament", "ski jump", "cup final", "derby", "triathlon", "rugby game", "sprint", "decathlon"),
    ),
    "zh": (
        ("小狗", "小猫", "骏马", "水獭", "兔子", "狐狸", "山羊", "鹦鹉", "老虎", "老鼠", "野狼", "鸭子", "绵羊",
         "狗熊", "小鹿", "猫头鹰"),
        ("汤", "面包", "蛋糕", "面条", "苹果派", "咖喱", "沙拉", "披萨", "饺子", "煎蛋", "三明治", "炖肉", "煎饼",
         "炒饭", "蛋挞", "粥"),
        ("雨", "暴风", "大雾", "雪", "大风", "阳光", "雷声", "冰雹", "霜冻", "毛毛雨", "热浪", "乌云", "微风",
         "暴风雪", "薄雾", "暴雨"),
        ("比赛", "赛跑", "网球决赛", "马拉松", "接力赛", "足球赛", "拳击赛", "赛艇", "象棋赛", "跳台滑雪",
         "杯赛决赛", "德比战", "铁人三项", "橄榄球赛", "短跑", "十项全能"),
    ),
}

_PREDICATES = {
    "en": (
        ("barked at the postman", "slept in the barn", "ran across the field", "ate from my hand",
         "hid in the tall grass", "swam across the river", "chased its tail", "was fed by the farmer"),
        ("was served with rice", "tasted sweet and salty", "was cooked in a pan", "smelled of garlic",
         "was eaten for dinner", "came out of the oven", "needed more salt", "was shared at the table"),
        ("soaked the streets", "came from the north", "lasted all afternoon", "was in the forecast",
         "made the roads slippery", "cooled the city", "covered the hills", "kept everyone indoors"),
        ("was won in the last minute", "drew a big crowd", "ended in a draw", "was shown on television",
         "went into extra time", "was decided by the referee", "set a new record", "had a nervous start"),
    ),
    "zh": (
        ("对着邮递员叫", "在谷仓里睡觉", "跑过了田野", "从我手里吃东西", "躲在高高的草丛里", "游过了小河",
         "追着自己的尾巴", "被农夫喂饱了"),
        ("配着米饭端上来", "又甜又咸", "在锅里煮熟了", "有一股蒜香", "被当作晚饭吃掉了", "刚从烤箱里拿出来",
         "还需要再加点盐", "被大家分着吃了"),
        ("淋湿了街道", "从北方来", "持续了一个下午", "出现在天气预报里", "让路面变滑了", "让城市凉快下来",
         "盖住了山坡", "让大家都待在家里"),
        ("在最后一分钟分出胜负", "吸引了很多观众", "打成了平局", "在电视上直播", "进入了加时",
         "由裁判决定了结果", "创造了新纪录", "开局有些紧张"),
    ),
}

_NEUTRAL = {
    "en": ("was in the photo", "was mentioned in the letter", "was all we talked about", "was on my mind",
           "appeared in the story", "was the first thing I noticed", "was in the news again",
           "came up at lunch"),
    "zh": ("出现在照片里", "在信里被提到了", "是我们谈论的全部", "一直在我心里", "出现在故事里",
           "是我注意到的第一件事", "又上了新闻", "在午饭时被提起"),
}

_OPENERS = {
    "en": ("", "", "Yesterday", "This morning", "My friend said that", "I think", "Last week",
           "In the end", "As usual", "Surprisingly"),
    "zh": ("", "", "昨天", "今天早上", "我的朋友说", "我觉得", "上个星期", "最后", "和往常一样", "没想到"),
}


def topic_sentences(n: int, seed: int = 0, lang: str = "en", topic_share: float = 0.5
                    ) -> tuple[list[str], np.ndarray]:
    """``n`` generated sentences and their topic labels (0‥3, names in ``TOPICS[lang]``), balanced by class.

    Sentence = [opener] + topic noun + predicate, where the predicate is the topic's own with probability
    ``topic_share`` and a neutral one otherwise. Seeded: the same arguments give the same sentences.
    """
    if lang not in _NOUNS:
        raise ValueError(f"topic_sentences: lang={lang!r} is not one of {tuple(_NOUNS)}")
    if n < 0 or not 0.0 <= topic_share <= 1.0:
        raise ValueError(f"topic_sentences(n={n}, topic_share={topic_share}): n ≥ 0 and topic_share in [0, 1]")
    rng = np.random.default_rng(seed)
    labels = rng.permutation(np.arange(n) % len(TOPICS[lang]))
    sentences = [_sentence(rng, int(label), lang, topic_share) for label in labels]
    return sentences, labels.astype(np.int64)


def _sentence(rng: np.random.Generator, topic: int, lang: str, topic_share: float) -> str:
    noun = _pick(rng, _NOUNS[lang][topic])
    predicate = _pick(rng, _PREDICATES[lang][topic] if rng.random() < topic_share else _NEUTRAL[lang])
    opener = _pick(rng, _OPENERS[lang])
    if lang == "zh":
        return f"{opener}{'，' if opener else ''}{noun}{predicate}。"
    text = f"{opener} the {noun} {predicate}." if opener else f"The {noun} {predicate}."
    return text


def _pick(rng: np.random.Generator, options: tuple[str, ...]) -> str:
    return options[int(rng.integers(len(options)))]


def unlabelled_corpus(n: int, seed: int = 1, lang: str = "en", topic_share: float = 1.0) -> str:
    """``n`` topic sentences without their labels, one per line: the pre-training text of the task. By default
    every sentence has its topic's predicate (``topic_share=1``): the unlabelled text is where each noun is seen
    together with the words that give its topic away, even the nouns no labelled sentence contains."""
    sentences, _ = topic_sentences(n, seed=seed, lang=lang, topic_share=topic_share)
    return "\n".join(sentences)
