// Fuzz target: the BOOTP codec on raw datagrams, the first code that sees bytes from the network.
// decode must reject or accept any input without crashing, and what it accepts must come back
// unchanged through encode -> decode: the Responder copies header fields into replies and reads
// options, so a lossy codec would be a wrong reply.
#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <span>
#include <vector>

#include "fuzz_check.hpp"
#include "server/bootp/packet.hpp"

namespace {

using namespace bk::bootp;

bool same_header(const Packet& a, const Packet& b) {
  return a.op == b.op && a.htype == b.htype && a.hlen == b.hlen && a.hops == b.hops && a.xid == b.xid &&
         a.secs == b.secs && a.flags == b.flags && a.ciaddr == b.ciaddr && a.yiaddr == b.yiaddr &&
         a.siaddr == b.siaddr && a.giaddr == b.giaddr && a.chaddr == b.chaddr && a.sname == b.sname &&
         a.file == b.file;
}

// OptionList keeps one entry per code with repeats already concatenated (RFC 3396), so encode's
// splitting of values over 255 bytes must come back as the same entries in the same order.
bool same_options(const OptionList& a, const OptionList& b) {
  const auto& ea = a.entries();
  const auto& eb = b.entries();
  if (ea.size() != eb.size()) return false;
  for (std::size_t i = 0; i < ea.size(); ++i) {
    const auto va = a.value(ea[i]);
    const auto vb = b.value(eb[i]);
    if (ea[i].code != eb[i].code || !std::equal(va.begin(), va.end(), vb.begin(), vb.end())) return false;
  }
  return true;
}

// The accessors the Responder uses, on every option: they must stay inside the list's storage.
void read_every_option(const OptionList& options) {
  for (const auto& e : options.entries()) {
    const auto v = options.get(e.code);
    FUZZ_CHECK(v.has_value() && v->size() == e.length);
    FUZZ_CHECK(options.u8(e.code).has_value() == (e.length == 1));
    FUZZ_CHECK(options.u16(e.code).has_value() == (e.length == 2));
    FUZZ_CHECK(options.ip(e.code).has_value() == (e.length == 4));
    FUZZ_CHECK(options.text(e.code).size() == e.length);
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::span<const std::uint8_t> input(data, size);
  const Decoded first = decode(input);
  if (!first.packet) {
    // Only the two documented reasons to refuse a datagram.
    if (size < kHeaderSize) {
      FUZZ_CHECK(first.error == DecodeError::too_short);
    } else {
      FUZZ_CHECK(first.error == DecodeError::bad_hlen && data[2] > 16);
    }
    return 0;
  }
  FUZZ_CHECK(size >= kHeaderSize && data[2] <= 16);
  const Packet& p = *first.packet;
  FUZZ_CHECK(p.sname_text().size() <= p.sname.size());
  FUZZ_CHECK(p.file_text().size() <= p.file.size());
  read_every_option(p.options);

  const std::vector<std::uint8_t> wire = encode(p);
  FUZZ_CHECK(wire.size() >= kMinReplySize);
  if (!p.cookie) FUZZ_CHECK(wire.size() == kHeaderSize + kBootpVendorSize);

  const Decoded second = decode(wire);
  FUZZ_CHECK(second.packet.has_value());
  const Packet& q = *second.packet;
  FUZZ_CHECK(same_header(p, q));
  FUZZ_CHECK(p.cookie == q.cookie);
  if (p.cookie) {
    FUZZ_CHECK(same_options(p.options, q.options));
    // encode writes whole options and End, whatever the input's options area looked like.
    FUZZ_CHECK(!q.options_truncated);
  } else {
    FUZZ_CHECK(q.options.empty());
    FUZZ_CHECK(p.vend == q.vend);
    // A vendor area of 1 to 3 bytes is "blank" by length, and encode pads it to 64 bytes whose
    // first four then decide: only an area of at least 4 bytes keeps its verdict.
    if (size >= kHeaderSize + 4) FUZZ_CHECK(p.vendor_blank == q.vendor_blank);
  }

  // Once normalised by a round trip, the bytes are a fixed point.
  FUZZ_CHECK(encode(q) == wire);
  return 0;
}
