#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include "db/option_table.hpp"
#include "db/options_json.hpp"

using namespace bk::db;
using nlohmann::json;

TEST(OptionTable, CodesAndNamesAreUniqueAndResolve) {
  std::set<int> codes;
  std::set<std::string_view> names;
  for (const auto& d : option_table()) {
    EXPECT_TRUE(codes.insert(d.code).second) << int(d.code);
    EXPECT_TRUE(names.insert(d.name).second) << d.name;
    EXPECT_EQ(find_option(d.name), &d);
    EXPECT_EQ(find_option(d.code), &d);
  }
  std::string why;
  EXPECT_EQ(option_code("root-path", why), 17);
  EXPECT_EQ(option_code("17", why), 17);
  EXPECT_FALSE(option_code("0", why));
  EXPECT_FALSE(option_code("255", why));
  EXPECT_FALSE(option_code("no-such-option", why));
  EXPECT_NE(why.find("not an option"), std::string::npos);
}

TEST(OptionTable, EncodesEachTypeAndDecodesToTheCanonicalForm) {
  std::string why;
  const auto check = [&](int code, const json& in, std::vector<std::uint8_t> wire, const json& canonical) {
    const auto bytes = encode_option_value(static_cast<std::uint8_t>(code), in, why);
    ASSERT_TRUE(bytes) << code << " " << why;
    EXPECT_EQ(*bytes, wire) << code;
    EXPECT_EQ(decode_option_value(static_cast<std::uint8_t>(code), *bytes), canonical) << code;
  };
  check(1, "255.255.255.0", {255, 255, 255, 0}, "255.255.255.0");
  check(6, "198.18.0.1, 198.18.0.2", {198, 18, 0, 1, 198, 18, 0, 2},
        json::array({"198.18.0.1", "198.18.0.2"}));
  check(3, json::array({"198.18.0.1"}), {198, 18, 0, 1}, json::array({"198.18.0.1"}));
  check(17, "/srv/nfs/ws01", {'/', 's', 'r', 'v', '/', 'n', 'f', 's', '/', 'w', 's', '0', '1'},
        "/srv/nfs/ws01");
  check(2, -3600, {0xff, 0xff, 0xf1, 0xf0}, -3600);
  check(26, "1500", {0x05, 0xdc}, 1500);
  check(19, true, {1}, true);
  check(19, "0", {0}, false);  // as bootptab writes it
  check(23, 64, {64}, 64);
  check(43, "0x0601 08", {0x06, 0x01, 0x08}, "0x060108");
  check(150, "0xc6130402", {198, 19, 4, 2}, json::array({"198.19.4.2"}));  // bootptab's hex form
  check(224, "0xdeadbeef", {0xde, 0xad, 0xbe, 0xef}, "0xdeadbeef");        // not in the table: bytes
}

TEST(OptionTable, RefusesValuesThatDoNotFit) {
  std::string why;
  for (const auto& [code, value] : std::vector<std::pair<int, json>>{{1, "255.255.255"},
                                                                     {1, 24},
                                                                     {3, ""},
                                                                     {21, "198.18.0.1"},
                                                                     {23, 256},
                                                                     {26, -1},
                                                                     {26, "15x"},
                                                                     {19, "yes"},
                                                                     {17, ""},
                                                                     {17, "bad\nline"},
                                                                     {17, std::string(256, 'x')},
                                                                     {43, "0x123"},
                                                                     {43, "zz"},
                                                                     {53, 1},
                                                                     {51, 3600},
                                                                     {2, 2147483648LL}}) {
    EXPECT_FALSE(encode_option_value(static_cast<std::uint8_t>(code), value, why)) << code << " " << value;
    EXPECT_FALSE(why.empty());
  }
  EXPECT_FALSE(encode_option_value(51, 3600, why));
  EXPECT_NE(why.find("set by the server"), std::string::npos);
}

TEST(OptionsJson, AcceptsNamesAndPrintsCodes) {
  FieldErrors errors;
  const auto o = options_from_json(json{{"root-path", "/srv/root"}, {"3", "198.18.0.1"}}, "options", errors);
  ASSERT_TRUE(errors.empty());
  EXPECT_EQ(options_to_json(o).dump(), R"({"3":["198.18.0.1"],"17":"/srv/root"})");
  options_from_json(json{{"17", "/a"}, {"root-path", "/b"}, {"bogus", 1}, {"1", "x"}}, "options", errors);
  ASSERT_EQ(errors.size(), 3u);
  std::set<std::string> fields;
  for (const auto& e : errors)
    fields.insert(e.field);
  EXPECT_EQ(fields, (std::set<std::string>{"options.1", "options.bogus", "options.root-path"}));
}
