"""Event and state models, and the CloudEvent envelope Dapr delivers events in."""

from __future__ import annotations

from typing import Any, Generic, TypeVar, cast

from pydantic import AwareDatetime, Base64Bytes, BaseModel, ConfigDict, TypeAdapter

DataT = TypeVar("DataT")


class CloudEvent(BaseModel, Generic[DataT]):
    """A CloudEvent as the Dapr sidecar delivers it to a subscription route.

    Lenient on purpose: Dapr redelivers an event the app fails to accept, so anything
    the sidecar sends parses. Tracing fields may be absent or empty, and unknown
    extension attributes are kept (`model_extra`). JSON and text payloads arrive in
    `data`; a raw payload (subscription metadata rawPayload "true", or a publish with
    Content-Type application/octet-stream) arrives base64-encoded in `data_base64` and
    is decoded here. Envelope fields: dapr/dapr pkg/runtime/pubsub/cloudevents.go and
    dapr/components-contrib pubsub/envelope.go.
    """

    model_config = ConfigDict(extra="allow", frozen=True)

    id: str
    source: str
    type: str
    specversion: str
    datacontenttype: str | None = None
    dataschema: str | None = None
    subject: str | None = None
    time: AwareDatetime | None = None
    data: DataT | None = None
    data_base64: Base64Bytes | None = None
    topic: str | None = None
    pubsubname: str | None = None
    traceid: str | None = None
    traceparent: str | None = None
    tracestate: str | None = None
    expiration: AwareDatetime | None = None

    def payload(self) -> DataT:
        """The typed data: `data`, or the JSON document inside `data_base64`.

        Raises pydantic.ValidationError when a raw payload does not fit the data type,
        and ValueError when the event carries no data at all.
        """
        if self.data_base64 is not None:
            # The parametrized class annotates `data` as DataT filled in, `| None` kept.
            data_type: Any = type(self).model_fields["data"].annotation
            return cast("DataT", TypeAdapter(data_type).validate_json(self.data_base64))
        if self.data is None:
            msg = f"CloudEvent {self.id!r} carries no data"
            raise ValueError(msg)
        return self.data


class Reservation(BaseModel):
    model_config = ConfigDict(extra="ignore", frozen=True)

    id: str
    seat: str
    confirmed: bool = False
