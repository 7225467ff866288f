"""Connecting to Temporal the same way from every client: CLI, web app, dev runner, tests."""

import dataclasses

from temporalio.api.enums.v1 import IndexedValueType
from temporalio.api.operatorservice.v1 import AddSearchAttributesRequest, ListSearchAttributesRequest
from temporalio.client import Client
from temporalio.contrib.pydantic import pydantic_data_converter
from temporalio.converter import DataConverter
from temporalio.service import RPCError, RPCStatusCode, TLSConfig

from conduct import search
from conduct.codec import EncryptionCodec, parse_keys
from conduct.settings import Settings

DATA_CONVERTER = pydantic_data_converter


def data_converter(settings: Settings) -> DataConverter:
    """Pydantic payloads, encrypted when keys are configured (every client and worker must agree)."""
    keys = settings.resolved_encryption_keys
    if not keys:
        return DATA_CONVERTER
    return dataclasses.replace(DATA_CONVERTER, payload_codec=EncryptionCodec(parse_keys(keys)))


def tls_config(settings: Settings) -> TLSConfig | bool:
    """mTLS when a client certificate is configured (Temporal Cloud or a secured cluster)."""
    if not (settings.temporal_tls_cert and settings.temporal_tls_key):
        return False
    return TLSConfig(
        client_cert=settings.temporal_tls_cert.read_bytes(),
        client_private_key=settings.temporal_tls_key.read_bytes(),
        server_root_ca_cert=settings.temporal_tls_ca.read_bytes() if settings.temporal_tls_ca else None,
    )


async def connect(settings: Settings) -> Client:
    return await Client.connect(
        settings.temporal_address,
        namespace=settings.temporal_namespace,
        data_converter=data_converter(settings),
        tls=tls_config(settings),
    )


async def register_search_attributes(client: Client, namespace: str = "default") -> None:
    """Idempotent: adds only the project's attributes the namespace does not have yet (the
    time-skipping server cannot list them, so there every attribute is added)."""
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
