"""PropertyValue <-> plain Python, and schema (camelCase) <-> core (snake_case) names."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from pulumi.provider.experimental.property_value import Computed, PropertyValue
from pulumi.runtime.rpc import UNKNOWN as UNKNOWN_SENTINEL

from ..setting_table import stack_config
from .schema import TO_CAMEL, TO_SNAKE


class Unknown:
    """A value not known yet (during preview)."""


UNKNOWN = Unknown()


def is_unknown(value: Any) -> bool:
    return value is UNKNOWN


def to_python(value: PropertyValue) -> Any:
    inner = value.value
    # This SDK hands a value not known yet over as the engine's sentinel string, not as Computed.
    if isinstance(inner, Computed) or inner == UNKNOWN_SENTINEL:
        return UNKNOWN
    if isinstance(inner, Mapping):
        return {key: to_python(item) for key, item in inner.items()}
    if isinstance(inner, Sequence) and not isinstance(inner, str):
        return [to_python(item) for item in inner]
    return inner


def unknown_value() -> PropertyValue:
    """A value not known yet, as this SDK can send it back (it cannot marshal Computed): the engine's sentinel."""
    return PropertyValue(UNKNOWN_SENTINEL)


def from_python(value: Any) -> PropertyValue:
    if value is UNKNOWN:
        return unknown_value()
    if isinstance(value, Mapping):
        return PropertyValue({str(k): from_python(v) for k, v in value.items()})
    if isinstance(value, (list, tuple)):
        return PropertyValue([from_python(v) for v in value])
    if isinstance(value, int) and not isinstance(value, bool):
        return PropertyValue(float(value))
    return PropertyValue(value)


def snake_props(props: Mapping[str, PropertyValue]) -> dict[str, Any]:
    """Schema-named PropertyValues -> core-named Python values (unknown names are dropped)."""
    return {TO_SNAKE[key]: to_python(value) for key, value in props.items() if key in TO_SNAKE}


def camel_props(props: Mapping[str, Any]) -> dict[str, PropertyValue]:
    """Core-named Python values -> schema-named PropertyValues; a None (unset) property is left out."""
    return {TO_CAMEL[key]: from_python(value) for key, value in props.items()
            if key in TO_CAMEL and value is not None}


def camel_name(snake: str) -> str:
    return TO_CAMEL.get(snake, snake)


def provider_config(args: Mapping[str, PropertyValue], variables: Mapping[str, str]) -> dict[str, Any]:
    """The provider settings from Configure, by bare key: the provider's own args first (they carry bare keys),
    then the stack's namespaced variables."""
    config: dict[str, Any] = stack_config(variables.get)
    for key, value in args.items():
        if not isinstance(value.value, Computed) and value.value is not None:
            config[key] = str(value.value)
    return config
