"""Meeting load for readers (`advisor load`): a table with bars, JSON or CSV, per person or per day."""
from __future__ import annotations

import json
from datetime import datetime
from typing import Any, Dict, List

from advisor.errors import one_line
from advisor.inputs.calendar import WindowLoad
from advisor.report.spreadsheet import to_csv

BAR_WIDTH = 30
_EIGHTHS = " ▏▎▍▌▋▊▉"


def render_load(window: "WindowLoad", by: str = "person", fmt: str = "text") -> str:
    rows = _person_rows(window) if by == "person" else _day_rows(window)
    if fmt == "json":
        return json.dumps(_json(window, by, rows), indent=2, ensure_ascii=False) + "\n"
    if fmt == "csv":
        return to_csv(rows, list(rows[0]) if rows else ["email"])
    return _text(window, by, rows)


def _person_rows(window: "WindowLoad") -> List[Dict[str, Any]]:
    scale = 7 / window.window_days
    return [{"email": p.email, "name": p.name or "", "meetings": p.meetings, "meeting_hours": round(p.hours, 2),
             "hours_per_7_days": round(p.hours * scale, 2)} for p in window.per_person]


def _day_rows(window: "WindowLoad") -> List[Dict[str, Any]]:
    return [{"day": d.day.isoformat(), "meetings": d.meetings, "meeting_hours": round(d.hours, 2),
             "attendee_hours": round(d.attendee_hours, 2)} for d in window.per_day()]


def _json(window: "WindowLoad", by: str, rows: List[Dict[str, Any]]) -> Dict[str, Any]:
    value: Dict[str, Any] = {
        "window": {"start": window.start.isoformat(), "end": window.end.isoformat(), "days": window.window_days},
        "files": list(window.files),
    }
    if by == "person":
        count, hours, meetings = window.average()
        value["per_person"] = rows
        value["average"] = {"people": count, "meeting_hours": round(hours, 2), "meetings": round(meetings, 2)}
    else:
        value["per_day"] = rows
    return value


def _text(window: "WindowLoad", by: str, rows: List[Dict[str, Any]]) -> str:
    zone = window.end.tzinfo
    start, end = window.start.astimezone(zone), window.end
    lines = [f"Meeting load over {window.window_days} days, {start:%a %d %b %Y %H:%M} to {end:%a %d %b %Y %H:%M} "
             f"(UTC{end:%z}), from {one_line(', '.join(window.files))}", ""]
    if by == "person":
        per_week = "h/week" if window.window_days != 7 else ""
        labels = [_person_label(r) for r in rows]
        width = max([len(label) for label in labels] + [len("person")])
        lines.append(f"{'person':<{width}}  meetings   hours {per_week:>7}".rstrip())
        top = max([r["hours_per_7_days"] for r in rows] + [0])
        for label, row in zip(labels, rows):
            weekly = f"{row['hours_per_7_days']:7.2f}" if per_week else ""
            lines.append(f"{label:<{width}}  {row['meetings']:8d} {row['meeting_hours']:7.2f} {weekly}"
                         f"  {_bar(row['hours_per_7_days'], top)}".rstrip())
        count, hours, meetings = window.average()
        lines.append(f"{'average of ' + str(count) + ' people':<{width}}  {meetings:8.2f} {hours:7.2f}"
                     + (f" {hours * 7 / window.window_days:7.2f}" if per_week else ""))
        if not rows:
            lines.insert(-1, "(no meetings in the window)")
    else:
        lines.append(f"{'day':<15}  meetings   hours  attendee-hours")
        top = max([r["attendee_hours"] for r in rows] + [0])
        for row in rows:
            day = datetime.fromisoformat(row["day"])
            lines.append(f"{day:%a %d %b %Y}  {row['meetings']:8d} {row['meeting_hours']:7.2f} "
                         f"{row['attendee_hours']:15.2f}  {_bar(row['attendee_hours'], top)}".rstrip())
    return "\n".join(lines) + "\n"


def _person_label(row: Dict[str, Any]) -> str:
    """'Name <email>' as a terminal shows it: the calendar's text cannot drive the terminal."""
    label = one_line(f"{row['name']} <{row['email']}>" if row["name"] else row["email"])
    return label if len(label) <= 48 else label[:47] + "…"


def _bar(value: float, top: float) -> str:
    """A horizontal bar, BAR_WIDTH characters for `top`, in eighths of a character."""
    if top <= 0 or value <= 0:
        return ""
    eighths = max(1, round(value / top * BAR_WIDTH * 8))
    return "█" * (eighths // 8) + _EIGHTHS[eighths % 8].strip()
