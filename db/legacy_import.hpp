#pragma once
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

// Converters from legacy server configuration to Bootkeeper's inventory document
// ({"subnets":[...],"images":[...],"machines":[...]}), behind
// `bootkeeperd inventory import --from bootptab|dnsmasq FILE`.
//
// Both are pure: text in, document and problems out. They never open files or resolve names.
// They only produce well-formed JSON; the importer validates names, references, overlaps and
// option values. Whatever a converter cannot represent faithfully becomes a LegacyProblem on the
// line that holds the offending text, so an empty problem list means the whole file was understood.
// Lines that are not UTF-8 (old Latin-1 files) are reported and skipped: JSON text must be UTF-8.
//
// bootptab (CMU bootpd, `man 5 bootptab`)
//  - Entries `name:tag=value:...`; `\` at the end of a line continues the entry (blank and '#'
//    lines inside a continued entry are skipped, as bootpd does); '"' quotes, '\' escapes.
//  - Tags are applied left to right, as bootpd does: `tag=value` sets, `tag@` removes, and
//    `tc=entry` copies every tag the entry does not have at that point from an EARLIER entry,
//    except ha and ip. So tags written after tc= override the template, `tag@` after tc= removes
//    an inherited tag, and `tag@` before tc= lets the template fill it in again (bootptab(5)).
//    Generic tags are inherited code by code (bootpd inherits its block of Tn tags as a whole).
//  - Entries whose name starts with '.' are templates; every other entry is a machine named as
//    written, and needs ht=ethernet|ether|1 (or no ht), ha= and ip= written as addresses.
//    The group of a machine is the name of the first template it pulls in, without the '.'.
//  - Subnets: one per ip & sm, named "net-198-18-0-0-24". Without sm (bootpd would take the
//    interface's mask) a host joins the network of another host whose sm covers it, else its
//    /24. gateway (first gw), dns (ds), domain (dn) and next_server (sa) are the first values
//    seen among its hosts. A host whose gw/ds/dn differ from its subnet's carries them as
//    machine options 3/6/15; a different sa is a problem.
//  - Images: one per distinct (hd/bf relative to the TFTP root, rp), named after the boot file's
//    base name ("pxelinux.0", then "pxelinux.0-2"...). rp without bf becomes machine option 17.
//  - Tn=value becomes machine option "n": "quoted text" without quotes, hex bytes as "0x..".
//    Tags with an RFC 2132 code become machine options: to 2, ts 4, ns 5, lg 7, cs 8, lp 9,
//    im 10, rl 11, df 14, sw 16, ef 18, yd 40, ys 41, nt 42. Server-side tags (bs dl ex hn
//    ms mw ra td vm, to=auto) are ignored silently.
//
// dnsmasq (`man 8 dnsmasq`)
//  - One `key=value` (or `--key=value`) a line; '#' at the start or after a blank is a comment.
//  - dhcp-range: a subnet with a pool ("static": without). With no netmask the network is the
//    smallest one of at most /24 holding start and end: dnsmasq takes the mask from the
//    interface, which a file does not say. IPv6, proxy and ra-* ranges are problems.
//  - dhcp-host: elements classified by form. Hosts with `ignore` are skipped silently; hosts
//    without an IPv4 address, without an exact MAC, or with a wildcard MAC are problems; of
//    several MACs the first is kept. A host with no name is called "host-<12 hex digits>".
//    Its first set:tag is its group. A host in no dhcp-range gets a /24 subnet without pool.
//  - Tags decide where dhcp-option and dhcp-boot apply: a tag that some dhcp-host sets targets
//    those machines (machine options / machine image), one that a dhcp-range sets targets those
//    subnets, anything else (untagged, negated, or set by dhcp-match & co.) applies to every
//    subnet. Range-tagged values win over global ones; among equals the first one wins.
//  - dhcp-option takes codes and `option:NAME` with dnsmasq's names (or option_table()'s).
//    Addresses are checked for options whose option_table() type is one or more addresses.
//  - Subnet options 3 -> gateway (the first router), 6 -> dns, 15 -> domain (over domain=),
//    255 (server-ip-address) -> next_server; every other option stays in "options".
//    Note: dnsmasq sends its own address as router and DNS server when no option says
//    otherwise; that address is not in the file, so such subnets get no gateway and no dns.
//  - dhcp-boot: one image per boot file, the default image of the subnets it applies to; its
//    server address becomes their next_server. Of several global ones the untagged one (else
//    the first) is the default; the others are kept as images and reported as problems.
//  - Includes and host lists in other files (conf-file, conf-dir, dhcp-hostsfile, dhcp-optsfile,
//    read-ethers) and pxe-service are problems; other keys are ignored silently.
//
// Image kind: "pxelinux" when the boot file name contains "pxelinux", "ipxe" when it ends in
// ".ipxe", ".kpxe" or ".kkpxe" or contains "undionly", "efi" when it ends in ".efi", else "raw".
namespace bk::db {

struct LegacyProblem {
  int line;  // 1-based line of the source file
  std::string message;
};

struct LegacyResult {
  nlohmann::ordered_json document;      // {"subnets":[...],"images":[...],"machines":[...]}
  std::vector<LegacyProblem> problems;  // empty means the whole file was understood
};

LegacyResult convert_bootptab(std::string_view text);
LegacyResult convert_dnsmasq(std::string_view text);

}  // namespace bk::db
