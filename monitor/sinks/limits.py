"""Fitting text and alerts into a service's size limits, saying what was cut ("… and N more")."""

from collections.abc import Callable, Sequence

from monitor.alerts import Alert, ReasonSample

ELLIPSIS = "…"
DETAIL_MAX_CHARS = 500  # a reason's detail in a payload (the whole one is in `fanout dlq show`)
LABEL_MAX_CHARS = 200  # reason, event type and id: short in practice, but read from message attributes


def truncate(text: str, limit: int) -> str:
    """`text` cut to at most `limit` characters, ending in … when cut."""
    return text if len(text) <= limit else text[: max(limit - 1, 0)] + ELLIPSIS


def more_line(count: int) -> str:
    return f"{ELLIPSIS} and {count} more"


def fit_lines(lines: Sequence[str], limit: int) -> str:
    """Join lines with newlines within `limit` characters; lines that do not fit become "… and N more"."""
    kept: list[str] = []
    for index, line in enumerate(lines):
        remaining = len(lines) - index - 1
        reserve = len("\n" + more_line(remaining)) if remaining else 0
        candidate = "\n".join([*kept, line])
        if len(candidate) + reserve <= limit:
            kept.append(line)
            continue
        if not kept:  # not even the first line fits whole: cut it
            kept.append(truncate(line, limit - len("\n" + more_line(remaining)) if remaining else limit))
            if remaining:
                kept.append(more_line(remaining))
            return "\n".join(kept)
        kept.append(more_line(len(lines) - index))
        return "\n".join(kept)
    return "\n".join(kept)


def short_sample(sample: ReasonSample) -> ReasonSample:
    """A reason sample with every field cut to a size fit for a notification."""

    def cut(text: str | None, limit: int = LABEL_MAX_CHARS) -> str | None:
        return truncate(text, limit) if text else text

    return sample.model_copy(
        update={
            "reason": truncate(sample.reason, LABEL_MAX_CHARS),
            "detail": cut(sample.detail, DETAIL_MAX_CHARS),
            "event_type": cut(sample.event_type),
            "event_id": cut(sample.event_id),
        }
    )


def short_reasons(alert: Alert) -> Alert:
    """The alert with every reason sample cut to notification size."""
    return alert.model_copy(update={"recent_reasons": [short_sample(s) for s in alert.recent_reasons]})


def fit_alert(alert: Alert, size: Callable[[Alert], int], limit: int) -> Alert:
    """The alert, details shortened and reason samples dropped (counted in `omitted_reasons`) to fit."""
    fitted = short_reasons(alert)
    samples: list[ReasonSample] = list(fitted.recent_reasons)
    while size(fitted) > limit and samples:
        samples.pop()
        fitted = fitted.model_copy(
            update={
                "recent_reasons": list(samples),
                "omitted_reasons": alert.omitted_reasons + len(alert.recent_reasons) - len(samples),
            }
        )
    if size(fitted) > limit:
        raise ValueError(f"alert does not fit in {limit} bytes even without reasons")
    return fitted
