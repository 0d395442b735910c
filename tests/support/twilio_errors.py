"""Add Twilio's error responses to its OpenAPI description, for the mock server.

Twilio's published description of the 2010 API lists only each operation's success
response, so Stoplight Prism cannot answer ``Prefer: code=500`` with an error. Twilio's
documented error body is ``{code, message, more_info, status}``; this adds it, as 400, 401,
404, 429 (with ``Retry-After``), 500 and 503, to every operation, and writes a new file.

    python3 twilio_errors.py twilio_api_v2010.json twilio_api_v2010.mock.json
"""

from __future__ import annotations

import json
import sys

# status: (Twilio error code, message)
ERRORS = {
    "400": (21211, "The 'To' number is not a valid phone number."),
    "401": (20003, "Authenticate"),
    "404": (20404, "The requested resource was not found"),
    "429": (20429, "Too Many Requests"),
    "500": (20500, "Internal Server Error"),
    "503": (20503, "Service Unavailable"),
}
RETRY_AFTER_S = 3

ERROR_SCHEMA = {
    "type": "object",
    "required": ["code", "message", "status"],
    "properties": {
        "code": {"type": "integer"},
        "message": {"type": "string"},
        "more_info": {"type": "string"},
        "status": {"type": "integer"},
    },
}


def error_response(status: str) -> dict:
    code, message = ERRORS[status]
    response: dict = {
        "description": message,
        "content": {"application/json": {
            "schema": {"$ref": "#/components/schemas/twilio.error"},
            "examples": {"error": {"value": {
                "code": code, "message": message, "status": int(status),
                "more_info": f"https://www.twilio.com/docs/errors/{code}"}}},
        }},
    }
    if status == "429":
        response["headers"] = {"Retry-After": {
            "schema": {"type": "integer", "example": RETRY_AFTER_S}, "example": RETRY_AFTER_S}}
    return response


def add_errors(spec: dict) -> dict:
    spec.setdefault("components", {}).setdefault("schemas", {})["twilio.error"] = ERROR_SCHEMA
    for operations in spec["paths"].values():
        for method, op in operations.items():
            if method in ("get", "post", "put", "patch", "delete") and isinstance(op, dict):
                for status in ERRORS:
                    op.setdefault("responses", {}).setdefault(status, error_response(status))
    return spec


def main(argv: list[str]) -> None:
    src, dst = argv
    with open(src, encoding="utf-8") as fh:
        spec = json.load(fh)
    with open(dst + ".part", "w", encoding="utf-8") as fh:
        json.dump(add_errors(spec), fh, ensure_ascii=False)
    import os

    os.replace(dst + ".part", dst)


if __name__ == "__main__":
    main(sys.argv[1:])
