#include "db/errors.hpp"

namespace bk::db {
namespace {
std::string summarise(const FieldErrors& errors) {
  if (errors.empty()) return "rejected";
  std::string s = errors.front().message();
  if (errors.size() > 1) s += " (and " + std::to_string(errors.size() - 1) + " more)";
  return s;
}
}  // namespace

RuleViolation::RuleViolation(FieldErrors errors)
    : std::runtime_error(summarise(errors)), errors_(std::move(errors)) {}

}  // namespace bk::db
