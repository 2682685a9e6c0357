#include "server/daemon.hpp"

#include <utility>  // before Asio: Boost 1.74's coroutine support needs it with g++ 12

#include <sys/resource.h>
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
#include "server/api/api.hpp"
#include "server/api/http_server.hpp"
#include "server/bootp/transport.hpp"
#include "server/event_bus.hpp"
#include "server/tftp_hpa.hpp"
#include "tftpd/image_root.hpp"
#include "tftpd/server.hpp"

namespace bk::server {
namespace {

std::string host_name() {
  std::array<char, 256> buf{};
  if (::gethostname(buf.data(), buf.size() - 1) != 0) return "bootkeeper";
  return buf.data();
}

// The [tftp] limits, checked: a wrong value is refused at start, not met by a client later.
tftp::ServerOptions tftp_options(const Config& c) {
  const auto check = [](const char* key, int v, int lo, int hi) {
    if (v < lo || v > hi) {
      throw std::runtime_error(std::string("tftp.") + key + " = " + std::to_string(v) + ": must be " +
                               std::to_string(lo) + " to " + std::to_string(hi));
    }
  };
  if (c.tftp_backend != "builtin" && c.tftp_backend != "tftp-hpa") {
    throw std::runtime_error("tftp.backend = \"" + c.tftp_backend +
                             "\": must be \"builtin\" or \"tftp-hpa\"");
  }
  check("max_blksize", c.tftp_max_blksize, 512, 65464);
  check("max_windowsize", c.tftp_max_windowsize, 1, 64);
  check("max_transfers", c.tftp_max_transfers, 1, 100000);
  check("max_transfers_per_client", c.tftp_max_transfers_per_client, 0, 100000);
  (void)db::Endpoint::parse(c.tftp_listen, 69, "--tftp-listen");
  tftp::ServerOptions o;
  o.listen = c.tftp_listen;
  o.limits.max_blksize = static_cast<std::uint16_t>(c.tftp_max_blksize);
  o.limits.max_windowsize = static_cast<std::uint16_t>(c.tftp_max_windowsize);
  o.max_transfers = static_cast<std::size_t>(c.tftp_max_transfers);
  o.max_transfers_per_client = static_cast<std::size_t>(c.tftp_max_transfers_per_client);
  return o;
}

void report(const Materializer::Result& r) {
  if (r.written > 0 || r.removed > 0) {
    spdlog::info("generated files for tftp-hpa: {} written, {} removed, {} unchanged", r.written, r.removed,
                 r.unchanged);
  }
  for (const auto& name : r.kept) {
    spdlog::warn("{} exists in the image root and was not written by bootkeeperd: left as it is", name);
  }
}

// Each transfer holds a socket: allow as many descriptors as the hard limit permits.
// Prometheus text exposition of the packet services' counters (the API adds its own).
std::string metrics_text(const bootp::Counters& b, const tftp::ServerCounters& t, const EventBus& e) {
  std::string out;
  const auto counter = [&out](const char* name, const char* help, std::uint64_t v,
                              const std::string& labels = {}) {
    if (help[0] != 0) out += std::string("# HELP ") + name + " " + help + "\n# TYPE " + name + " counter\n";
    out += std::string(name) + (labels.empty() ? "" : "{" + labels + "}") + " " + std::to_string(v) + "\n";
  };
  counter("bootkeeper_bootp_received_total", "BOOTP/DHCP requests received.", b.received.load());
  counter("bootkeeper_bootp_replies_total", "Replies sent, by how they were delivered.",
          b.replies_broadcast.load(), "kind=\"broadcast\"");
  counter("bootkeeper_bootp_replies_total", "", b.replies_unicast.load(), "kind=\"unicast\"");
  counter("bootkeeper_bootp_replies_total", "", b.replies_relayed.load(), "kind=\"relayed\"");
  for (std::size_t i = 1; i < b.dropped.size(); ++i) {
    counter("bootkeeper_bootp_dropped_total", i == 1 ? "Requests not answered, by reason." : "",
            b.dropped[i].load(),
            "reason=\"" + std::string(bootp::to_string(static_cast<bootp::Drop>(i))) + "\"");
  }
  counter("bootkeeper_bootp_pool_bindings_total", "Addresses bound from pools.", b.pool_bindings.load());
  counter("bootkeeper_bootp_send_errors_total", "Replies the kernel refused to send.", b.send_errors.load());
  counter("bootkeeper_tftp_requests_total", "TFTP read requests received.", t.requests.load());
  counter("bootkeeper_tftp_transfers_total", "TFTP transfers, by outcome.", t.finished.load(),
          "outcome=\"finished\"");
  counter("bootkeeper_tftp_transfers_total", "", t.failed.load(), "outcome=\"failed\"");
  counter("bootkeeper_tftp_transfers_total", "", t.refused.load(), "outcome=\"refused\"");
  counter("bootkeeper_tftp_transfers_total", "", t.busy.load(), "outcome=\"busy\"");
  counter("bootkeeper_tftp_bytes_total", "File bytes sent, retransmissions included.", t.bytes.load());
  counter("bootkeeper_tftp_retransmissions_total", "Blocks sent again.", t.retransmissions.load());
  counter("bootkeeper_tftp_malformed_total", "Packets on the TFTP port that were not requests.",
          t.malformed.load());
  counter("bootkeeper_events_written_total", "Events written to the inventory.", e.written());
  counter("bootkeeper_events_lost_total", "Events lost (queue full or database refused).", e.lost());
  return out;
}

void raise_descriptor_limit() {
  rlimit r{};
  if (::getrlimit(RLIMIT_NOFILE, &r) == 0 && r.rlim_cur < r.rlim_max) {
    r.rlim_cur = r.rlim_max;
    ::setrlimit(RLIMIT_NOFILE, &r);
  }
}

}  // namespace

int run_daemon(const Config& config) {
  namespace fs = std::filesystem;
  const tftp::ServerOptions tftp_settings = tftp_options(config);  // settings first: refused before any work
  const db::Endpoint api_listen =
      config.api_enabled ? db::Endpoint::parse(config.api_listen, 8067, "--api-listen") : db::Endpoint{};
  if (config.bootp_lease_seconds < 60 || config.bootp_lease_seconds > 0x7FFF'FFFF) {
    throw std::runtime_error("bootp.lease_seconds = " + std::to_string(config.bootp_lease_seconds) +
                             ": must be 60 to 2147483647");
  }
  std::error_code ec;
  if (!fs::is_directory(config.images, ec)) {
    spdlog::error("{}: the image root does not exist: create it (mkdir -p {}) or pass --images",
                  config.images, config.images);
    return 1;
  }
  raise_descriptor_limit();
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
  std::shared_ptr<const bootp::Responder> preview_responder;
  if (config.bootp_enabled) {
    bootp::Settings settings;
    settings.server_name = config.server_name.empty() ? host_name() : config.server_name;
    settings.max_hops = static_cast<unsigned>(config.bootp_max_hops);
    settings.lease_seconds = static_cast<std::uint32_t>(config.bootp_lease_seconds);
    // The transport's thread is the only caller: one cache, no lock.
    auto sizes = std::make_shared<tftp::SizeCache>(images, 2.0);
    bootp::BootFiles files{
        [sizes](std::string_view path) { return sizes->size(path, db::monotonic_seconds()); }};
    bootp::TransportOptions topt;
    topt.listen = config.bootp_listen;
    topt.interfaces = config.interfaces;
    topt.rate_limit = config.bootp_rate_limit;
    bootp = std::make_unique<bootp::Transport>(io, topt, bootp::Responder(settings, files), inventory, events,
                                               bootp_counters);
    // The API's preview asks a Responder of the same settings (with a size cache of its own:
    // it runs on the API's thread).
    auto preview_sizes = std::make_shared<tftp::SizeCache>(images, 2.0);
    preview_responder = std::make_shared<const bootp::Responder>(
        settings, bootp::BootFiles{[preview_sizes](std::string_view path) {
          return preview_sizes->size(path, db::monotonic_seconds());
        }});
    spdlog::info("BOOTP: listening on {} as {}{}", config.bootp_listen, settings.server_name,
                 config.interfaces.empty() ? "" : " (interfaces restricted)");
  }

  // TFTP runs on an io_context and thread of its own: a boot storm's blocks must not delay
  // BOOTP replies, and the two services then use both cores.
  boost::asio::io_context tftp_io;
  tftp::ServerCounters tftp_counters;
  std::unique_ptr<tftp::Server> tftp_server;
  std::thread tftp_thread;
  std::unique_ptr<Materializer> materializer;
  std::unique_ptr<Supervisor> in_tftpd;
  if (config.tftp_enabled && config.tftp_backend == "tftp-hpa") {
    materializer = std::make_unique<Materializer>(config.images);
    report(materializer->update(*inventory.snapshot()));
    in_tftpd = std::make_unique<Supervisor>(
        in_tftpd_command(config.images, config.tftp_listen, config.tftp_max_blksize));
    spdlog::info("TFTP: tftp-hpa's in.tftpd serves {} on {}", config.images, config.tftp_listen);
  } else if (config.tftp_enabled) {
    tftp_server = std::make_unique<tftp::Server>(
        tftp_io, tftp_settings, images, [&inventory] { return inventory.snapshot(); },
        [&events](db::Event e) { events.publish(std::move(e)); }, tftp_counters);
    spdlog::info("TFTP: listening on {} (blksize up to {}, windows up to {}, {} transfers at once)",
                 config.tftp_listen, config.tftp_max_blksize, config.tftp_max_windowsize,
                 config.tftp_max_transfers);
    tftp_thread = std::thread([&tftp_io] { tftp_io.run(); });
  }
  // The API runs on an io_context and thread of its own too: a slow client or a large import
  // never holds up a packet.
  boost::asio::io_context api_io;
  std::unique_ptr<api::Api> rest;
  std::shared_ptr<api::HttpServer> http;
  std::thread api_thread;
  if (config.api_enabled) {
    api::Services services;
    services.responder = preview_responder;
    services.images = &images;
    services.metrics = [&bootp_counters, &tftp_counters, &events] {
      return metrics_text(bootp_counters, tftp_counters, events);
    };
    rest = std::make_unique<api::Api>(inventory, services);
    api::HttpOptions hopt;
    hopt.listen = api_listen;
    hopt.images = config.images;
    hopt.tls_cert = config.api_tls_cert;
    hopt.tls_key = config.api_tls_key;
    http = std::make_shared<api::HttpServer>(api_io, hopt, *rest);
    events.subscribe([weak = std::weak_ptr(http)](const db::Event& e) {
      if (const auto server = weak.lock()) server->publish(e);
    });
    spdlog::info("REST API: listening on {}://{}:{}/api/v1 (tokens: bootkeeperd token create)",
                 hopt.tls_cert.empty() ? "http" : "https", hopt.listen.address.str(), http->port());
    api_thread = std::thread([&api_io] { api_io.run(); });
  }

  boost::asio::signal_set signals(io, SIGINT, SIGTERM);
  signals.async_wait([&](const boost::system::error_code& e, int sig) {
    if (e) return;
    spdlog::info("signal {}: shutting down", sig);
    io.stop();
    tftp_io.stop();
    api_io.stop();
  });

  // Another process (a second daemon, `inventory import`) may write the same file. Watched from
  // a thread of its own: rebuilding a large Snapshot must not hold up the packet paths.
  std::jthread watcher([&inventory, &materializer](const std::stop_token& stop) {
    std::uint64_t materialized = inventory.snapshot()->generation();
    std::mutex m;
    std::condition_variable_any cv;
    while (!stop.stop_requested()) {
      std::unique_lock lock(m);
      if (cv.wait_for(lock, stop, std::chrono::seconds(1), [] { return false; })) break;
      try {
        if (inventory.refresh()) {
          spdlog::info("inventory changed on disk: now {} machines", inventory.snapshot()->machines().size());
        }
        if (const auto now = inventory.snapshot(); materializer && now->generation() != materialized) {
          report(materializer->update(*now));
          materialized = now->generation();
        }
      } catch (const std::exception& ex) {
        spdlog::warn("inventory refresh failed: {}", ex.what());
      }
    }
  });

  spdlog::info("bootkeeperd ready (pid {})", ::getpid());
  io.run();
  tftp_io.stop();
  api_io.stop();
  if (tftp_thread.joinable()) tftp_thread.join();
  if (api_thread.joinable()) api_thread.join();
  tftp_server.reset();
  if (in_tftpd) in_tftpd->stop();
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
  spdlog::info(
      "bootkeeperd stopped: BOOTP {} received, {} replied, dropped:{}; TFTP {} requests, {} finished, {} "
      "failed, "
      "{} refused, {} busy, {} MB sent; {} events written, {} lost",
      bootp_counters.received.load(), bootp_counters.replied.load(), drops.empty() ? " none" : drops,
      tftp_counters.requests.load(), tftp_counters.finished.load(), tftp_counters.failed.load(),
      tftp_counters.refused.load(), tftp_counters.busy.load(), tftp_counters.bytes.load() >> 20,
      events.written(), events.lost());
  return 0;
}

}  // namespace bk::server
