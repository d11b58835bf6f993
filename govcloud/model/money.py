"""Money as the city's budget tables show it: in 万元 (ten thousand yuan) by default.

    money(4_866_666.67)          → ¥486.67万
    floor(4_866_666.67)          → ≥ ¥486万       (a guidance figure "以上": never rounded up)
    money(6_900, unit="yuan")    → ¥6,900
"""
from __future__ import annotations

import math

WAN = 10_000
UNITS = ("wan", "yuan")


def _trim(text: str) -> str:
    return text.rstrip("0").rstrip(".") if "." in text else text


def yuan(amount: float) -> str:
    """¥1,234 or ¥1,234.56: whole yuan without decimals."""
    return f"¥{amount:,.0f}" if float(amount).is_integer() else f"¥{amount:,.2f}"


def money(amount: float, unit: str = "wan") -> str:
    """An exact amount: ¥X万 to two decimals (¥0.69万 is ¥6,900), or whole yuan with unit='yuan'."""
    if unit == "yuan":
        return yuan(round(amount, 2))
    if round(amount / WAN, 2) == 0:
        return "¥0"  # nothing, rather than "¥0万"
    return f"¥{_trim(f'{amount / WAN:,.2f}')}万"


def floor(amount: float, unit: str = "wan") -> str:
    """A lower bound, rounded down: whole 万 from ¥100万, 0.1万 from ¥1万, else 0.01万."""
    if unit == "yuan":
        return f"≥ ¥{math.floor(amount):,}"
    wan = amount / WAN
    digits = 0 if wan >= 100 else 1 if wan >= 1 else 2
    step = 10 ** digits
    return f"≥ ¥{_trim(f'{math.floor(wan * step + 1e-9) / step:,.{digits}f}')}万"
