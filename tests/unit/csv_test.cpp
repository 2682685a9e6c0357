#include <gtest/gtest.h>

#include "db/csv.hpp"

using bk::db::parse_csv;

TEST(Csv, QuotesLineEndsAndBlankLines) {
  std::string why;
  const auto r = parse_csv("a,b,c\r\n\"x,1\",\"say \"\"hi\"\"\",\n\n\"multi\nline\",2,3\nlast,,", why);
  ASSERT_TRUE(r) << why;
  ASSERT_EQ(r->size(), 4u);
  EXPECT_EQ((*r)[0].fields, (std::vector<std::string>{"a", "b", "c"}));
  EXPECT_EQ((*r)[1].fields, (std::vector<std::string>{"x,1", "say \"hi\"", ""}));
  EXPECT_EQ((*r)[1].line, 2);
  EXPECT_EQ((*r)[2].fields, (std::vector<std::string>{"multi\nline", "2", "3"}));
  EXPECT_EQ((*r)[2].line, 4);
  EXPECT_EQ((*r)[3].fields, (std::vector<std::string>{"last", "", ""}));
  EXPECT_EQ((*r)[3].line, 6);
}

TEST(Csv, UnclosedQuoteNamesItsLine) {
  std::string why;
  EXPECT_FALSE(parse_csv("a,b\n1,\"open\n2,3\n", why));
  EXPECT_NE(why.find("line 2"), std::string::npos);
}

TEST(Csv, EmptyInputHasNoRecords) {
  std::string why;
  EXPECT_TRUE(parse_csv("", why)->empty());
  EXPECT_TRUE(parse_csv("\n\r\n", why)->empty());
}
