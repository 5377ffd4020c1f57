"""What the start-up tests share: agents, the shipped document to copy, files written in a test."""

from __future__ import annotations

import copy
import json
from pathlib import Path
from typing import Any

import httpx

from mockserver import default_table

AGENT = "agent-0a1b2c3d-4e5f-4a6b-9c7d-8e9fa0b1c2d3"
BATCHES = "/v1/messages/batches"
STATS = "/v1/messages/batches/{batch_id}/stats"
STATS_SCHEMA = {
    "type": "object",
    "additionalProperties": False,
    "required": ["batch_id", "total", "completed"],
    "properties": {
        "batch_id": {"type": "string"},
        "total": {"type": "integer", "minimum": 0},
        "completed": {"type": "integer", "minimum": 0},
    },
}


def shipped() -> dict[str, Any]:
    """A copy of the shipped OpenAPI document, to change in a test."""
    return copy.deepcopy(dict(default_table().document))


def with_stats(document: dict[str, Any]) -> dict[str, Any]:
    """``document`` with one operation the mock does not simulate: ``GET .../{batch_id}/stats``."""
    document["components"]["schemas"]["BatchStats"] = copy.deepcopy(STATS_SCHEMA)
    document["paths"][STATS] = {
        "get": {
            "operationId": "retrieve_batch_stats",
            "summary": "Counts of a batch's items",
            "parameters": [
                {"name": "batch_id", "in": "path", "required": True, "schema": {"type": "string"}}
            ],
            "responses": {
                "200": {
                    "description": "Successful Response",
                    "content": {"application/json": {"schema": {"$ref": "#/components/schemas/BatchStats"}}},
                }
            },
        }
    }
    return document


def write(directory: Path, name: str, data: Any) -> Path:
    path = directory / name
    path.write_text(json.dumps(data), encoding="utf-8")
    return path


def ok(response: httpx.Response, status: int = 200) -> Any:
    """The JSON body of a response that must have ``status``."""
    assert response.status_code == status, (response.status_code, response.text)
    return response.json()


def create_batch(http: httpx.Client, *agents: str) -> dict[str, Any]:
    body = {
        "requests": [{"agent_id": agent, "messages": [{"role": "user", "content": "hi"}]} for agent in agents]
    }
    created: dict[str, Any] = ok(http.post(BATCHES, json=body))
    return created
