// Every inventory rule, driven through Draft without SQLite.
#include <gtest/gtest.h>

#include "db/document.hpp"
#include "db/draft.hpp"
#include "lab.hpp"

using namespace bk::db;

namespace {

class Rules : public ::testing::Test {
 protected:
  void SetUp() override {
    Draft d(empty_, "2026-12-04T00:00:00.000Z");
    const auto report = import_document(d, bk::test::lab_document());
    ASSERT_TRUE(report.ok()) << report.to_json().dump(2);
    base_ = std::move(d).finish(1);
  }
  Draft draft() const { return Draft(base_, "2026-12-04T00:00:01.000Z"); }
  Machine machine(const char* mac, const char* host, const char* ip) const {
    Machine m;
    m.mac = *Mac::parse(mac);
    m.hostname = host;
    m.ip = *Ipv4::parse(ip);
    return m;
  }
  static bool has(const FieldErrors& e, std::string_view field, std::string_view words,
                  FieldError::Kind kind = FieldError::Kind::invalid) {
    for (const auto& x : e) {
      if (x.field == field && x.reason.find(words) != std::string::npos && x.kind == kind) return true;
    }
    return false;
  }

  Snapshot empty_;
  Snapshot base_;
};

}  // namespace

TEST_F(Rules, LabLoads) {
  EXPECT_EQ(base_.machines().size(), 2u);
  const Machine* m = base_.machine_by_mac(*Mac::parse("52:54:00:12:34:56"));
  ASSERT_NE(m, nullptr);
  EXPECT_EQ(m->subnet_id, base_.subnet_by_name("lab")->id);
  EXPECT_EQ(base_.machine_by_ip(*Ipv4::parse("198.18.0.51"))->hostname, "ws02");
}

TEST_F(Rules, MacIsUnique) {
  auto d = draft();
  auto m = machine("52-54-00-12-34-56", "ws09", "198.18.0.60");
  EXPECT_TRUE(has(d.put_machine(m), "mac", "already registered as ws01", FieldError::Kind::conflict));
}

TEST_F(Rules, AddressIsUnique) {
  auto d = draft();
  auto m = machine("52:54:00:00:00:09", "ws09", "198.18.0.50");
  EXPECT_TRUE(has(d.put_machine(m), "ip", "already used by ws01", FieldError::Kind::conflict));
}

TEST_F(Rules, AddressMustBeInASubnet) {
  auto d = draft();
  auto m = machine("52:54:00:00:00:09", "ws09", "198.19.5.5");
  EXPECT_TRUE(has(d.put_machine(m), "ip", "in no subnet"));
}

TEST_F(Rules, AddressIsNotNetworkOrBroadcast) {
  auto d = draft();
  auto a = machine("52:54:00:00:00:09", "ws09", "198.18.0.0");
  EXPECT_TRUE(has(d.put_machine(a), "ip", "network or broadcast"));
  auto b = machine("52:54:00:00:00:09", "ws09", "198.18.0.255");
  EXPECT_TRUE(has(d.put_machine(b), "ip", "network or broadcast"));
}

TEST_F(Rules, RegisteredAddressIsOutsideThePool) {
  auto d = draft();
  auto m = machine("52:54:00:00:00:09", "ws09", "198.18.0.150");
  EXPECT_TRUE(has(d.put_machine(m), "ip", "inside the pool", FieldError::Kind::conflict));
}

TEST_F(Rules, HostnameFollowsRfc1123) {
  auto d = draft();
  auto m = machine("52:54:00:00:00:09", "ws_09", "198.18.0.60");
  EXPECT_TRUE(has(d.put_machine(m), "hostname", "RFC 1123"));
}

TEST_F(Rules, AValidMachineIsAddedWithItsSubnet) {
  auto d = draft();
  auto m = machine("52:54:00:00:00:09", "ws09", "198.18.0.60");
  EXPECT_TRUE(d.put_machine(m).empty());
  EXPECT_NE(m.id, 0);
  EXPECT_EQ(m.subnet_id, d.state().subnet_by_name("lab")->id);
  EXPECT_EQ(d.state().machine_by_ip(*Ipv4::parse("198.18.0.60"))->mac, m.mac);
}

TEST_F(Rules, TwoMachinesMaySwapAddresses) {
  auto d = draft();
  Machine a = *d.state().machine_by_mac(*Mac::parse("52:54:00:12:34:56"));
  Machine b = *d.state().machine_by_mac(*Mac::parse("52:54:00:12:34:57"));
  a.ip = *Ipv4::parse("198.18.0.70");
  ASSERT_TRUE(d.put_machine(a).empty());
  b.ip = *Ipv4::parse("198.18.0.50");
  ASSERT_TRUE(d.put_machine(b).empty());
  EXPECT_EQ(d.state().machine_by_ip(*Ipv4::parse("198.18.0.50"))->hostname, "ws02");
  EXPECT_EQ(d.state().machine_by_ip(*Ipv4::parse("198.18.0.51")), nullptr);
}

TEST_F(Rules, PoolStaysInsideItsSubnet) {
  auto d = draft();
  Subnet s = *d.state().subnet_by_name("lab");
  s.pool = Pool{*Ipv4::parse("198.18.0.200"), *Ipv4::parse("198.18.1.10")};
  EXPECT_TRUE(has(d.put_subnet(s), "pool.end", "inside 198.18.0.0/24"));
  s.pool = Pool{*Ipv4::parse("198.18.0.0"), *Ipv4::parse("198.18.0.10")};
  EXPECT_TRUE(has(d.put_subnet(s), "pool.start", "host address"));
  s.pool = Pool{*Ipv4::parse("198.18.0.30"), *Ipv4::parse("198.18.0.20")};
  EXPECT_TRUE(has(d.put_subnet(s), "pool.end", "before pool.start"));
}

