// Fuzz target: the TFTP codec, option negotiation and file-name normalisation on raw datagrams,
// the first code that sees bytes from port 69. Whatever decode accepts must come back unchanged
// through encode -> decode; what negotiate agrees must be inside the RFC ranges and our limits;
// a normalised name must never be able to climb out of the image root.
#include <cstddef>
#include <cstdint>
#include <span>
#include <vector>

#include "fuzz_check.hpp"
#include "tftpd/codec.hpp"
#include "tftpd/image_root.hpp"
#include "tftpd/transfer.hpp"

namespace {

using namespace bk::tftp;

void check_name(const std::string& name) {
  std::string why;
  const auto rel = normalize_request_path(name, why);
  if (!rel) {
    FUZZ_CHECK(!why.empty());
    return;
  }
  FUZZ_CHECK(!rel->empty() && rel->front() != '/' && rel->back() != '/');
  FUZZ_CHECK(rel->find('\\') == std::string::npos);
  FUZZ_CHECK(rel->find("//") == std::string::npos);
  std::size_t start = 0;
  while (start <= rel->size()) {
    const auto end = std::min(rel->find('/', start), rel->size());
    const std::string_view part(rel->data() + start, end - start);
    FUZZ_CHECK(part != ".." && part != "." && !part.empty());
    start = end + 1;
  }
  for (const char c : *rel)
    FUZZ_CHECK(static_cast<unsigned char>(c) >= 0x20 && c != 0x7f);
}

void check_agreement(const std::vector<Option>& options, std::uint64_t size) {
  Limits limits;
  const Agreed a = negotiate(options, size, limits);
  FUZZ_CHECK(a.blksize >= 8 && a.blksize <= limits.max_blksize);
  FUZZ_CHECK(a.windowsize >= 1 && a.windowsize <= limits.max_windowsize);
  FUZZ_CHECK(a.timeout_s >= 1 && a.timeout_s <= 255);
  FUZZ_CHECK(a.oack.size() <= 4);
  for (std::size_t i = 0; i < a.oack.size(); ++i)
    for (std::size_t j = i + 1; j < a.oack.size(); ++j)
      FUZZ_CHECK(a.oack[i].name != a.oack[j].name);
  std::vector<std::uint8_t> out;
  encode_oack(out, a.oack);
  FUZZ_CHECK(out.size() <= 2 + 4 * (11 + 21));  // 4 names of at most 10, values of at most 20 digits
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const Decoded d = decode(std::span<const std::uint8_t>(data, size));
  if (std::holds_alternative<Malformed>(d)) {
    FUZZ_CHECK(!std::get<Malformed>(d).why.empty());
    return 0;
  }
  const Packet& p = std::get<Packet>(d);
  if (const auto* q = std::get_if<Request>(&p)) {
    FUZZ_CHECK(q->options.size() <= max_request_options);
    std::vector<std::uint8_t> wire;
    encode_request(wire, *q);
    const Decoded again = decode(wire);
    FUZZ_CHECK(std::holds_alternative<Packet>(again));
    const auto& r = std::get<Request>(std::get<Packet>(again));
    FUZZ_CHECK(r.op == q->op && r.filename == q->filename && r.mode == q->mode && r.options == q->options);
    check_name(q->filename);
    check_agreement(q->options, size * 1'000'003);
  } else if (const auto* e = std::get_if<Error>(&p)) {
    FUZZ_CHECK(e->message.size() + 4 <= size);
    FUZZ_CHECK(e->message.find('\0') == std::string::npos);
  } else if (const auto* data_packet = std::get_if<Data>(&p)) {
    FUZZ_CHECK(data_packet->payload.size() + 4 == size);
  }
  return 0;
}
