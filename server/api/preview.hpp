#pragma once
// The boot preview: what the BOOTP server would answer a machine, as a plain BOOTP client and as
// PXE firmware of each architecture, and which TFTP files it would then fetch. Computed by the
// real Responder and FileSource on the given Snapshot: there is no second implementation to
// drift from the one that answers packets.
#include <nlohmann/json.hpp>

#include "db/snapshot.hpp"
#include "server/bootp/responder.hpp"
#include "tftpd/file_source.hpp"

namespace bk::api {

nlohmann::ordered_json preview(const db::Machine& m, const db::Snapshot& snap,
                               const bootp::Responder& responder, tftp::FileSource& files);

// One reply, field by field and option by option (decoded, and as hex), and the whole packet
// as hex.
nlohmann::ordered_json describe_reply(const bootp::Packet& reply);

}  // namespace bk::api
