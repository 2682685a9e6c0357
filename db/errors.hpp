#pragma once
#include <stdexcept>
#include <string>
#include <vector>

namespace bk::db {

// What a rule found wrong with one field. `kind` tells the API which status to answer.
struct FieldError {
  enum class Kind { invalid, conflict, not_found };
  std::string field;   // "machines[3].ip", "ip", "row 12: mac"
  std::string reason;  // "is already used by ws02 (52:54:00:12:34:57)"
  Kind kind = Kind::invalid;
  std::string message() const { return field + " " + reason; }
};
using FieldErrors = std::vector<FieldError>;

// A write refused by the inventory rules; nothing was written.
class RuleViolation : public std::runtime_error {
 public:
  explicit RuleViolation(FieldErrors errors);
  const FieldErrors& errors() const { return errors_; }

 private:
  FieldErrors errors_;
};

// The database itself is unusable: the message names the file, the problem and the fix.
class DbError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

}  // namespace bk::db
