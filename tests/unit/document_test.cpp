// The inventory document and the CSV of machines: import, export, reports.
#include <gtest/gtest.h>

#include "db/document.hpp"
#include "db/inventory.hpp"
#include "lab.hpp"

using namespace bk::db;

namespace {

ImportReport import_into(Inventory& inv, const nlohmann::json& doc, bool dry_run = false) {
  ImportReport report;
  inv.write(
      [&](Draft& d) {
        report = import_document(d, doc);
        return report.errors();
      },
      dry_run);
  return report;
}

ImportReport import_csv(Inventory& inv, const std::string& csv, bool dry_run = false) {
  ImportReport report;
  inv.write(
      [&](Draft& d) {
        report = import_machines_csv(d, csv);
        return report.errors();
      },
      dry_run);
  return report;
}

// n machines in 198.18.0.0/15 (a /15 subnet), with MACs and addresses derived from the index.
std::string machines_csv(int n) {
  std::string csv = "mac,hostname,ip,image,group,enabled\n";
  for (int i = 0; i < n; ++i) {
    const auto mac = Mac::from_value(0x525400000000ull + static_cast<unsigned>(i));
    const Ipv4 ip(Ipv4::parse("198.18.0.10")->value() + static_cast<unsigned>(i));
    csv += mac.str() + ",ws" + std::to_string(i) + "," + ip.str() + ",lab-bios,room-" +
           std::to_string(i % 7) + ",true\n";
  }
  return csv;
}

nlohmann::json wide_lab() {
  auto doc = bk::test::lab_document();
  doc["subnets"][0]["network"] = "198.18.0.0/15";
  doc["subnets"][0]["pool"] = {{"start", "198.19.255.100"}, {"end", "198.19.255.199"}};
  doc["machines"] = nlohmann::json::array();
  return doc;
}

}  // namespace

TEST(Document, ExportImportExportIsByteIdentical) {
  bk::test::TempDir dir;
  std::string first;
  {
    Inventory inv(dir.file("a.db"));
    ASSERT_TRUE(import_into(inv, bk::test::lab_document()).ok());
    // A pool binding must survive the round trip too.
    inv.write([](Draft& d) {
      d.bind_pool(*Mac::parse("52:54:00:aa:00:01"), d.state().subnet_by_name("lab")->id);
      return FieldErrors{};
    });
    first = export_document(*inv.snapshot()).dump(2);
  }
  Inventory copy(dir.file("b.db"));
  const auto report = import_into(copy, nlohmann::json::parse(first));
  ASSERT_TRUE(report.ok()) << report.to_json().dump(2);
  EXPECT_EQ(export_document(*copy.snapshot()).dump(2), first);
  EXPECT_NE(first.find("\"origin\": \"pool\""), std::string::npos);
  // Importing the same document again changes nothing.
  const auto again = import_into(copy, nlohmann::json::parse(first));
  EXPECT_EQ(again.count("unchanged"), again.rows.size());
}

TEST(Document, ExportHasTheDesignedShape) {
  bk::test::TempDir dir;
  Inventory inv(dir.file("a.db"));
  ASSERT_TRUE(import_into(inv, bk::test::lab_document()).ok());
  const auto doc = export_document(*inv.snapshot());
  EXPECT_EQ(doc["machines"][0].dump(),
            R"({"mac":"52:54:00:12:34:56","hostname":"ws01","ip":"198.18.0.50","image":"lab-bios",)"
            R"("group":"room-a","enabled":true,"options":{"17":"/srv/nfs/ws01"}})");
  EXPECT_EQ(doc["subnets"][0]["default_image"], "lab-bios");
  EXPECT_EQ(doc["subnets"][0]["pool"]["end"], "198.18.0.199");
}

