#pragma once
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

#include "db/draft.hpp"

namespace bk::db {

// The inventory document (DESIGN.md): subnets, images and machines, referring to each other by
// name. Import, export, backups and the test lab all use it.

struct ImportRow {
  std::string where;   // "machines[3]" or "line 12"
  std::string kind;    // "subnet", "image", "machine"
  std::string key;     // name or MAC as given
  std::string action;  // "create", "update", "unchanged", "error"
  FieldErrors errors;
};

struct ImportReport {
  std::vector<ImportRow> rows;
  bool ok() const;
  std::size_t count(std::string_view action) const;
  // Every error, its field prefixed with the row ("line 12: ip").
  FieldErrors errors() const;
  nlohmann::ordered_json to_json() const;
};

// Applies every object of `doc` to the draft in the order images, subnets, machines (so that
// references resolve), creating or replacing by name (subnets, images) and MAC (machines). Each
// object is checked against the draft as it stands; the report has one row per object.
ImportReport import_document(Draft& draft, const nlohmann::json& doc);

// CSV of machines: a header naming columns from mac,hostname,ip,image,group,enabled (mac,
// hostname and ip required), then one machine per line.
ImportReport import_machines_csv(Draft& draft, std::string_view csv);

// The whole inventory as a document, in a stable order (subnets and images by name, machines by
// address), so that export -> import -> export gives the same bytes.
nlohmann::ordered_json export_document(const Snapshot& s);

// One object read from its document form, references resolved by name against `snap`; nothing
// is applied. Errors name fields without a prefix. The import rows and the REST API's bodies
// are both read here. An image keeps the content facts (size, sha256) of the image of its name.
Image read_image(const nlohmann::json& j, const Snapshot& snap, FieldErrors& errors);
Subnet read_subnet(const nlohmann::json& j, const Snapshot& snap, FieldErrors& errors);
Machine read_machine(const nlohmann::json& j, const Snapshot& snap, FieldErrors& errors);

// One object in document form; the API builds its representations from these.
nlohmann::ordered_json subnet_document(const Subnet& s, const Snapshot& snap);
nlohmann::ordered_json image_document(const Image& i);
nlohmann::ordered_json machine_document(const Machine& m, const Snapshot& snap);

}  // namespace bk::db
