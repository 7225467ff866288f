"""Connecting to Temporal the same way from every client: CLI, web app, dev runner, tests.

Only temporalio.service is imported up front: `conduct cases` reads visibility through the
service client alone (`connect_service`), and temporalio.client with the pydantic data converter
would add about a quarter of a second to it. `DATA_CONVERTER` is made on first use.
"""

from __future__ import annotations

import dataclasses
from typing import TYPE_CHECKING

from temporalio.service import ConnectConfig, RPCError, RPCStatusCode, ServiceClient, TLSConfig

if TYPE_CHECKING:
    from collections.abc import Sequence

    from temporalio.client import Client, Interceptor
    from temporalio.converter import DataConverter
    from temporalio.runtime import Runtime

    from conduct.settings import Settings


def _pydantic_data_converter() -> DataConverter:
    from temporalio.contrib.pydantic import pydantic_data_converter

    return pydantic_data_converter


def __getattr__(name: str) -> DataConverter:
    """`DATA_CONVERTER`, the pydantic data converter (imported when first asked for)."""
    if name == "DATA_CONVERTER":
        return _pydantic_data_converter()
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def data_converter(settings: Settings, per_case_keys: bool = True) -> DataConverter:
    """Pydantic payloads, encrypted when keys are configured (every client and worker must agree).

    With a codec, failures' messages and stack traces are encoded too: they are moved into an
    encrypted payload, and history shows "Encoded failure" (the failure type, whether it is
    retryable and the activity's name stay readable). Clients and workers with the keys see the
    full error. Without this, an error quoting a bound SQL parameter or an address would sit in
    history in clear. Payloads arriving in clear are refused (conduct.codec, CONDUCT_REFUSE_PLAINTEXT).
    Each complaint's payloads are encrypted under its own data key, kept wrapped in the register
    (conduct.case_keys), so that retention can shred one case; `per_case_keys=False` seals with the
    ring alone (the replay corpus, which must decode with its test key and nothing else)."""
    converter = _pydantic_data_converter()
    keys = settings.resolved_encryption_keys
    if not keys:
        return converter
    from temporalio.converter import DefaultFailureConverterWithEncodedAttributes

    from conduct.case_keys import store_for
    from conduct.codec import EncryptionCodec, PayloadConverter, PlaintextPolicy, parse_keys

    plaintext = PlaintextPolicy.of(settings.refuse_plaintext, settings.plaintext_cases)
    return dataclasses.replace(
        converter,
        payload_converter_class=PayloadConverter,
        payload_codec=EncryptionCodec(
            parse_keys(keys),
            plaintext,
            case_keys=store_for(settings.resolved_database_url, keys) if per_case_keys else None,
        ),
        failure_converter_class=DefaultFailureConverterWithEncodedAttributes,
    )


def tls_config(settings: Settings) -> TLSConfig | bool:
    """mTLS when a client certificate is configured (Temporal Cloud or a secured cluster)."""
    if not (settings.temporal_tls_cert and settings.temporal_tls_key):
        return False
    return TLSConfig(
        client_cert=settings.temporal_tls_cert.read_bytes(),
        client_private_key=settings.temporal_tls_key.read_bytes(),
        server_root_ca_cert=settings.temporal_tls_ca.read_bytes() if settings.temporal_tls_ca else None,
    )


async def connect(
    settings: Settings, *, runtime: Runtime | None = None, interceptors: Sequence[Interceptor] = ()
) -> Client:
    """`runtime`: the worker's, exporting its metrics (`conduct.metrics.worker_runtime`); None is the
    SDK's default. `interceptors` that are also worker interceptors apply to workers on this client."""
    from temporalio.client import Client

    return await Client.connect(
        settings.temporal_address,
        namespace=settings.temporal_namespace,
        data_converter=data_converter(settings),
        tls=tls_config(settings),
        runtime=runtime,
        interceptors=interceptors,
    )


async def connect_service(settings: Settings) -> ServiceClient:
    """The connection alone, as `connect` makes it (`Client.connect` is this plus the client's
    namespace and data converter): enough for calls whose payloads need no decoding, such as
    listing workflows with their search attributes (never encrypted)."""
    return await ServiceClient.connect(ConnectConfig(target_host=settings.temporal_address, tls=tls_config(settings)))


async def register_search_attributes(client: Client, namespace: str = "default") -> None:
    """Idempotent: adds only the project's attributes the namespace does not have yet (the
    time-skipping server cannot list them, so there every attribute is added)."""
    from temporalio.api.enums.v1 import IndexedValueType
    from temporalio.api.operatorservice.v1 import AddSearchAttributesRequest, ListSearchAttributesRequest

    from conduct import search

    try:
        existing = await client.operator_service.list_search_attributes(
            ListSearchAttributesRequest(namespace=namespace)
        )
        known = set(existing.custom_attributes)
    except RPCError as err:
        if err.status is not RPCStatusCode.UNIMPLEMENTED:
            raise
        known = set()
    missing = {
        key.name: IndexedValueType.ValueType(key.indexed_value_type) for key in search.ALL if key.name not in known
    }
    if missing:
        await client.operator_service.add_search_attributes(
            AddSearchAttributesRequest(namespace=namespace, search_attributes=missing)
        )


def workflow_id(reference: str) -> str:
    return f"complaint-{reference}"