TEST(Document, UnknownFieldsAndSectionsAreRefusedByName) {
  bk::test::TempDir dir;
  Inventory inv(dir.file("a.db"));
  auto doc = bk::test::lab_document();
  doc["machines"][1]["colour"] = "blue";
  const auto report = import_into(inv, doc);
  ASSERT_FALSE(report.ok());
  const auto errors = report.errors();
  ASSERT_EQ(errors.size(), 1u);
  EXPECT_EQ(errors[0].field, "machines[1]: colour");
  EXPECT_NE(errors[0].reason.find("not a known field"), std::string::npos);
  EXPECT_EQ(inv.snapshot()->machines().size(), 0u);  // nothing, not even the images
  EXPECT_FALSE(import_into(inv, nlohmann::json{{"hosts", nlohmann::json::array()}}).ok());
}

TEST(Document, BadValuesAreNamedWithTheirRow) {
  bk::test::TempDir dir;
  Inventory inv(dir.file("a.db"));
  auto doc = bk::test::lab_document();
  doc["machines"][0]["mac"] = "52:54:00:12:34";
  doc["machines"][1]["image"] = "missing";
  doc["subnets"][0]["network"] = "198.18.0.1/24";
  const auto errors = import_into(inv, doc).errors();
  const auto find = [&](const std::string& field) {
    for (const auto& e : errors) {
      if (e.field == field) return e.reason;
    }
    return std::string("(none)");
  };
  EXPECT_NE(find("machines[0]: mac").find("is not a MAC address"), std::string::npos);
  EXPECT_NE(find("machines[1]: image").find("names no image"), std::string::npos);
  EXPECT_NE(find("subnets[0]: network").find("did you mean 198.18.0.0/24"), std::string::npos);
}

