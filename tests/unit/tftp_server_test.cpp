// The TFTP server on loopback, driven by a raw UDP client: whole transfers, refusals, the limit
// on transfers, and replays of our peers' CVEs against the running server.
#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <mutex>
#include <thread>

#include "lab.hpp"
#include "tftpd/codec.hpp"
#include "tftpd/server.hpp"

using namespace bk::tftp;
namespace fs = std::filesystem;

namespace {

class Client {
 public:
  // `from`: the loopback address to send from (127.0.0.1 when empty).
  explicit Client(std::uint16_t server_port, const char* from = nullptr) : port_(server_port) {
    fd_ = ::socket(AF_INET, SOCK_DGRAM, 0);
    timeval tv{0, 300'000};
    ::setsockopt(fd_, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
    if (from != nullptr) {
      sockaddr_in sa{};
      sa.sin_family = AF_INET;
      ::inet_pton(AF_INET, from, &sa.sin_addr);
      ::bind(fd_, reinterpret_cast<const sockaddr*>(&sa), sizeof sa);
    }
  }
  ~Client() { ::close(fd_); }
  Client(const Client&) = delete;
  Client& operator=(const Client&) = delete;

  void send_to(std::uint16_t port, const std::vector<std::uint8_t>& p) {
    sockaddr_in sa{};
    sa.sin_family = AF_INET;
    sa.sin_port = htons(port);
    sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    ::sendto(fd_, p.data(), p.size(), 0, reinterpret_cast<const sockaddr*>(&sa), sizeof sa);
  }
  void request(const Request& r) {
    std::vector<std::uint8_t> out;
    encode_request(out, r);
    send_to(port_, out);
  }
  void ack(std::uint16_t block) {
    std::vector<std::uint8_t> out;
    encode_ack(out, block);
    send_to(tid_, out);
  }
  // The next packet, decoded; nullopt after 300 ms of silence. Remembers the sender's port.
  std::optional<Packet> receive() {
    sockaddr_in from{};
    socklen_t len = sizeof from;
    const ssize_t n = ::recvfrom(fd_, buf_.data(), buf_.size(), 0, reinterpret_cast<sockaddr*>(&from), &len);
    if (n < 0) return std::nullopt;
    tid_ = ntohs(from.sin_port);
    auto d = decode(std::span(buf_.data(), static_cast<std::size_t>(n)));
    if (!std::holds_alternative<Packet>(d)) return std::nullopt;
    return std::get<Packet>(d);
  }
  // A whole read with `options`; returns the bytes, or the error text.
  std::string fetch(const std::string& name, std::vector<Option> options = {}, std::uint16_t blksize = 512,
                    std::uint16_t window = 1) {
    request(Request{Opcode::rrq, name, "octet", std::move(options)});
    std::string data;
    std::uint16_t expected = 1;
    for (;;) {
      const auto p = receive();
      if (!p) return "<silence>";
      if (const auto* e = std::get_if<Error>(&*p))
        return "<error " + std::to_string(e->code) + ": " + e->message + ">";
      if (std::holds_alternative<Oack>(*p)) {
        ack(0);
        continue;
      }
      const auto& d = std::get<Data>(*p);
      if (d.block != expected) continue;
      data.append(d.payload.begin(), d.payload.end());
      const bool last = d.payload.size() < blksize;
      if (last || expected % window == 0) ack(expected);
      ++expected;
      if (last) return data;
    }
  }
  std::uint16_t tid() const { return tid_; }

 private:
  int fd_;
  std::uint16_t port_;
  std::uint16_t tid_ = 0;
  std::array<std::uint8_t, 70000> buf_{};
};

// The server runs on its own thread: what it counts after the last ACK shows a moment later
// (waits up to 3 s).
template <typename Pred>
bool eventually(Pred pred) {
  for (int i = 0; i < 600 && !pred(); ++i)
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  return pred();
}

class ServerTest : public ::testing::Test {
 protected:
  void start(std::size_t max_transfers = 100, std::size_t per_client = 0) {
    root_ = tmp_.path() / "root";
    fs::create_directories(root_);
    std::string big(300'000, '\0');
    for (std::size_t i = 0; i < big.size(); ++i)
      big[i] = static_cast<char>((i * 7919) >> 3);
    std::ofstream(root_ / "big.bin", std::ios::binary) << big;
    big_ = big;
    std::ofstream(tmp_.path() / "secret") << "SECRET";
    std::ofstream(root_ / "empty");
    std::ofstream(root_ / "exact.bin") << std::string(2048, 'e');
    images_.emplace(root_.string());
    ServerOptions o;
    o.listen = "127.0.0.1:0";
    o.max_transfers = max_transfers;
    o.max_transfers_per_client = per_client;
    server_ = std::make_unique<Server>(
        io_, o, *images_, [this] { return snap_; },
        [this](bk::db::Event e) {
          std::lock_guard l(mu_);
          events_.push_back(std::move(e));
        },
        counters_);
    thread_ = std::thread([this] { io_.run(); });
  }
  void TearDown() override {
    io_.stop();
    if (thread_.joinable()) thread_.join();
    server_.reset();
  }
  std::vector<std::string> event_kinds() {
    std::lock_guard l(mu_);
    std::vector<std::string> k;
    for (const auto& e : events_)
      k.push_back(e.kind);
    return k;
  }

  bk::test::TempDir tmp_;
  fs::path root_;
  std::string big_;
  std::optional<ImageRoot> images_;
  std::shared_ptr<const bk::db::Snapshot> snap_ =
      std::make_shared<const bk::db::Snapshot>(bk::test::snapshot_of(bk::test::lab_document()));
  boost::asio::io_context io_;
  ServerCounters counters_;
  std::unique_ptr<Server> server_;
  std::thread thread_;
  std::mutex mu_;
  std::vector<bk::db::Event> events_;
};

}  // namespace

TEST_F(ServerTest, WholeFilesInLockStepAndInWindows) {
  start();
  Client c(server_->port());
  EXPECT_EQ(c.fetch("big.bin"), big_);
  EXPECT_NE(c.tid(), server_->port());  // each transfer answers from a port of its own
  EXPECT_EQ(c.fetch("/big.bin", {{"blksize", "1468"}, {"tsize", "0"}}, 1468), big_);
  EXPECT_EQ(c.fetch("big.bin", {{"blksize", "1468"}, {"windowsize", "16"}}, 1468, 16), big_);
  EXPECT_EQ(c.fetch("empty"), "");  // one empty DATA block
  EXPECT_EQ(c.fetch("empty", {{"blksize", "1468"}, {"windowsize", "4"}}, 1468, 4), "");
  EXPECT_EQ(c.fetch("exact.bin"), std::string(2048, 'e'));  // 4 full blocks and an empty one
  EXPECT_EQ(c.fetch("exact.bin", {{"blksize", "1024"}, {"windowsize", "2"}}, 1024, 2),
            std::string(2048, 'e'));
  EXPECT_TRUE(eventually([&] { return counters_.finished.load() == 7; })) << counters_.finished.load();
}

TEST_F(ServerTest, GeneratedFileCarriesTheMachineInItsEvents) {
  start();
  Client c(server_->port());
  const std::string text = c.fetch("pxelinux.cfg/01-52-54-00-12-34-56");
  EXPECT_NE(text.find("KERNEL ::/vmlinuz"), std::string::npos) << text;
  EXPECT_TRUE(eventually([&] { return event_kinds().size() == 2; }));
  std::lock_guard l(mu_);
  ASSERT_EQ(events_.size(), 2U);
  EXPECT_EQ(events_[0].kind, "tftp.start");
  EXPECT_EQ(events_[1].kind, "tftp.finish");
  ASSERT_TRUE(events_[1].mac);
  EXPECT_EQ(events_[1].mac->str(), "52:54:00:12:34:56");
  EXPECT_NE(events_[1].detail.find("\"bytes\":" + std::to_string(text.size())), std::string::npos)
      << events_[1].detail;
}

TEST_F(ServerTest, RefusalsAreErrorsWithReasons) {
  start();
  Client c(server_->port());
  EXPECT_EQ(c.fetch("missing"), "<error 1: no such file in the image root>");
  EXPECT_EQ(c.fetch("../secret"), "<error 2: '..' in the file name>");
  c.request(Request{Opcode::wrq, "new.img", "octet", {}});
  const auto w = c.receive();
  ASSERT_TRUE(w && std::holds_alternative<Error>(*w));
  EXPECT_EQ(std::get<Error>(*w).code, 2);
  c.request(Request{Opcode::rrq, "big.bin", "mail", {}});
  const auto m = c.receive();
  ASSERT_TRUE(m && std::holds_alternative<Error>(*m));
  EXPECT_EQ(std::get<Error>(*m).code, 4);
  EXPECT_TRUE(eventually([&] { return counters_.refused.load() == 4; }));
}

TEST_F(ServerTest, OverTheLimitGetsBusyNotSilence) {
  start(1);
  Client first(server_->port());
  first.request(Request{Opcode::rrq, "big.bin", "octet", {}});
  ASSERT_TRUE(first.receive());  // block 1, left unacknowledged: the transfer stays open
  Client second(server_->port());
  second.request(Request{Opcode::rrq, "big.bin", "octet", {}});
  const auto p = second.receive();
  ASSERT_TRUE(p && std::holds_alternative<Error>(*p));
  EXPECT_EQ(std::get<Error>(*p).message, "server busy: 1 transfers running, try again");
  EXPECT_EQ(counters_.busy.load(), 1U);
}

// One address cannot take every slot: its third transfer is refused while another address
// still gets one (127.0.0.2 is loopback too).
TEST_F(ServerTest, OneClientCannotTakeEverySlot) {
  start(100, 2);
  std::vector<std::unique_ptr<Client>> mine;
  for (int i = 0; i < 2; ++i) {
    mine.push_back(std::make_unique<Client>(server_->port()));
    mine.back()->request(Request{Opcode::rrq, "big.bin", "octet", {}});
    ASSERT_TRUE(mine.back()->receive());  // block 1, unacknowledged: the transfer stays open
  }
  Client third(server_->port());
  third.request(Request{Opcode::rrq, "big.bin", "octet", {}});
  const auto p = third.receive();
  ASSERT_TRUE(p && std::holds_alternative<Error>(*p));
  EXPECT_EQ(std::get<Error>(*p).message, "server busy: 2 transfers to your address running, try again");
  EXPECT_EQ(counters_.busy.load(), 1U);
  Client other(server_->port(), "127.0.0.2");
  other.request(Request{Opcode::rrq, "big.bin", "octet", {}});
  const auto q = other.receive();
  ASSERT_TRUE(q && std::holds_alternative<Data>(*q)) << "another address is still served";
}

TEST_F(ServerTest, ClientThatWentAwayEndsItsTransferAtTheNextRetransmission) {
  start();
  {
    Client gone(server_->port());
    gone.request(Request{Opcode::rrq, "big.bin", "octet", {}});
    ASSERT_TRUE(gone.receive());
  }  // closed: the retransmission after 1 s meets "port unreachable"
  EXPECT_TRUE(eventually([&] { return counters_.failed.load() == 1; }));
  std::lock_guard l(mu_);
  ASSERT_FALSE(events_.empty());
  EXPECT_NE(events_.back().detail.find("the client went away"), std::string::npos) << events_.back().detail;
}

// atftpd CVE-2019-11365 (2-byte ERROR), dnsmasq CVE-2009-2958 (empty name), tftp-hpa
// CVE-2011-2199 (huge utimeout), atftpd CVE-2021-41054 (options filling the OACK): each is
// answered or ignored, and the server goes on serving.
TEST_F(ServerTest, PeerCveReplaysLeaveTheServerServing) {
  start();
  Client c(server_->port());
  c.send_to(server_->port(), {0, 5});
  EXPECT_FALSE(c.receive());
  c.send_to(server_->port(), {0, 4, 0, 1});  // a stray ACK to port 69
  EXPECT_FALSE(c.receive());
  c.send_to(server_->port(), {0});
  EXPECT_FALSE(c.receive());

  EXPECT_EQ(c.fetch(""), "<error 2: empty file name>");

  c.request(Request{
      Opcode::rrq, "big.bin", "octet", {{"utimeout", std::string(5000, '9')}, {"timeout", "99999999999"}}});
  const auto p = c.receive();
  ASSERT_TRUE(p);
  EXPECT_TRUE(std::holds_alternative<Data>(*p));  // both ignored: no OACK, plain RFC 1350

  std::vector<Option> many;
  for (int i = 0; i < 16; ++i)
    many.push_back({"blksize", std::to_string(1000 + i)});
  c.request(Request{Opcode::rrq, "big.bin", "octet", many});
  const auto o = c.receive();
  ASSERT_TRUE(o && std::holds_alternative<Oack>(*o));
  EXPECT_EQ(std::get<Oack>(*o).options, (std::vector<Option>{{"blksize", "1000"}}));

  many.push_back({"tsize", "0"});  // 17 options: malformed
  c.request(Request{Opcode::rrq, "big.bin", "octet", many});
  const auto bad = c.receive();
  ASSERT_TRUE(bad && std::holds_alternative<Error>(*bad));
  EXPECT_EQ(std::get<Error>(*bad).code, 4);

  Client after(server_->port());
  EXPECT_EQ(after.fetch("big.bin", {{"blksize", "1468"}}, 1468), big_);
}
