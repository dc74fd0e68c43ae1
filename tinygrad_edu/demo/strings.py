"""The sentences every walkthrough shares (labels, the list, the closing screen), one table per language, and
``register``, through which each walkthrough adds its own sentences.

A walkthrough keeps what it says beside its code: a ``TEXT = {key: (English, 中文)}`` dict at the end of its module
(demo/backprop.py, demo/cnn.py, ...) with keys ``summary.<name>`` and ``<name>.<step>``, and
``strings.register(TEXT)``. ``EN`` and ``ZH`` then hold every key of every walkthrough (a test checks that both
languages have the same keys and the same ``{placeholders}``).

The Chinese follows the wording of the source documents: 反向传播, 损失函数, 梯度下降, 学习率, 输出层误差,
隐藏层误差, 卷积, 池化, 全连接层, 注意力, 位置编码, 正则化, 过拟合 ...
A formula made of symbols only sits in the walkthrough code, beside the line that computes it; a formula with
words in it is a sentence, under the key ``<walkthrough>.<step>_formula``.
"""

from __future__ import annotations

EN: dict[str, str] = {
    "formula": "formula",
    "code": "code",
    "numbers": "numbers",
    "plot_written": "plot written",
    "plot_step": "step",
    "plot_epoch": "epoch",
    "plot_data": "data",
    "by_hand": "by hand",
    "list_header": "Walkthroughs (python -m tinygrad_edu.demo NAME ...; * = part of the default tour):",
    "list_footer": "Options: --quick (seconds each)  --out DIR  --lang en|zh  --device cpu|cuda  --epochs N  --seed N "
                   " --data-dir DIR",
    "unknown": "unknown walkthrough(s): {names}. Available: {available} (see --list)",
    "bad_epochs": "--epochs {epochs}: the number of epochs must be at least 1",
    "device_missing": "--device {device} cannot be used here: {reason}",
    "unavailable": "⚠ {name} skipped: {reason}",
    "skipped": "skipped",
    "closing_done": "Done. Time per walkthrough:",
    "closing_plot": "\n"
                    "1 plot written into {out}:",
    "closing_plots": "\n"
                     "{count} plots written into {out}:",
    "closing_others": "\n"
                      "More walkthroughs (python -m tinygrad_edu.demo NAME, add --quick for a fast run):",
    "closing_how": "All of them: python -m tinygrad_edu.demo --list",
}

ZH: dict[str, str] = {
    "formula": "公式",
    "code": "代码",
    "numbers": "数值",
    "plot_written": "已保存图像",
    "plot_step": "步数",
    "plot_epoch": "训练轮次",
    "plot_data": "数据",
    "by_hand": "手算",
    "list_header": "演示列表（python -m tinygrad_edu.demo 名称 ...；* 表示默认演示的一部分）：",
    "list_footer": "选项：--quick（每个几秒）  --out 目录  --lang en|zh  --device cpu|cuda  --epochs N  --seed N  "
                   "--data-dir 目录",
    "unknown": "未知的演示：{names}。可用的演示：{available}（见 --list）",
    "bad_epochs": "--epochs {epochs}：训练轮次至少为 1",
    "device_missing": "无法使用 --device {device}：{reason}",
    "unavailable": "⚠ 已跳过 {name}：{reason}",
    "skipped": "已跳过",
    "closing_done": "完成。各演示用时：",
    "closing_plot": "\n"
                    "共 1 张图像，保存在 {out}：",
    "closing_plots": "\n"
                     "共 {count} 张图像，保存在 {out}：",
    "closing_others": "\n"
                      "更多演示（python -m tinygrad_edu.demo 名称，加 --quick 快速运行）：",
    "closing_how": "全部列表：python -m tinygrad_edu.demo --list",
}

TABLES: dict[str, dict[str, str]] = {"en": EN, "zh": ZH}


def register(texts: dict[str, tuple[str, str]]) -> None:
    """Add a walkthrough's sentences, written beside its code as ``{key: (English, 中文)}``.

    A walkthrough module calls this once at import (``strings.register(TEXT)``), so both languages of every
    sentence sit side by side where they are used; the registry imports every walkthrough before the first
    sentence is looked up. A key may be registered once only: two walkthroughs cannot claim the same sentence.
    """
    for key, pair in texts.items():
        if key in EN:
            raise KeyError(f"narration key {key!r} is registered twice")
        if not (isinstance(pair, tuple) and len(pair) == 2):
            raise TypeError(f"narration key {key!r}: give (English, Chinese), got {pair!r}")
        EN[key], ZH[key] = pair
