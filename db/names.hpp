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

}  // namespace bk::db