TEST_F(Rules, PoolDoesNotOverlapRegisteredMachines) {
  auto d = draft();
  Subnet s = *d.state().subnet_by_name("lab");
  s.pool = Pool{*Ipv4::parse("198.18.0.40"), *Ipv4::parse("198.18.0.60")};
  EXPECT_TRUE(has(d.put_subnet(s), "pool", "overlaps registered machine ws0", FieldError::Kind::conflict));
}

TEST_F(Rules, SubnetsDoNotOverlap) {
  auto d = draft();
  Subnet s;
  s.name = "wide";
  s.network = *Cidr::parse("198.18.0.0/16");
  EXPECT_TRUE(has(d.put_subnet(s), "network", "overlaps subnet lab", FieldError::Kind::conflict));
}

TEST_F(Rules, SubnetChangeMayNotStrandMachines) {
  auto d = draft();
  Subnet s = *d.state().subnet_by_name("lab");
  s.network = *Cidr::parse("198.18.0.0/27");
  s.pool.reset();
  s.gateway.reset();
  EXPECT_TRUE(has(d.put_subnet(s), "network", "outside the subnet", FieldError::Kind::conflict));
}

TEST_F(Rules, GatewayIsAHostOfTheSubnet) {
  auto d = draft();
  Subnet s = *d.state().subnet_by_name("lab");
  s.gateway = *Ipv4::parse("198.19.0.1");
  EXPECT_TRUE(has(d.put_subnet(s), "gateway", "inside"));
}

TEST_F(Rules, ImageBootFileStaysBeneathTheRoot) {
  auto d = draft();
  Image i;
  i.name = "evil";
  for (const char* bad : {"/etc/passwd", "../x", "a/../../b", "a\\b"}) {
    i.boot_file = bad;
    EXPECT_FALSE(d.put_image(i).empty()) << bad;
  }
  i.boot_file = "ok/pxelinux.0";
  i.kernel = "../vmlinuz";
  EXPECT_TRUE(has(d.put_image(i), "kernel", "beneath"));
}

TEST_F(Rules, NamesAreUnique) {
  auto d = draft();
  Image i;
  i.name = "lab-bios";
  i.boot_file = "x.0";
  EXPECT_TRUE(has(d.put_image(i), "name", "already used", FieldError::Kind::conflict));
  Subnet s;
  s.name = "lab";
  s.network = *Cidr::parse("198.19.0.0/24");
  EXPECT_TRUE(has(d.put_subnet(s), "name", "already used", FieldError::Kind::conflict));
}

TEST_F(Rules, DeletesRefuseToBreakReferences) {
  auto d = draft();
  EXPECT_TRUE(has(d.remove_subnet(d.state().subnet_by_name("lab")->id), "id", "still has 2 machine",
                  FieldError::Kind::conflict));
  EXPECT_TRUE(has(d.remove_image(d.state().image_by_name("lab-bios")->id), "id", "used by machine",
                  FieldError::Kind::conflict));
  EXPECT_TRUE(has(d.remove_machine(999), "id", "names no machine", FieldError::Kind::not_found));
}

TEST_F(Rules, PoolBindsTheLowestFreeAddressOncePerMac) {
  auto d = draft();
  const Id lab = d.state().subnet_by_name("lab")->id;
  const auto a = d.bind_pool(*Mac::parse("52:54:00:aa:00:01"), lab);
  const auto b = d.bind_pool(*Mac::parse("52:54:00:aa:00:02"), lab);
  const auto again = d.bind_pool(*Mac::parse("52:54:00:aa:00:01"), lab);
  ASSERT_TRUE(a && b && again);
  EXPECT_EQ(a->ip.str(), "198.18.0.100");
  EXPECT_EQ(b->ip.str(), "198.18.0.101");
  EXPECT_EQ(again->ip, a->ip);
  EXPECT_EQ(a->origin, Origin::pool);
  EXPECT_EQ(a->image_id, d.state().image_by_name("lab-bios")->id);
}

TEST_F(Rules, ExhaustedPoolBindsNothing) {
  auto d = draft();
  Subnet s = *d.state().subnet_by_name("lab");
  s.pool = Pool{*Ipv4::parse("198.18.0.100"), *Ipv4::parse("198.18.0.101")};
  ASSERT_TRUE(d.put_subnet(s).empty());
  EXPECT_TRUE(d.bind_pool(*Mac::parse("52:54:00:aa:00:01"), s.id));
  EXPECT_TRUE(d.bind_pool(*Mac::parse("52:54:00:aa:00:02"), s.id));
  EXPECT_FALSE(d.bind_pool(*Mac::parse("52:54:00:aa:00:03"), s.id));
}

TEST_F(Rules, FailedEditsLeaveTheDraftUnchanged) {
  auto d = draft();
  auto m = machine("52:54:00:00:00:09", "ws09", "198.18.0.50");
  ASSERT_FALSE(d.put_machine(m).empty());
  EXPECT_TRUE(d.touched().empty());
  EXPECT_EQ(d.state().machines().size(), 2u);
}
