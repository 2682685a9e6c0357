#pragma once
#include <optional>
#include <string>
#include <string_view>

namespace bk::db {

// RFC 1123 host name: dot-separated labels of 1-63 letters, digits and '-', not starting or
// ending with '-', 253 characters at most.
bool is_valid_hostname(std::string_view name);

// A path that must stay beneath a root (an image's boot file, kernel, initrd): relative, '/'
// separated, no '.', '..' or empty components, no backslash and no control characters.
// Returns the reason it is refused, or nullopt when it is fine.
std::optional<std::string> relative_path_problem(std::string_view path);

// Strict UTF-8 (RFC 3629: no overlong forms, no surrogates), as JSON output needs it.
bool is_valid_utf8(std::string_view s);

// Valid UTF-8 with no control characters: what every free-text field of the inventory must be,
// so that anything stored can be exported and served as JSON.
bool is_printable_text(std::string_view s);

// Up to `max` characters of untrusted text for an error message, quoted, with control
// characters and bytes that are not valid UTF-8 shown as '?'.
std::string excerpt(std::string_view s, std::size_t max = 40);

}  // namespace bk::db
