#include "server/api/api.hpp"

namespace bk::api {

// Written by hand, as the contract scripts and the GUI are built against; a test checks that it
// and the route table name the same operations.
std::string_view openapi_document() {
  static constexpr std::string_view kDocument = R"json({
  "openapi": "3.0.3",
  "info": {
    "title": "Bootkeeper REST API",
    "version": "1",
    "description": "The inventory of diskless workstations (subnets, images, machines), what asked and is not registered, events, and what a machine would get when it boots. Errors are application/problem+json whose detail names the field and the reason."
  },
  "servers": [{"url": "http://127.0.0.1:8067"}],
  "security": [{"bearer": []}],
  "components": {
    "securitySchemes": {
      "bearer": {"type": "http", "scheme": "bearer", "description": "bootkeeperd token create --role viewer|operator|admin"}
    },
    "parameters": {
      "id": {"name": "id", "in": "path", "required": true, "schema": {"type": "integer", "minimum": 1}},
      "key": {"name": "key", "in": "path", "required": true, "description": "the machine's id, or its MAC in any accepted form", "schema": {"type": "string"}},
      "mac": {"name": "mac", "in": "path", "required": true, "schema": {"type": "string"}},
      "limit": {"name": "limit", "in": "query", "schema": {"type": "integer", "minimum": 1, "maximum": 1000, "default": 100}},
      "offset": {"name": "offset", "in": "query", "schema": {"type": "integer", "minimum": 0, "default": 0}}
    },
    "responses": {
      "Problem": {"description": "refused: the detail says why", "content": {"application/problem+json": {"schema": {"$ref": "#/components/schemas/Problem"}}}},
      "NoContent": {"description": "deleted"}
    },
    "schemas": {
      "Problem": {"type": "object", "properties": {
        "type": {"type": "string"}, "title": {"type": "string"}, "status": {"type": "integer"},
        "detail": {"type": "string"},
        "errors": {"type": "array", "items": {"type": "object", "properties": {"field": {"type": "string"}, "reason": {"type": "string"}}}}}},
      "Options": {"type": "object", "description": "DHCP/BOOTP options keyed by RFC 2132 code or name", "additionalProperties": true},
      "Subnet": {"type": "object", "required": ["name", "network"], "additionalProperties": false, "properties": {
        "id": {"type": "integer", "readOnly": true}, "name": {"type": "string"}, "network": {"type": "string", "example": "198.18.0.0/24"},
        "gateway": {"type": "string"}, "dns": {"type": "array", "items": {"type": "string"}}, "domain": {"type": "string"},
        "next_server": {"type": "string"},
        "pool": {"type": "object", "properties": {"start": {"type": "string"}, "end": {"type": "string"}}},
        "default_image": {"type": "string", "description": "an image's name"},
        "default_image_id": {"type": "integer", "nullable": true, "readOnly": true},
        "options": {"$ref": "#/components/schemas/Options"},
        "created_at": {"type": "string", "readOnly": true}, "updated_at": {"type": "string", "readOnly": true}}},
      "Image": {"type": "object", "required": ["name", "kind", "boot_file"], "additionalProperties": false, "properties": {
        "id": {"type": "integer", "readOnly": true}, "name": {"type": "string"},
        "kind": {"type": "string", "enum": ["pxelinux", "ipxe", "kernel", "efi", "raw"]},
        "boot_file": {"type": "string", "description": "beneath the image root; for clients that name no architecture and for the kind's own (EFI x64 for efi, else BIOS)"},
        "boot_files": {"type": "object", "description": "per architecture: bios, efi-ia32, efi-x64, efi-arm64, http-x64 (a URL)", "additionalProperties": {"type": "string"}},
        "arch": {"type": "string"}, "kernel": {"type": "string"}, "initrd": {"type": "string"}, "cmdline": {"type": "string"},
        "root_path": {"type": "string"}, "options": {"$ref": "#/components/schemas/Options"},
        "size": {"type": "integer", "nullable": true, "readOnly": true}, "sha256": {"type": "string", "readOnly": true},
        "created_at": {"type": "string", "readOnly": true}, "updated_at": {"type": "string", "readOnly": true}}},
      "Machine": {"type": "object", "required": ["mac", "hostname", "ip"], "additionalProperties": false, "properties": {
        "id": {"type": "integer", "readOnly": true}, "mac": {"type": "string", "example": "52:54:00:12:34:56"},
        "hostname": {"type": "string"}, "ip": {"type": "string"}, "image": {"type": "string", "description": "an image's name"},
        "group": {"type": "string"}, "enabled": {"type": "boolean", "default": true},
        "options": {"$ref": "#/components/schemas/Options"}, "origin": {"type": "string", "enum": ["registered", "pool"]},
        "subnet": {"type": "string", "readOnly": true}, "subnet_id": {"type": "integer", "readOnly": true},
        "image_id": {"type": "integer", "nullable": true, "readOnly": true}, "last_seen": {"type": "string", "readOnly": true},
        "created_at": {"type": "string", "readOnly": true}, "updated_at": {"type": "string", "readOnly": true}}},
      "Discovered": {"type": "object", "properties": {
        "mac": {"type": "string"}, "first_seen": {"type": "string"}, "last_seen": {"type": "string"}, "count": {"type": "integer"},
        "relay": {"type": "string", "nullable": true}, "vendor_class": {"type": "string"},
        "client_arch": {"type": "integer", "nullable": true}, "hostname": {"type": "string"}}},
      "Event": {"type": "object", "properties": {
        "id": {"type": "integer"}, "at": {"type": "string"}, "kind": {"type": "string"},
        "mac": {"type": "string", "nullable": true}, "ip": {"type": "string", "nullable": true}, "detail": {"type": "object"}}},
      "ImportReport": {"type": "object", "properties": {
        "summary": {"type": "object"}, "rows": {"type": "array", "items": {"type": "object"}},
        "dry_run": {"type": "boolean"}, "written": {"type": "boolean"}}},
      "Preview": {"type": "object", "description": "the reply for a plain BOOTP client and for PXE firmware of each architecture (fields, options decoded and as hex, the packet as hex) and the TFTP files each would fetch"},
      "List": {"type": "object", "properties": {"items": {"type": "array", "items": {}}, "total": {"type": "integer"}}}
    }
  },
  "paths": {
    "/healthz": {"get": {"summary": "liveness and the inventory's generation", "security": [], "responses": {"200": {"description": "up"}}}},
    "/metrics": {"get": {"summary": "Prometheus text: BOOTP, TFTP and API counters", "responses": {"200": {"description": "text/plain; version=0.0.4"}, "401": {"$ref": "#/components/responses/Problem"}}}},
    "/api/v1/openapi.json": {"get": {"summary": "this document", "responses": {"200": {"description": "OpenAPI 3"}}}},
    "/api/v1/subnets": {
      "get": {"summary": "list subnets", "parameters": [{"$ref": "#/components/parameters/limit"}, {"$ref": "#/components/parameters/offset"}], "responses": {"200": {"description": "a page", "content": {"application/json": {"schema": {"$ref": "#/components/schemas/List"}}}}}},
      "post": {"summary": "create a subnet (admin)", "requestBody": {"required": true, "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Subnet"}}}}, "responses": {"201": {"description": "created"}, "400": {"$ref": "#/components/responses/Problem"}, "409": {"$ref": "#/components/responses/Problem"}}}},
    "/api/v1/subnets/{id}": {
      "parameters": [{"$ref": "#/components/parameters/id"}],
      "get": {"summary": "one subnet", "responses": {"200": {"description": "the subnet"}, "404": {"$ref": "#/components/responses/Problem"}}},
      "put": {"summary": "replace a subnet (admin)", "requestBody": {"required": true, "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Subnet"}}}}, "responses": {"200": {"description": "replaced"}, "400": {"$ref": "#/components/responses/Problem"}}},
      "patch": {"summary": "merge fields into a subnet (RFC 7396; admin)", "requestBody": {"required": true, "content": {"application/json": {"schema": {"type": "object"}}}}, "responses": {"200": {"description": "changed"}, "400": {"$ref": "#/components/responses/Problem"}}},
      "delete": {"summary": "delete a subnet (admin)", "responses": {"204": {"$ref": "#/components/responses/NoContent"}, "409": {"$ref": "#/components/responses/Problem"}}}},
    "/api/v1/subnets/{id}/free": {
      "parameters": [{"$ref": "#/components/parameters/id"}],
      "get": {"summary": "the lowest addresses a machine can be registered at (not the network, broadcast, gateway or next server, not in the pool, not taken), each with the host name the subnet's pattern gives it",
        "parameters": [{"$ref": "#/components/parameters/limit"}],
        "responses": {"200": {"description": "{items: [{ip, hostname}]}"}, "404": {"$ref": "#/components/responses/Problem"}}}},
    "/api/v1/images": {
      "get": {"summary": "list images", "parameters": [{"$ref": "#/components/parameters/limit"}, {"$ref": "#/components/parameters/offset"}], "responses": {"200": {"description": "a page", "content": {"application/json": {"schema": {"$ref": "#/components/schemas/List"}}}}}},
      "post": {"summary": "create an image (admin)", "requestBody": {"required": true, "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Image"}}}}, "responses": {"201": {"description": "created"}, "400": {"$ref": "#/components/responses/Problem"}, "409": {"$ref": "#/components/responses/Problem"}}}},
    "/api/v1/images/{id}": {
      "parameters": [{"$ref": "#/components/parameters/id"}],
      "get": {"summary": "one image", "responses": {"200": {"description": "the image"}, "404": {"$ref": "#/components/responses/Problem"}}},
      "put": {"summary": "replace an image (admin)", "requestBody": {"required": true, "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Image"}}}}, "responses": {"200": {"description": "replaced"}, "400": {"$ref": "#/components/responses/Problem"}}},
      "patch": {"summary": "merge fields into an image (RFC 7396; admin)", "requestBody": {"required": true, "content": {"application/json": {"schema": {"type": "object"}}}}, "responses": {"200": {"description": "changed"}, "400": {"$ref": "#/components/responses/Problem"}}},
      "delete": {"summary": "delete an image (admin)", "responses": {"204": {"$ref": "#/components/responses/NoContent"}, "409": {"$ref": "#/components/responses/Problem"}}}},
    "/api/v1/images/{id}/content": {
      "parameters": [{"$ref": "#/components/parameters/id"}],
      "put": {"summary": "upload one of the image's files; streamed to a temporary file, then renamed into place, so transfers already running finish with the old bytes (admin)",
        "parameters": [{"name": "part", "in": "query", "description": "boot_file (default), kernel, initrd, or an architecture of boot_files", "schema": {"type": "string"}}],
        "requestBody": {"required": true, "content": {"application/octet-stream": {"schema": {"type": "string", "format": "binary"}}}},
        "responses": {"200": {"description": "{image_id, part, path, size, sha256}"}, "400": {"$ref": "#/components/responses/Problem"}, "404": {"$ref": "#/components/responses/Problem"}}}},
    "/api/v1/machines": {
      "get": {"summary": "list machines", "parameters": [
        {"name": "q", "in": "query", "description": "text in MAC, host name, address or group", "schema": {"type": "string"}},
        {"name": "sort", "in": "query", "description": "id, mac, hostname, ip, group or last_seen; '-' first for descending", "schema": {"type": "string"}},
        {"$ref": "#/components/parameters/limit"}, {"$ref": "#/components/parameters/offset"}],
        "responses": {"200": {"description": "a page", "content": {"application/json": {"schema": {"$ref": "#/components/schemas/List"}}}}}},
      "post": {"summary": "register a machine (operator)", "requestBody": {"required": true, "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Machine"}}}}, "responses": {"201": {"description": "created"}, "400": {"$ref": "#/components/responses/Problem"}, "409": {"$ref": "#/components/responses/Problem"}}}},
    "/api/v1/machines/import": {
      "post": {"summary": "import machines from CSV, or the inventory document (or an array of machines) as JSON; all or nothing (operator)",
        "parameters": [{"name": "dry_run", "in": "query", "schema": {"type": "boolean"}}],
        "requestBody": {"required": true, "content": {"text/csv": {"schema": {"type": "string"}}, "application/json": {"schema": {"type": "object"}}}},
        "responses": {"200": {"description": "the report", "content": {"application/json": {"schema": {"$ref": "#/components/schemas/ImportReport"}}}}, "400": {"$ref": "#/components/responses/Problem"}, "409": {"$ref": "#/components/responses/Problem"}}}},
    "/api/v1/machines/{key}": {
      "parameters": [{"$ref": "#/components/parameters/key"}],
      "get": {"summary": "one machine", "responses": {"200": {"description": "the machine"}, "404": {"$ref": "#/components/responses/Problem"}}},
      "put": {"summary": "replace a machine (operator)", "requestBody": {"required": true, "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Machine"}}}}, "responses": {"200": {"description": "replaced"}, "400": {"$ref": "#/components/responses/Problem"}}},
      "patch": {"summary": "merge fields into a machine (RFC 7396; operator)", "requestBody": {"required": true, "content": {"application/json": {"schema": {"type": "object"}}}}, "responses": {"200": {"description": "changed"}, "400": {"$ref": "#/components/responses/Problem"}}},
      "delete": {"summary": "delete a machine (operator)", "responses": {"204": {"$ref": "#/components/responses/NoContent"}}}},
    "/api/v1/machines/{key}/preview": {
      "parameters": [{"$ref": "#/components/parameters/key"}],
      "get": {"summary": "what the BOOTP server would reply and which TFTP files the machine would fetch", "responses": {"200": {"description": "the preview", "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Preview"}}}}, "404": {"$ref": "#/components/responses/Problem"}}}},
    "/api/v1/discovered": {
      "get": {"summary": "machines that asked but are not registered", "parameters": [{"$ref": "#/components/parameters/limit"}, {"$ref": "#/components/parameters/offset"}], "responses": {"200": {"description": "a page of Discovered"}}}},
    "/api/v1/discovered/{mac}/register": {
      "parameters": [{"$ref": "#/components/parameters/mac"}],
      "post": {"summary": "register a discovered machine: a Machine without its MAC (operator)", "requestBody": {"required": true, "content": {"application/json": {"schema": {"type": "object"}}}}, "responses": {"201": {"description": "registered"}, "400": {"$ref": "#/components/responses/Problem"}, "409": {"$ref": "#/components/responses/Problem"}}}},
    "/api/v1/events": {
      "get": {"summary": "events, oldest first", "parameters": [
        {"name": "mac", "in": "query", "schema": {"type": "string"}},
        {"name": "since", "in": "query", "description": "ISO 8601 UTC; events after it", "schema": {"type": "string"}},
        {"name": "limit", "in": "query", "schema": {"type": "integer", "minimum": 1, "maximum": 10000, "default": 1000}}],
        "responses": {"200": {"description": "{\"items\": [Event]}"}}}},
    "/api/v1/tokens": {
      "get": {"summary": "list API tokens, never their secrets (admin)", "responses": {"200": {"description": "{items: [{id, name, role, created_at, last_used}], total}"}}},
      "post": {"summary": "create a token; the secret is in this answer only (admin)", "requestBody": {"required": true, "content": {"application/json": {"schema": {"type": "object", "required": ["name", "role"], "properties": {"name": {"type": "string"}, "role": {"type": "string", "enum": ["viewer", "operator", "admin"]}}}}}}, "responses": {"201": {"description": "{name, role, token}"}, "400": {"$ref": "#/components/responses/Problem"}, "409": {"$ref": "#/components/responses/Problem"}}}},
    "/api/v1/tokens/{id}": {
      "parameters": [{"$ref": "#/components/parameters/id"}],
      "delete": {"summary": "revoke a token (admin)", "responses": {"204": {"$ref": "#/components/responses/NoContent"}, "404": {"$ref": "#/components/responses/Problem"}}}},
    "/api/v1/events/stream": {
      "get": {"summary": "events as they happen (Server-Sent Events; data is an Event)", "parameters": [{"name": "mac", "in": "query", "schema": {"type": "string"}}], "responses": {"200": {"description": "text/event-stream"}}}}
  }
})json";
  return kDocument;
}

}  // namespace bk::api
