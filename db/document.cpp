#include "db/document.hpp"

#include <algorithm>
#include <array>

#include "db/csv.hpp"
#include "db/json_reader.hpp"
#include "db/names.hpp"
#include "db/options_json.hpp"

namespace bk::db {
namespace {

using K = FieldError::Kind;

// The fields of each object's document form: what import, export and the API read and write.
constexpr std::array<std::string_view, 10> kImageFields{
    "name", "kind", "boot_file", "boot_files", "arch", "kernel", "initrd", "cmdline", "root_path", "options"};
constexpr std::array<std::string_view, 9> kSubnetFields{
    "name", "network", "gateway", "dns", "domain", "next_server", "pool", "default_image", "options"};
constexpr std::array<std::string_view, 8> kMachineFields{"mac",   "hostname", "ip",      "image",
                                                         "group", "enabled",  "options", "origin"};

void set_if(nlohmann::ordered_json& j, const char* key, const std::string& v) {
  if (!v.empty()) j[key] = v;
}

// Resolves an image name to its id; an unknown name is an error naming `field`.
std::optional<Id> image_ref(const Snapshot& snap, const std::optional<std::string>& name,
                            std::string_view field, FieldErrors& errors) {
  if (!name) return std::nullopt;
  if (const Image* i = snap.image_by_name(*name)) return i->id;
  errors.push_back({std::string(field), "names no image: " + excerpt(*name) + " (import or create it first)",
                    K::not_found});
  return std::nullopt;
}

// Applies one parsed object: create when new, replace when its key exists; "unchanged" when the
// document form is the same as before.
template <typename Entity, typename Put, typename Render>
void apply_row(ImportRow& row, Entity& e, const Entity* existing, FieldErrors&& parse_errors, Put put,
               Render render) {
  row.errors = std::move(parse_errors);
  if (!row.errors.empty()) {
    row.action = "error";
    return;
  }
  const nlohmann::ordered_json before = existing ? render(*existing) : nlohmann::ordered_json();
  if (existing) e.id = existing->id;
  row.errors = put(e);
  if (!row.errors.empty()) {
    row.action = "error";
  } else if (!existing) {
    row.action = "create";
  } else {
    row.action = before == render(e) ? "unchanged" : "update";
  }
}

Image read_image_fields(const nlohmann::json& j, FieldErrors& errors) {
  JsonReader r(j, kImageFields, errors);
  Image i;
  i.name = r.text("name", true).value_or("");
  if (const auto kind = r.text("kind", true)) {
    if (const auto k = parse_image_kind(*kind)) {
      i.kind = *k;
    } else {
      errors.push_back({"kind", "must be one of pxelinux, ipxe, kernel, efi, raw"});
    }
  }
  i.boot_file = r.text("boot_file", true).value_or("");
  i.boot_files = r.boot_files("boot_files").value_or(std::map<ClientArch, std::string>{});
  i.arch = r.text("arch").value_or("");
  i.kernel = r.text("kernel").value_or("");
  i.initrd = r.text("initrd").value_or("");
  i.cmdline = r.text("cmdline").value_or("");
  i.root_path = r.text("root_path").value_or("");
  i.options = r.options("options").value_or(Options{});
  return i;
}

void import_image(Draft& d, const nlohmann::json& j, ImportRow& row) {
  FieldErrors errors;
  Image i = read_image(j, d.state(), errors);
  row.key = i.name;
  const Image* existing = d.state().image_by_name(i.name);
  apply_row(
      row, i, existing, std::move(errors), [&](Image& x) { return d.put_image(x); },
      [](const Image& x) { return image_document(x); });
}

void import_subnet(Draft& d, const nlohmann::json& j, ImportRow& row) {
  FieldErrors errors;
  Subnet s = read_subnet(j, d.state(), errors);
  row.key = s.name;
  const Subnet* existing = d.state().subnet_by_name(s.name);
  const Snapshot& snap = d.state();
  apply_row(
      row, s, existing, std::move(errors), [&](Subnet& x) { return d.put_subnet(x); },
      [&](const Subnet& x) { return subnet_document(x, snap); });
}

// One machine from its parsed fields; the JSON and CSV paths meet here.
Machine read_machine_fields(JsonReader& r, const Snapshot& snap, FieldErrors& errors,
                            std::optional<Mac>* mac_out = nullptr) {
  Machine m;
  const auto mac = r.mac("mac", true);
  if (mac) m.mac = *mac;
  if (mac_out != nullptr) *mac_out = mac;
  m.hostname = r.text("hostname", true).value_or("");
  m.ip = r.ipv4("ip", true).value_or(Ipv4{});
  m.image_id = image_ref(snap, r.text("image"), "image", errors);
  m.group = r.text("group").value_or("");
  m.enabled = r.boolean("enabled").value_or(true);
  m.options = r.options("options").value_or(Options{});
  if (const auto origin = r.text("origin")) {
    if (const auto o = parse_origin(*origin)) {
      m.origin = *o;
    } else {
      errors.push_back({"origin", "must be registered or pool"});
    }
  }
  return m;
}

void import_machine(Draft& d, JsonReader& r, FieldErrors&& errors, ImportRow& row) {
  std::optional<Mac> mac;
  Machine m = read_machine_fields(r, d.state(), errors, &mac);
  row.key = mac ? mac->str() : excerpt(r.text("mac").value_or(""));
  const Machine* existing = mac ? d.state().machine_by_mac(*mac) : nullptr;
  const Snapshot& snap = d.state();
  apply_row(
      row, m, existing, std::move(errors), [&](Machine& x) { return d.put_machine(x); },
      [&](const Machine& x) { return machine_document(x, snap); });
}

}  // namespace

Image read_image(const nlohmann::json& j, const Snapshot& snap, FieldErrors& errors) {
  Image i = read_image_fields(j, errors);
  if (const Image* existing = snap.image_by_name(i.name)) {
    i.size = existing->size;  // content facts are not part of the document
    i.sha256 = existing->sha256;
  }
  return i;
}

Subnet read_subnet(const nlohmann::json& j, const Snapshot& snap, FieldErrors& errors) {
  JsonReader r(j, kSubnetFields, errors);
  Subnet s;
  s.name = r.text("name", true).value_or("");
  s.network = r.cidr("network", true).value_or(Cidr{});
  s.gateway = r.ipv4("gateway");
  s.dns = r.ipv4_list("dns").value_or(std::vector<Ipv4>{});
  s.domain = r.text("domain").value_or("");
  s.next_server = r.ipv4("next_server");
  s.pool = r.pool("pool");
  s.default_image_id = image_ref(snap, r.text("default_image"), "default_image", errors);
  s.options = r.options("options").value_or(Options{});
  return s;
}

Machine read_machine(const nlohmann::json& j, const Snapshot& snap, FieldErrors& errors) {
  JsonReader r(j, kMachineFields, errors);
  return read_machine_fields(r, snap, errors);
}

bool ImportReport::ok() const {
  return count("error") == 0;
}

std::size_t ImportReport::count(std::string_view action) const {
  return static_cast<std::size_t>(
      std::count_if(rows.begin(), rows.end(), [&](const ImportRow& r) { return r.action == action; }));
}

FieldErrors ImportReport::errors() const {
  FieldErrors out;
  for (const auto& row : rows) {
    for (const auto& e : row.errors)
      out.push_back({row.where + ": " + e.field, e.reason, e.kind});
  }
  return out;
}

nlohmann::ordered_json ImportReport::to_json() const {
  nlohmann::ordered_json j;
  for (const char* a : {"create", "update", "unchanged", "error"})
    j["summary"][a] = count(a);
  j["rows"] = nlohmann::ordered_json::array();
  for (const auto& row : rows) {
    nlohmann::ordered_json r{
        {"where", row.where}, {"kind", row.kind}, {"key", row.key}, {"action", row.action}};
    if (!row.errors.empty()) {
      r["errors"] = nlohmann::ordered_json::array();
      for (const auto& e : row.errors)
        r["errors"].push_back({{"field", e.field}, {"reason", e.reason}});
    }
    j["rows"].push_back(std::move(r));
  }
  return j;
}

ImportReport import_document(Draft& d, const nlohmann::json& doc) {
  ImportReport report;
  if (!doc.is_object()) {
    report.rows.push_back({"document",
                           "document",
                           "",
                           "error",
                           {{"(document)", "must be a JSON object with subnets, images and machines"}}});
    return report;
  }
  for (const auto& [key, value] : doc.items()) {
    if (key != "subnets" && key != "images" && key != "machines") {
      report.rows.push_back({"document",
                             "document",
                             key,
                             "error",
                             {{key, "is not a known section (known: subnets, images, machines)"}}});
    } else if (!value.is_array()) {
      report.rows.push_back({key, "document", key, "error", {{key, "must be an array"}}});
    }
  }
  if (!report.ok()) return report;
  const auto section = [&](const char* name, const char* kind, auto&& apply) {
    if (!doc.contains(name)) return;
    const auto& items = doc[name];
    for (std::size_t i = 0; i < items.size(); ++i) {
      ImportRow row{std::string(name) + "[" + std::to_string(i) + "]", kind, "", "", {}};
      apply(items[i], row);
      report.rows.push_back(std::move(row));
    }
  };
  section("images", "image", [&](const nlohmann::json& j, ImportRow& row) { import_image(d, j, row); });
  section("subnets", "subnet", [&](const nlohmann::json& j, ImportRow& row) { import_subnet(d, j, row); });
  section("machines", "machine", [&](const nlohmann::json& j, ImportRow& row) {
    FieldErrors errors;
    JsonReader r(j, kMachineFields, errors);
    import_machine(d, r, std::move(errors), row);
  });
  return report;
}

ImportReport import_machines_csv(Draft& d, std::string_view csv) {
  ImportReport report;
  std::string why;
  const auto records = parse_csv(csv, why);
  if (!records) {
    report.rows.push_back({"csv", "machine", "", "error", {{"(file)", why}}});
    return report;
  }
  if (records->empty()) {
    report.rows.push_back({"line 1",
                           "machine",
                           "",
                           "error",
                           {{"(header)",
                             "is missing: the first line must name the columns, e.g. "
                             "mac,hostname,ip,image,group,enabled"}}});
    return report;
  }
  static constexpr std::array<std::string_view, 6> kColumns{"mac",   "hostname", "ip",
                                                            "image", "group",    "enabled"};
  const auto& header = records->front().fields;
  FieldErrors header_errors;
  for (const auto& col : header) {
    if (std::find(kColumns.begin(), kColumns.end(), col) == kColumns.end()) {
      header_errors.push_back({"(header)", "has an unknown column " + excerpt(col) +
                                               " (known: mac, hostname, ip, image, group, enabled)"});
    }
  }
  for (const auto required : {"mac", "hostname", "ip"}) {
    if (std::find(header.begin(), header.end(), required) == header.end()) {
      header_errors.push_back({"(header)", "lacks the required column \"" + std::string(required) + "\""});
    }
  }
  if (!header_errors.empty()) {
    report.rows.push_back(
        {"line " + std::to_string(records->front().line), "machine", "", "error", std::move(header_errors)});
    return report;
  }
  for (std::size_t i = 1; i < records->size(); ++i) {
    const auto& rec = (*records)[i];
    ImportRow row{"line " + std::to_string(rec.line), "machine", "", "", {}};
    FieldErrors errors;
    if (rec.fields.size() != header.size()) {
      errors.push_back({"(row)", "has " + std::to_string(rec.fields.size()) + " fields; the header has " +
                                     std::to_string(header.size())});
    }
    // Each row becomes the JSON object the document would hold, so one path checks both. A
    // machine already registered keeps what the file has no column for (options, origin...).
    nlohmann::json obj = nlohmann::json::object();
    const auto mac_col = std::find(header.begin(), header.end(), "mac") - header.begin();
    if (static_cast<std::size_t>(mac_col) < rec.fields.size()) {
      if (const auto mac = Mac::parse(rec.fields[static_cast<std::size_t>(mac_col)])) {
        if (const Machine* existing = d.state().machine_by_mac(*mac)) {
          obj = nlohmann::json::parse(machine_document(*existing, d.state()).dump());
          for (const auto& col : header)
            obj.erase(col);
        }
      }
    }
    for (std::size_t c = 0; c < header.size() && c < rec.fields.size(); ++c) {
      std::string value = rec.fields[c];
      if (value.empty() && header[c] != "mac" && header[c] != "hostname" && header[c] != "ip") continue;
      if (header[c] == "enabled") {
        std::string v = value;
        std::transform(v.begin(), v.end(), v.begin(), [](unsigned char ch) { return std::tolower(ch); });
        if (v == "true" || v == "yes" || v == "1") {
          obj["enabled"] = true;
        } else if (v == "false" || v == "no" || v == "0") {
          obj["enabled"] = false;
        } else {
          errors.push_back({"enabled", "must be true or false (or yes/no, 1/0)"});
        }
      } else {
        obj[header[c]] = value;
      }
    }
    JsonReader r(obj, kMachineFields, errors);
    import_machine(d, r, std::move(errors), row);
    report.rows.push_back(std::move(row));
  }
  return report;
}

nlohmann::ordered_json subnet_document(const Subnet& s, const Snapshot& snap) {
  nlohmann::ordered_json j;
  j["name"] = s.name;
  j["network"] = s.network.str();
  if (s.gateway) j["gateway"] = s.gateway->str();
  if (!s.dns.empty()) {
    j["dns"] = nlohmann::ordered_json::array();
    for (const auto& a : s.dns)
      j["dns"].push_back(a.str());
  }
  set_if(j, "domain", s.domain);
  if (s.next_server) j["next_server"] = s.next_server->str();
  if (s.pool) j["pool"] = {{"start", s.pool->start.str()}, {"end", s.pool->end.str()}};
  if (s.default_image_id) {
    if (const Image* i = snap.image(*s.default_image_id)) j["default_image"] = i->name;
  }
  if (!s.options.empty()) j["options"] = options_to_json(s.options);
  return j;
}

nlohmann::ordered_json image_document(const Image& i) {
  nlohmann::ordered_json j;
  j["name"] = i.name;
  j["kind"] = std::string(to_string(i.kind));
  j["boot_file"] = i.boot_file;
  if (!i.boot_files.empty()) j["boot_files"] = boot_files_to_json(i.boot_files);
  set_if(j, "arch", i.arch);
  set_if(j, "kernel", i.kernel);
  set_if(j, "initrd", i.initrd);
  set_if(j, "cmdline", i.cmdline);
  set_if(j, "root_path", i.root_path);
  if (!i.options.empty()) j["options"] = options_to_json(i.options);
  return j;
}

nlohmann::ordered_json machine_document(const Machine& m, const Snapshot& snap) {
  nlohmann::ordered_json j;
  j["mac"] = m.mac.str();
  j["hostname"] = m.hostname;
  j["ip"] = m.ip.str();
  if (m.image_id) {
    if (const Image* i = snap.image(*m.image_id)) j["image"] = i->name;
  }
  set_if(j, "group", m.group);
  j["enabled"] = m.enabled;
  if (!m.options.empty()) j["options"] = options_to_json(m.options);
  if (m.origin != Origin::registered) j["origin"] = std::string(to_string(m.origin));
  return j;
}

nlohmann::ordered_json export_document(const Snapshot& s) {
  nlohmann::ordered_json doc;
  std::vector<const Subnet*> subnets;
  for (const auto& [id, n] : s.subnets())
    subnets.push_back(&n);
  std::sort(subnets.begin(), subnets.end(), [](auto* a, auto* b) { return a->name < b->name; });
  std::vector<const Image*> images;
  for (const auto& [id, i] : s.images())
    images.push_back(&i);
  std::sort(images.begin(), images.end(), [](auto* a, auto* b) { return a->name < b->name; });
  std::vector<const Machine*> machines;
  machines.reserve(s.machines().size());
  for (const auto& [mac, m] : s.machines())
    machines.push_back(&m);
  std::sort(machines.begin(), machines.end(), [](auto* a, auto* b) { return a->ip < b->ip; });

  doc["subnets"] = nlohmann::ordered_json::array();
  for (const auto* n : subnets)
    doc["subnets"].push_back(subnet_document(*n, s));
  doc["images"] = nlohmann::ordered_json::array();
  for (const auto* i : images)
    doc["images"].push_back(image_document(*i));
  doc["machines"] = nlohmann::ordered_json::array();
  for (const auto* m : machines)
    doc["machines"].push_back(machine_document(*m, s));
  return doc;
}

}  // namespace bk::db
