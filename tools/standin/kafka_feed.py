"""Kafka input bindings on the stand-in: one in-memory log per Kafka topic, shared by every app, read by each
bindings.kafka input component as its consumer group, as daprd 1.18.3 with components-contrib v1.18.x does
(references/dapr-contract.md §12.6).

What writes to a topic: a Kafka output binding (`bindings.kafka` operation `create`, to its `publishTopic`) and a
publish to a pub/sub whose broker is Kafka (the same topic name). A record is kept as the producer writes it
(components-contrib `common/component/kafka/producer.go` `Publish`): the value is the bytes the component was given,
the key is the `partitionKey` (or `__key`) metadata item, and **every** metadata item is also a record header.

What reads it (`bindings/kafka/kafka.go` `Read`, `common/component/kafka/consumer.go` `ConsumeClaim`): each topic is
one partition here, read in order. A consumer group that has committed nothing starts at its `initialOffset`
(`oldest`: the start of the log, so a record written before the app was up is still delivered; `newest`: the end
at the time it joins); else at its committed offset. Each record is posted to the binding's route with its value
as the body and, as headers, `__key` (when there is one), `__offset`, `__topic`, `__timestamp` (Unix ms),
`__partition` and the record's headers (`GetEventMetadata`). An answer that counts as handled marks the record,
which commits the offset after it. bindings.kafka turns the component's own retry off (`NewKafka`:
`DefaultConsumeRetryEnabled = false`; the generated component does not set `consumeRetryEnabled`), so a record
the app refused is logged and left unmarked, and the consumer goes on to the next one; it is read again only when
the group restarts from its committed offset before a later record was marked (an app that stops and starts
again). The retries a failed delivery gets are daprd's: the binding's inbound resiliency policy
(`targets.components.<binding>.inbound.retry`), none by default.

Members of one consumer group share a partition the Kafka way: the first member that joined reads it; when it
leaves, the next takes over from the committed offset.
"""

from __future__ import annotations

import time
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Literal

from tools.standin.resiliency import NO_RETRY, RetryPolicy

__all__ = ["KafkaConsumer", "KafkaFeed", "KafkaLog", "KafkaRecord", "handled"]

InitialOffset = Literal["oldest", "newest"]


@dataclass(frozen=True, slots=True)
class KafkaRecord:
    topic: str
    offset: int
    value: bytes
    key: str | None
    headers: tuple[tuple[str, str], ...]
    timestamp_ms: int

    def metadata(self) -> dict[str, str]:
        """The event metadata the binding hands to daprd (`GetEventMetadata`; one partition, number 0)."""
        out: dict[str, str] = {}
        if self.key is not None:
            out["__key"] = self.key
        out["__offset"] = str(self.offset)
        out["__topic"] = self.topic
        out["__timestamp"] = str(self.timestamp_ms)
        out["__partition"] = "0"
        out.update(self.headers)
        return out


@dataclass
class KafkaLog:
    """Every topic's records, in the order they were written."""

    topics: dict[str, list[KafkaRecord]] = field(default_factory=dict)

    def append(self, topic: str, value: bytes, metadata: Mapping[str, str] | None = None) -> KafkaRecord:
        """One record as `Publish` writes it: key from `partitionKey` / `__key`, each metadata item a header."""
        items = dict(metadata or {})
        key = items.get("partitionKey", items.get("__key"))
        records = self.topics.setdefault(topic, [])
        record = KafkaRecord(topic, len(records), value, key, tuple(items.items()), int(time.time() * 1000))
        records.append(record)
        return record

    def end(self, topic: str) -> int:
        """The offset the next record of `topic` gets."""
        return len(self.topics.get(topic, ()))


@dataclass
class KafkaConsumer:
    """One app's bindings.kafka input component while the app is up: its group and where it reads each topic."""

    app_id: str
    name: str
    route: str
    group: str
    topics: tuple[str, ...]
    initial_offset: InitialOffset = "oldest"
    policy: RetryPolicy = NO_RETRY
    position: dict[str, int] = field(default_factory=dict)  # the next offset this session fetches, per topic


def handled(status: int | None) -> bool:
    """Whether daprd reports the delivery as handled to the binding: the app's answer is 2xx (`sendBindingEventToApp`
    fails on anything else; a transport error has no status)."""
    return status is not None and 200 <= status <= 299


@dataclass
class KafkaFeed:
    """The shared log, the committed offset of each (consumer group, topic), and the consumers that are up."""

    log: KafkaLog = field(default_factory=KafkaLog)
    committed: dict[tuple[str, str], int] = field(default_factory=dict)
    consumers: list[KafkaConsumer] = field(default_factory=list)

    def join(self, consumer: KafkaConsumer) -> KafkaConsumer:
        self.consumers.append(consumer)
        return consumer

    def leave(self, app_id: str) -> list[KafkaConsumer]:
        """`app_id`'s consumers stop: their sessions' positions are forgotten, the commits stay with the group."""
        gone = [c for c in self.consumers if c.app_id == app_id]
        self.consumers = [c for c in self.consumers if c.app_id != app_id]
        return gone

    def owner(self, group: str, topic: str) -> KafkaConsumer | None:
        """The member of `group` that reads `topic`'s partition: the first one that joined."""
        return next((c for c in self.consumers if c.group == group and topic in c.topics), None)

    def _position(self, consumer: KafkaConsumer, topic: str) -> int:
        if topic not in consumer.position:
            start = self.committed.get((consumer.group, topic))
            if start is None:  # nothing committed yet: the component's initialOffset (Sarama Offsets.Initial)
                start = 0 if consumer.initial_offset == "oldest" else self.log.end(topic)
            consumer.position[topic] = start
        return consumer.position[topic]

    def take(self, consumer: KafkaConsumer, topic: str) -> KafkaRecord | None:
        """The next record `consumer` reads on `topic` (its position moves on), or None: nothing new, or the
        partition is another member's."""
        if self.owner(consumer.group, topic) is not consumer:
            return None
        offset = self._position(consumer, topic)
        records = self.log.topics.get(topic, [])
        if offset >= len(records):
            return None
        consumer.position[topic] = offset + 1
        return records[offset]

    def mark(self, consumer: KafkaConsumer, record: KafkaRecord) -> None:
        """`MarkMessage`: the group's committed offset becomes the one after `record` (never moves back)."""
        key = (consumer.group, record.topic)
        self.committed[key] = max(self.committed.get(key, 0), record.offset + 1)

    def pending(self) -> int:
        """Records the consumers that are up have still to read."""
        count = 0
        for consumer in self.consumers:
            for topic in consumer.topics:
                if self.owner(consumer.group, topic) is consumer:
                    count += max(0, self.log.end(topic) - self._position(consumer, topic))
        return count
