"""Every topic the router can start, built with the dependencies the composition root gives."""

from __future__ import annotations

from dialogs.base import TopicDeps, TopicDialog


def build_topics(deps: TopicDeps) -> list[TopicDialog]:
    """One dialog per topic; the router maps each `topic_id` to its dialog."""
    return []
