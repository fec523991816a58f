"""The dev run on screen: a rich table of the consumers, the publisher's progress and the latest mail."""

from rich import box
from rich.console import Group, RenderableType
from rich.table import Table
from rich.text import Text

from fanout.dev.snapshot import Snapshot

ALERT_STYLES = {"firing": "bold red", "ok": "green"}
COLUMNS = ("consumer", "routed", "queued", "in flight", "handled", "retried", "dead", "DLQ", "alert")


def consumers_table(snapshot: Snapshot) -> Table:
    """One row per consumer: what was routed to it, where it sits, what became of it."""
    table = Table(
        *COLUMNS,
        title=f"fanout dev — {snapshot.elapsed_s:.0f} s",
        title_justify="left",
        box=box.SIMPLE_HEAD,
        padding=(0, 1),
        pad_edge=False,
    )
    table.columns[0].no_wrap = True
    for column in table.columns[1:-1]:
        column.justify = "right"
    for row in snapshot.rows:
        table.add_row(
            row.name,
            str(row.routed),
            str(row.visible),
            str(row.in_flight),
            str(row.handled),
            str(row.retried),
            str(row.dead_lettered),
            Text(str(row.dlq), style="bold red" if row.dlq else ""),
            Text(row.alert or "…", style=ALERT_STYLES.get(row.alert, "dim")),
        )
    return table


def render(snapshot: Snapshot) -> RenderableType:
    """The whole screen."""
    published = f"published {snapshot.published} event(s)"
    if snapshot.publish_failed:
        published += f", {snapshot.publish_failed} failed ({snapshot.publish_error})"
    parts: list[RenderableType] = [consumers_table(snapshot), Text(published)]
    parts.append(Text(f"mail received by the SMTP sink: {snapshot.mail_count}"))
    parts += [
        Text(f"  → {', '.join(mail.recipients)}: {mail.subject}", style="dim")
        for mail in snapshot.recent_mail
    ]
    return Group(*parts)
