"""Rebuild the shipped corpus (``text/corpus/en.txt``, ``zh.txt``) from the project's own words — a dev tool.

Run from the repository root: ``python -m tinygrad_edu.text.build_corpus``. The corpus is text the project may
redistribute under its own licence:

- **English**: the prose of ``docs/*.md`` and ``README.md`` (code blocks, tables, display math and link targets
  removed) and every English sentence of the walkthroughs;
- **Chinese**: every Chinese sentence of the walkthroughs, the glossary's terms, and sentences *generated* from
  templates over the glossary's terms (seeded, so the file is reproducible) — the project has less Chinese prose
  than English, and a character-level model needs a few hundred thousand characters to learn from.

The files are generated once and committed; the tests only read them.
"""

from __future__ import annotations

import random
import re
from pathlib import Path

HERE = Path(__file__).parent / "corpus"


def markdown_prose(text: str) -> str:
    """The sentences of a markdown page: no code blocks, tables, display math, images, HTML or link targets."""
    text = re.sub(r"```.*?```", "", text, flags=re.S)
    text = re.sub(r"\$\$.*?\$\$", "", text, flags=re.S)
    kept = []
    for line in text.splitlines():
        stripped = line.strip()
        if stripped.startswith(("|", "<", "!", ">", "    ")) or line.startswith("    "):
            continue
        line = re.sub(r"!\[[^\]]*\]\([^)]*\)", "", line)
        line = re.sub(r"\[([^\]]*)\]\([^)]*\)", r"\1", line)  # [text](target) → text
        line = line.replace("`", "").replace("**", "").lstrip("#").strip()
        if line:
            kept.append(line)
    # paragraphs: join wrapped lines, keep blank lines between blocks
    return re.sub(r"\n{3,}", "\n\n", "\n".join(kept))


def glossary_terms(glossary: str) -> list[tuple[str, str]]:
    """(中文, English) pairs from the glossary tables."""
    pairs = []
    for line in glossary.splitlines():
        cells = [c.strip() for c in line.strip().strip("|").split("|")]
        is_term = len(cells) >= 2 and cells[0] != "中文" and re.search(r"[\u4e00-\u9fff]", cells[0])
        if is_term and cells[1] and not cells[1].startswith("-"):
            for zh in cells[0].split(" / "):
                pairs.append((re.sub(r"\s*\(.*?\)", "", zh).strip(), cells[1]))
    return [(zh, en) for zh, en in pairs if zh]


_TEMPLATES = [
    "{a}是{b}中很重要的一部分。",
    "在训练神经网络时，我们先理解{a}，再学习{b}。",
    "{a}的英文叫作 {en}。",
    "如果没有{a}，{b}就很难发挥作用。",
    "很多初学者把{a}和{b}混为一谈，其实它们并不相同。",
    "我们可以用一个小例子来说明{a}：先准备数据，再观察{b}的变化。",
    "{a}决定了模型如何更新参数，而{b}决定了模型看到什么样的数据。",
    "在大模型中，{a}和{b}都要在更大的规模上计算。",
    "理解了{a}，再看{b}就容易多了。",
    "教材里常说：{a}是{b}的前提。",
    "先用纸和笔算一遍{a}，再让程序计算{b}，两者的结果应该一致。",
    "{a}让训练更稳定，{b}让模型更容易泛化。",
    "用 PyTorch 的话来说，{a}就是 {en}。",
    "学习率太大时，{a}会出现震荡；学习率太小时，{b}会很慢。",
    "注意力机制让模型在处理{a}时关注{b}。",
    "预训练之后再微调，{a}和{b}都能从大量数据中受益。",
]
_OPENERS = ["首先，", "然后，", "接下来，", "因此，", "另外，", "同时，", "最后，", "换句话说，", "", "", "", ""]


def generated_chinese(pairs: list[tuple[str, str]], n_sentences: int, seed: int = 0) -> str:
    """Sentences from the templates above over random glossary terms, grouped into paragraphs of 4–8."""
    rng = random.Random(seed)
    paragraphs, sentences = [], []
    for _ in range(n_sentences):
        (a, en), (b, _) = rng.sample(pairs, 2)
        sentences.append(rng.choice(_OPENERS) + rng.choice(_TEMPLATES).format(a=a, b=b, en=en))
        if len(sentences) >= rng.randint(4, 8):
            paragraphs.append("".join(sentences))
            sentences = []
    paragraphs.append("".join(sentences))
    return "\n\n".join(p for p in paragraphs if p)


def build(root: Path = Path(".")) -> dict[str, str]:
    from tinygrad_edu.demo import registry  # noqa: F401  (imports every walkthrough, which registers its sentences)
    from tinygrad_edu.demo.strings import EN, ZH

    pages = sorted((root / "docs").glob("*.md")) + [root / "README.md"]
    english = "\n\n".join(markdown_prose(p.read_text(encoding="utf-8")) for p in pages)
    english += "\n\n" + "\n\n".join(v for k, v in EN.items() if "." in k and len(v) > 40)
    glossary = (root / "docs" / "glossary.md").read_text(encoding="utf-8")
    pairs = glossary_terms(glossary)
    said = "\n\n".join(v for k, v in ZH.items() if "." in k and re.search(r"[\u4e00-\u9fff]", v))
    terms = "\n".join(f"{zh}：{en}。" for zh, en in pairs)
    chinese = said + "\n\n" + terms + "\n\n" + generated_chinese(pairs, n_sentences=5000)
    return {"en": english.strip() + "\n", "zh": chinese.strip() + "\n"}


if __name__ == "__main__":
    HERE.mkdir(exist_ok=True)
    for lang, text in build().items():
        (HERE / f"{lang}.txt").write_text(text, encoding="utf-8")
        print(f"{lang}.txt: {len(text):,} characters, {len(text.encode('utf-8')):,} bytes")
