#include "server/daemon.hpp"

#include <utility>  // before Asio: Boost 1.74's coroutine support needs it with g++ 12

#include <unistd.h>

#include <array>
#include <boost/asio/io_context.hpp>
#include <boost/asio/signal_set.hpp>
#include <chrono>
#include <condition_variable>
#include <filesystem>
#include <memory>
#include <mutex>
#include <stop_token>
#include <thread>

#include <spdlog/spdlog.h>

#include "db/inventory.hpp"
#include "server/bootp/transport.hpp"
#include "server/event_bus.hpp"
#include "tftpd/image_root.hpp"

namespace bk::server {
namespace {

std::string host_name() {
  std::array<char, 256> buf{};
  if (::gethostname(buf.data(), buf.size() - 1) != 0) return "bootkeeper";
  return buf.data();
}

}  // namespace

int run_daemon(const Config& config) {
  namespace fs = std::filesystem;
  std::error_code ec;
  if (!fs::is_directory(config.images, ec)) {
    spdlog::error("{}: the image root does not exist: create it (mkdir -p {}) or pass --images",
                  config.images, config.images);
    return 1;
  }
  db::Inventory inventory(config.db);
  const tftp::ImageRoot images(config.images);
  const auto snap = inventory.snapshot();
  spdlog::info("inventory {}: {} subnets, {} images, {} machines", config.db, snap->subnets().size(),
               snap->images().size(), snap->machines().size());
  spdlog::info("image root {}", fs::absolute(config.images).string());

  EventBus events(inventory);
  boost::asio::io_context io;

  bootp::Counters bootp_counters;
  std::unique_ptr<bootp::Transport> bootp;
  if (config.bootp_enabled) {
    bootp::Settings settings;
    settings.server_name = config.server_name.empty() ? host_name() : config.server_name;
    settings.max_hops = static_cast<unsigned>(config.bootp_max_hops);
    // The transport's thread is the only caller: one cache, no lock.
    auto sizes = std::make_shared<tftp::SizeCache>(images, 2.0);
    bootp::BootFiles files{[sizes](std::string_view path) {
      const double now =
          std::chrono::duration<double>(std::chrono::steady_clock::now().time_since_epoch()).count();
      return sizes->size(path, now);
    }};
    bootp::TransportOptions topt;
    topt.listen = config.bootp_listen;
    topt.interfaces = config.interfaces;
    topt.rate_limit = config.bootp_rate_limit;
    bootp = std::make_unique<bootp::Transport>(io, topt, bootp::Responder(settings, files), inventory, events,
                                               bootp_counters);
    spdlog::info("BOOTP: listening on {} as {}{}", config.bootp_listen, settings.server_name,
                 config.interfaces.empty() ? "" : " (interfaces restricted)");
  }

  if (config.tftp_enabled) {
    spdlog::warn(
        "TFTP server: not in this version yet; serve {} with tftp-hpa meanwhile (--no-tftp hides this)",
        config.images);
  }
  if (config.api_enabled) {
    spdlog::warn(
        "REST API ({}): not in this version yet; edit the inventory with `bootkeeperd inventory import` "
        "(--no-api hides this)",
        config.api_listen);
  }

  boost::asio::signal_set signals(io, SIGINT, SIGTERM);
  signals.async_wait([&](const boost::system::error_code& e, int sig) {
    if (e) return;
    spdlog::info("signal {}: shutting down", sig);
    io.stop();
  });

  // Another process (a second daemon, `inventory import`) may write the same file. Watched from
  // a thread of its own: rebuilding a large Snapshot must not hold up the packet paths.
  std::jthread watcher([&inventory](const std::stop_token& stop) {
    std::mutex m;
    std::condition_variable_any cv;
    while (!stop.stop_requested()) {
      std::unique_lock lock(m);
      if (cv.wait_for(lock, stop, std::chrono::seconds(1), [] { return false; })) break;
      try {
        if (inventory.refresh()) {
          spdlog::info("inventory changed on disk: now {} machines", inventory.snapshot()->machines().size());
        }
      } catch (const std::exception& ex) {
        spdlog::warn("inventory refresh failed: {}", ex.what());
      }
    }
  });

  spdlog::info("bootkeeperd ready (pid {})", ::getpid());
  io.run();
  watcher.request_stop();
  watcher.join();
  bootp.reset();
  events.flush();
  std::string drops;
  for (std::size_t i = 1; i < bootp_counters.dropped.size(); ++i) {
    if (const auto n = bootp_counters.dropped[i].load(); n > 0) {
      drops += " " + std::string(bootp::to_string(static_cast<bootp::Drop>(i))) + "=" + std::to_string(n);
    }
  }
  spdlog::info("bootkeeperd stopped: BOOTP {} received, {} replied, dropped:{}; {} events written, {} lost",
               bootp_counters.received.load(), bootp_counters.replied.load(), drops.empty() ? " none" : drops,
               events.written(), events.lost());
  return 0;
}

}  // namespace bk::server
