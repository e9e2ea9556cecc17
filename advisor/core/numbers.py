"""Numbers as people write them: in reasons, reports and rule snippets alike."""
from __future__ import annotations

import math
from typing import Optional


def num(value: float) -> str:
    """15.0 -> '15', 5.25 -> '5.25', 1092.0 -> '1,092': numbers as people write them."""
    rounded = round(float(value), 2)
    if rounded == int(rounded):
        return f"{int(rounded):,}"
    return f"{rounded:,.2f}".rstrip("0")


def money(value: float) -> str:
    """2620.5 -> '2,621': whole units, halves rounded up as on an invoice."""
    return f"{math.floor(float(value) + 0.5):,}"


def amount_text(value: float, currency: Optional[str]) -> str:
    """2620.5, 'USD' -> '2,621 USD': an amount with its currency code, as English reports write it."""
    return f"{money(value)} {currency}" if currency else money(value)