TEST(Document, TenThousandRowsWithOneBadRowWriteNothing) {
  bk::test::TempDir dir;
  Inventory inv(dir.file("a.db"));
  ASSERT_TRUE(import_into(inv, wide_lab()).ok());
  std::string csv = machines_csv(10'000);
  // Row 9,999 of the data (line 10,000 of the file): a broken address.
  const auto line_start = [&](int line) {
    std::size_t pos = 0;
    for (int l = 1; l < line; ++l)
      pos = csv.find('\n', pos) + 1;
    return pos;
  };
  const std::size_t at = line_start(10'000);
  const std::size_t comma = csv.find(',', csv.find(',', at) + 1);
  csv.replace(comma + 1, csv.find(',', comma + 1) - comma - 1, "198.18.300.1");
  const auto report = import_csv(inv, csv);
  ASSERT_EQ(report.count("error"), 1u);
  const auto errors = report.errors();
  EXPECT_EQ(errors[0].field, "line 10000: ip");
  EXPECT_EQ(inv.snapshot()->machines().size(), 0u);
  EXPECT_EQ(Inventory(dir.file("a.db")).snapshot()->machines().size(), 0u);
}

TEST(Document, TenThousandRowsImportAndDryRunReportsEachRow) {
  bk::test::TempDir dir;
  Inventory inv(dir.file("a.db"));
  ASSERT_TRUE(import_into(inv, wide_lab()).ok());
  const std::string csv = machines_csv(10'000);
  const auto dry = import_csv(inv, csv, true);
  EXPECT_EQ(dry.count("create"), 10'000u);
  EXPECT_EQ(inv.snapshot()->machines().size(), 0u);
  const auto t0 = std::chrono::steady_clock::now();
  const auto real = import_csv(inv, csv);
  const auto ms =
      std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now() - t0);
  EXPECT_TRUE(real.ok());
  EXPECT_EQ(inv.snapshot()->machines().size(), 10'000u);
  EXPECT_EQ(Inventory(dir.file("a.db")).snapshot()->machines().size(), 10'000u);
  std::cout << "[          ] 10,000-row CSV import: " << ms.count() << " ms\n";
  // The second time every row is unchanged.
  EXPECT_EQ(import_csv(inv, csv, true).count("unchanged"), 10'000u);
}

TEST(Document, CsvHeaderAndRowProblems) {
  bk::test::TempDir dir;
  Inventory inv(dir.file("a.db"));
  ASSERT_TRUE(import_into(inv, bk::test::lab_document()).ok());
  EXPECT_NE(import_csv(inv, "mac,hostname\n52:54:00:00:00:01,x\n").errors()[0].reason.find("\"ip\""),
            std::string::npos);
  EXPECT_NE(import_csv(inv, "mac,hostname,ip,color\n").errors()[0].reason.find("unknown column"),
            std::string::npos);
  const auto r = import_csv(inv,
                            "hostname,ip,mac,enabled\n"
                            "ws10,198.18.0.60,5254.0000.0010,no\n"
                            "ws11,198.18.0.61,52:54:00:00:00:11,maybe\n"
                            "ws12,198.18.0.62\n");
  ASSERT_EQ(r.rows.size(), 3u);
  EXPECT_EQ(r.rows[0].action, "create");
  EXPECT_EQ(r.rows[1].errors[0].field, "enabled");
  EXPECT_EQ(r.rows[2].errors[0].field, "(row)");
  EXPECT_EQ(inv.snapshot()->machines().size(), 2u);
}

TEST(Document, CsvAcceptsAnyMacFormAndStoresItCanonically) {
  bk::test::TempDir dir;
  Inventory inv(dir.file("a.db"));
  ASSERT_TRUE(import_into(inv, bk::test::lab_document()).ok());
  ASSERT_TRUE(import_csv(inv, "mac,hostname,ip\n5254.00AB.CDEF,ws20,198.18.0.70\n").ok());
  EXPECT_NE(inv.snapshot()->machine_by_mac(*Mac::parse("52:54:00:ab:cd:ef")), nullptr);
}

TEST(Document, CsvKeepsWhatItHasNoColumnFor) {
  bk::test::TempDir dir;
  Inventory inv(dir.file("a.db"));
  ASSERT_TRUE(import_into(inv, bk::test::lab_document()).ok());
  // ws01 has options and an image; the file only renames it.
  const auto r = import_csv(inv, "mac,hostname,ip\n52:54:00:12:34:56,ws01b,198.18.0.50\n");
  ASSERT_TRUE(r.ok()) << r.to_json().dump();
  EXPECT_EQ(r.rows[0].action, "update");
  const Machine* m = inv.snapshot()->machine_by_mac(*Mac::parse("52:54:00:12:34:56"));
  EXPECT_EQ(m->hostname, "ws01b");
  EXPECT_EQ(m->options.count(17), 1u);
  EXPECT_TRUE(m->image_id.has_value());
  EXPECT_EQ(m->group, "room-a");
}

TEST(Document, TextThatIsNotUtf8IsRefusedAndReportsStayPrintable) {
  bk::test::TempDir dir;
  Inventory inv(dir.file("a.db"));
  ASSERT_TRUE(import_into(inv, bk::test::lab_document()).ok());
  // A Latin-1 file, as some spreadsheets save it.
  const auto r = import_csv(inv,
                            "mac,hostname,ip,group\n52:54:00:00:00:60,ws03,198.18.0.60,salle \xe9tabli\n"
                            "52:54:00:00:00:6\xe9,ws04,198.18.0.61,room\n");
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.errors()[0].field, "line 2: group");
  EXPECT_NE(r.errors()[0].reason.find("UTF-8"), std::string::npos);
  EXPECT_NO_THROW((void)r.to_json().dump());  // the MAC's bad byte is quoted as '?'
  EXPECT_NE(r.to_json().dump().find("52:54:00:00:00:6?"), std::string::npos);
  EXPECT_NO_THROW((void)export_document(*inv.snapshot()).dump());
  // The same text in UTF-8 is fine.
  EXPECT_TRUE(
      import_csv(inv, "mac,hostname,ip,group\n52:54:00:00:00:60,ws03,198.18.0.60,salle \xc3\xa9tabli\n")
          .ok());
}

TEST(Document, BootFilesPerArchitectureRoundTrip) {
  bk::test::TempDir dir;
  auto doc = bk::test::lab_document();
  doc["images"][0]["boot_files"] = {{"efi-x64", "efi/ipxe.efi"}, {"http-x64", "https://198.18.0.1/x.efi"}};
  std::string first;
  {
    Inventory inv(dir.file("a.db"));
    ASSERT_TRUE(import_into(inv, doc).ok());
    first = export_document(*inv.snapshot()).dump();
  }
  EXPECT_NE(first.find(R"("boot_files":{"efi-x64":"efi/ipxe.efi","http-x64":"https://198.18.0.1/x.efi"})"),
            std::string::npos)
      << first;
  Inventory reopened(dir.file("a.db"));
  EXPECT_EQ(export_document(*reopened.snapshot()).dump(), first);
  const Image* img = reopened.snapshot()->image_by_name("lab-bios");
  ASSERT_NE(img, nullptr);
  EXPECT_EQ(img->boot_files.at(ClientArch::efi_x64), "efi/ipxe.efi");
}

TEST(Document, BadBootFilesAreNamedByArchitecture) {
  bk::test::TempDir dir;
  Inventory inv(dir.file("a.db"));
  auto doc = bk::test::lab_document();
  doc["images"][0]["boot_files"] = {{"efi-x86", "a.efi"},
                                    {"efi-x64", "../outside.efi"},
                                    {"efi-arm64", 7},
                                    {"http-x64", "tftp://198.18.0.1/x.efi"}};
  const auto errors = import_into(inv, doc).errors();
  std::map<std::string, std::string> by_field;
  for (const auto& e : errors)
    by_field[e.field] = e.reason;
  EXPECT_NE(by_field["images[0]: boot_files.efi-x86"].find("use bios, efi-ia32, efi-x64"), std::string::npos);
  EXPECT_NE(by_field["images[0]: boot_files.efi-arm64"].find("must be a string"), std::string::npos);
  // The shape errors stop the row before the path rules; fix them and the paths are checked.
  doc["images"][0]["boot_files"] = {{"efi-x64", "../outside.efi"}, {"http-x64", "tftp://198.18.0.1/x.efi"}};
  by_field.clear();
  for (const auto& e : import_into(inv, doc).errors())
    by_field[e.field] = e.reason;
  EXPECT_TRUE(by_field.contains("images[0]: boot_files.efi-x64")) << by_field.size();
  EXPECT_NE(by_field["images[0]: boot_files.http-x64"].find("http:// or https:// URL"), std::string::npos);
  EXPECT_EQ(inv.snapshot()->images().size(), 0u);
}

TEST(Image, BootFileForEachArchitecture) {
  Image pxe;
  pxe.kind = ImageKind::pxelinux;
  pxe.boot_file = "pxelinux.0";
  pxe.boot_files[ClientArch::efi_x64] = "efi/ipxe.efi";
  const auto file = [](const Image& i, std::optional<std::uint16_t> code) {
    const std::string* f = boot_file_for(i, code);
    return f != nullptr ? *f : std::string("(none)");
  };
  EXPECT_EQ(file(pxe, std::nullopt), "pxelinux.0");
  EXPECT_EQ(file(pxe, 0), "pxelinux.0");
  EXPECT_EQ(file(pxe, 7), "efi/ipxe.efi");
  EXPECT_EQ(file(pxe, 9), "efi/ipxe.efi");
  EXPECT_EQ(file(pxe, 6), "(none)");
  EXPECT_EQ(file(pxe, 10), "(none)");  // ARM32 EFI: no key can name it
  pxe.boot_files[ClientArch::bios] = "bios/lpxelinux.0";
  EXPECT_EQ(file(pxe, 0), "bios/lpxelinux.0");
  EXPECT_EQ(file(pxe, std::nullopt), "pxelinux.0");

  Image efi;
  efi.kind = ImageKind::efi;
  efi.boot_file = "efi/bootx64.efi";
  EXPECT_EQ(file(efi, 7), "efi/bootx64.efi");
  EXPECT_EQ(file(efi, 0), "(none)");
  EXPECT_EQ(file(efi, std::nullopt), "efi/bootx64.efi");
  for (const auto a : {ClientArch::bios, ClientArch::efi_ia32, ClientArch::efi_x64, ClientArch::efi_arm64,
                       ClientArch::http_x64}) {
    EXPECT_EQ(parse_client_arch(to_string(a)), a);
  }
}
