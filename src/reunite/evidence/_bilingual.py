"""An :class:`~reunite.evidence.fusion.EvidenceItem` that explains itself in Chinese as well as English.

The place and marks LRs are read by families and investigators in China, so each carries a note
in both languages and a Chinese sentence beside the English one.  It is an ``EvidenceItem`` (it
fuses like any other); ``as_dict`` adds ``sentence_zh`` and ``note_zh``.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from ..genetics import format_lr
from .fusion import EvidenceItem

_LABELS_ZH = {"place": "地点", "marks": "体征与疾病", "face": "照片", "dna": "DNA", "sex": "性别", "age": "年龄",
              "time": "时间", "network": "拐卖网络"}
H1_ZH = "被寻儿童是该报告的失踪儿童"
H2_ZH = "被寻儿童是另一个儿童"


@dataclass(frozen=True)
class BilingualItem(EvidenceItem):
    """An evidence item with ``note_zh`` and a Chinese sentence (:attr:`sentence_zh`)."""

    note_zh: str = ""

    @property
    def sentence_zh(self) -> str:
        """The sentence in Chinese, e.g. "地点证据在“…”的假设下出现的概率是…的 3.1 倍。"."""
        what = f"{_LABELS_ZH.get(self.kind, self.kind)}证据"
        if self.log10_lr is None:
            text = f"若“{H1_ZH}”，{what}不可能出现（似然比为 0）：排除匹配。"
        elif abs(self.log10_lr) < 1e-9:
            text = f"{what}在两种假设下出现的概率相同（似然比为 1）：既不支持也不削弱匹配。"
        elif self.log10_lr > 0:
            text = (f"{what}在“{H1_ZH}”的假设下出现的概率，是在“{H2_ZH}”的假设下的 "
                    f"{format_lr(self.lr, self.log10_lr)} 倍。")
        else:
            inv = -self.log10_lr
            text = (f"{what}在“{H2_ZH}”的假设下出现的概率，是在“{H1_ZH}”的假设下的 "
                    f"{format_lr(10.0 ** inv if inv < 308 else math.inf, inv)} 倍。")
        return f"{text}{self.note_zh}".strip()

    def as_dict(self) -> dict:
        out = super().as_dict()
        out["sentence_zh"] = self.sentence_zh
        out["note_zh"] = self.note_zh
        return out
