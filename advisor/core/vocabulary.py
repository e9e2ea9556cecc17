"""The words of the proposal contract (docs/proposal.md) and of decisions (docs/decision.md)."""
from __future__ import annotations

from typing import Dict, Tuple

PURPOSES: Tuple[str, ...] = (
    "motivation",
    "recognition",
    "goal_setting",
    "product_update",
    "product_demo",
    "problem_solving",
    "sales_shortfall",
    "strategy",
    "customer_education",
    "sales_pitch",
    "relationship_building",
    "policy_update",
    "campaign_update",
    "training",
    "coaching",
    "status_update",
)

ROLES: Tuple[str, ...] = (
    "sales_rep",
    "sales_manager",
    "executive",
    "technical_expert",
    "developer",
    "manufacturing",
    "marketing",
    "finance",
    "financial_planner",
    "customer",
    "prospect",
    "other",
)

EXTERNAL_ROLES: Tuple[str, ...] = ("customer", "prospect")

RECURRENCES: Tuple[str, ...] = ("none", "daily", "weekly", "biweekly", "monthly")

# Working occurrences in a year: a daily meeting on working days only.
OCCURRENCES_PER_YEAR: Dict[str, int] = {"none": 1, "daily": 250, "weekly": 52, "biweekly": 26, "monthly": 12}

# Ties between format scores go to the earliest here: the lighter, cheaper way to meet first.
FORMATS: Tuple[str, ...] = ("call", "video", "one_on_one", "formal")

# How people take part (decision 1.1), lighter first for ties, and which of them each format
# allows: a formal meeting has a room, a one-on-one is face to face, by video or by phone.
MEDIA: Tuple[str, ...] = ("phone", "video", "hybrid", "in_person")
MEDIA_OF_FORMAT: Dict[str, Tuple[str, ...]] = {
    "formal": ("in_person", "hybrid"),
    "one_on_one": ("in_person", "video", "phone"),
    "call": ("phone",),
    "video": ("video",),
}

# What to do instead of a skipped meeting (HBR's tree: do it yourself, write, call, meet).
ALTERNATIVES: Dict[str, str] = {
    "written_update": "a written update (email or shared document)",
    "shared_document": "a shared document collecting comments before anyone meets",
    "async_thread": "a chat thread or email exchange",
    "one_on_one": "short one-on-one conversations with the people concerned",
    "merge_with_existing": "a slot in a meeting that already happens",
    "postpone": "waiting until the team's meeting load falls",
    "decide_alone": "the organizer deciding and informing the others",
}
DEFAULT_ALTERNATIVE = "written_update"
# Alternatives that only put the meeting off: named only when waiting would be enough to hold it.
DEFERRALS: Tuple[str, ...] = ("postpone",)

# Loaded hourly cost per role in USD: yearly pay x 1.4 / 2,080 hours (HBR's meeting cost
# calculator), rounded to 5. External people cost the company nothing directly.
DEFAULT_HOURLY_COST: Dict[str, float] = {
    "sales_rep": 50,       # about 75,000 a year with commission
    "sales_manager": 80,   # about 120,000
    "executive": 150,      # about 220,000
    "technical_expert": 95,  # about 140,000
    "developer": 95,
    "manufacturing": 45,   # about 65,000
    "marketing": 60,       # about 90,000
    "finance": 65,         # about 100,000
    "financial_planner": 65,
    "customer": 0,
    "prospect": 0,
    "other": 50,
}
DEFAULT_CURRENCY = "USD"
