"""Alerts (reunite.alerts): subscriptions, alerts and their delivery log.

- ``alert_subscriptions``: a subscriber (person, organisation, media), channel and recipient, area (a
  place with coordinates and a radius, or province adcodes), status pending/active/unsubscribed.
- ``alerts``: an appeal sent out (a report or a published appeal), its centre, clock, radius schedule,
  direction provinces, public text, last ring sent.
- ``alert_deliveries``: one row per (alert, subscription): ring, status, attempts, error class, claim.

Revision ID: 0014
Revises: 0013
Create Date: 2026-12-05
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0014"
down_revision = "0013"
branch_labels = None
depends_on = None

_CHANNELS = ("email", "webhook", "sms", "wechat")
_KINDS = ("person", "organisation", "media")
_SUB = ("pending", "active", "unsubscribed")
_DELIVERY = ("claimed", "sending", "sent", "retry", "failed", "unknown", "rate_limited")


def _in(column: str, values: tuple[str, ...]) -> str:
    return f"{column} IN ({', '.join(repr(v) for v in values)})"


def upgrade() -> None:
    op.create_table(
        "alert_subscriptions",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=20), nullable=False),
        sa.Column("organisation", sa.Text(), nullable=True),
        sa.Column("channel", sa.String(length=10), nullable=False),
        sa.Column("recipient", sa.Text(), nullable=False),
        sa.Column("lang", sa.String(length=2), nullable=False),
        sa.Column("place", sa.Text(), nullable=True),
        sa.Column("place_adcode", sa.String(length=6), nullable=True),
        sa.Column("lat", sa.Float(), nullable=True),
        sa.Column("lon", sa.Float(), nullable=True),
        sa.Column("radius_km", sa.Float(), nullable=True),
        sa.Column("provinces", sa.JSON(), nullable=True),
        sa.Column("status", sa.String(length=15), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("confirmed_at", sa.DateTime(), nullable=True),
        sa.Column("unsubscribed_at", sa.DateTime(), nullable=True),
        sa.CheckConstraint(_in("kind", _KINDS), name=op.f("ck_alert_subscriptions_kind")),
        sa.CheckConstraint(_in("channel", _CHANNELS), name=op.f("ck_alert_subscriptions_channel")),
        sa.CheckConstraint(_in("status", _SUB), name=op.f("ck_alert_subscriptions_status")),
        sa.CheckConstraint(_in("lang", ("zh", "en")), name=op.f("ck_alert_subscriptions_lang")),
        sa.CheckConstraint("(lat IS NOT NULL AND lon IS NOT NULL AND radius_km IS NOT NULL AND radius_km >= 0) "
                           "OR provinces IS NOT NULL", name=op.f("ck_alert_subscriptions_area")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_alert_subscriptions")),
    )
    op.create_index("ix_alert_subscriptions_status_channel", "alert_subscriptions", ["status", "channel"])
    op.create_table(
        "alerts",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("report_id", sa.Integer(), nullable=True),
        sa.Column("appeal_id", sa.Integer(), nullable=True),
        sa.Column("place_adcode", sa.String(length=6), nullable=False),
        sa.Column("lat", sa.Float(), nullable=False),
        sa.Column("lon", sa.Float(), nullable=False),
        sa.Column("started_at", sa.DateTime(), nullable=False),
        sa.Column("schedule", sa.JSON(), nullable=False),
        sa.Column("direction", sa.JSON(), nullable=False),
        sa.Column("subject", sa.Text(), nullable=False),
        sa.Column("body_zh", sa.Text(), nullable=False),
        sa.Column("body_en", sa.Text(), nullable=False),
        sa.Column("url", sa.Text(), nullable=True),
        sa.Column("status", sa.String(length=10), nullable=False),
        sa.Column("step_sent", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("created_by", sa.String(length=100), nullable=False),
        sa.CheckConstraint(_in("status", ("active", "closed")), name=op.f("ck_alerts_status")),
        sa.CheckConstraint("(report_id IS NULL) <> (appeal_id IS NULL)", name=op.f("ck_alerts_one_subject")),
        sa.ForeignKeyConstraint(["report_id"], ["missing_reports.id"], name=op.f("fk_alerts_report_id_missing_reports"),
                                ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["appeal_id"], ["appeals.id"], name=op.f("fk_alerts_appeal_id_appeals"),
                                ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_alerts")),
    )
    op.create_index(op.f("ix_alerts_report_id"), "alerts", ["report_id"])
    op.create_index(op.f("ix_alerts_appeal_id"), "alerts", ["appeal_id"])
    op.create_table(
        "alert_deliveries",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("alert_id", sa.Integer(), nullable=False),
        sa.Column("subscription_id", sa.Integer(), nullable=False),
        sa.Column("step", sa.Integer(), nullable=False),
        sa.Column("radius_km", sa.Float(), nullable=True),
        sa.Column("reason", sa.String(length=10), nullable=False),
        sa.Column("channel", sa.String(length=10), nullable=False),
        sa.Column("status", sa.String(length=15), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("error", sa.String(length=100), nullable=True),
        sa.Column("claimed_by", sa.String(length=100), nullable=True),
        sa.Column("claimed_at", sa.DateTime(), nullable=True),
        sa.Column("next_attempt_at", sa.DateTime(), nullable=True),
        sa.Column("sent_at", sa.DateTime(), nullable=True),
        sa.CheckConstraint(_in("status", _DELIVERY), name=op.f("ck_alert_deliveries_status")),
        sa.CheckConstraint(_in("reason", ("radius", "direction")), name=op.f("ck_alert_deliveries_reason")),
        sa.ForeignKeyConstraint(["alert_id"], ["alerts.id"], name=op.f("fk_alert_deliveries_alert_id_alerts"),
                                ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["subscription_id"], ["alert_subscriptions.id"],
                                name=op.f("fk_alert_deliveries_subscription_id_alert_subscriptions"),
                                ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_alert_deliveries")),
        sa.UniqueConstraint("alert_id", "subscription_id",
                            name=op.f("uq_alert_deliveries_alert_id_subscription_id")),
    )
    op.create_index(op.f("ix_alert_deliveries_subscription_id"), "alert_deliveries", ["subscription_id"])
    op.create_index("ix_alert_deliveries_status_next", "alert_deliveries", ["status", "next_attempt_at"])


def downgrade() -> None:
    op.drop_index("ix_alert_deliveries_status_next", table_name="alert_deliveries")
    op.drop_index(op.f("ix_alert_deliveries_subscription_id"), table_name="alert_deliveries")
    op.drop_table("alert_deliveries")
    op.drop_index(op.f("ix_alerts_appeal_id"), table_name="alerts")
    op.drop_index(op.f("ix_alerts_report_id"), table_name="alerts")
    op.drop_table("alerts")
    op.drop_index("ix_alert_subscriptions_status_channel", table_name="alert_subscriptions")
    op.drop_table("alert_subscriptions")
