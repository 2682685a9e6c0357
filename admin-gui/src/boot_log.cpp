#include "boot_log.hpp"

#include <QDateTime>
#include <QHeaderView>
#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>
#include <QLabel>
#include <QNetworkReply>
#include <QPushButton>
#include <QTimer>
#include <QTreeWidget>
#include <QVBoxLayout>

#include "api_client.hpp"

namespace bk::admin {
namespace {

bool is_failure(const QString& kind) {
  return kind.endsWith(".error") || kind.endsWith(".refused") || kind.endsWith(".unknown") ||
         kind.endsWith(".pool_exhausted");
}

// One line of what happened, from the event's kind and detail.
QString summary(const QString& kind, const QJsonObject& d) {
  if (kind == "bootp.reply") {
    return QObject::tr("%1 reply: boot file %2 (%3)")
        .arg(d.value("dhcp").toString("BOOTP"), d.value("file").toString(), d.value("route").toString());
  }
  if (kind == "tftp.start") {
    return QObject::tr("sending %1 (%2 bytes)")
        .arg(d.value("file").toString())
        .arg(d.value("size").toInteger());
  }
  if (kind == "tftp.finish") {
    return QObject::tr("sent %1: %2 bytes in %3 s")
        .arg(d.value("file").toString())
        .arg(d.value("bytes").toInteger())
        .arg(d.value("seconds").toDouble());
  }
  if (kind == "tftp.error")
    return QObject::tr("%1 failed: %2").arg(d.value("file").toString(), d.value("why").toString());
  if (d.contains("note")) return d.value("note").toString();
  return QString::fromUtf8(QJsonDocument(d).toJson(QJsonDocument::Compact));
}

}  // namespace

BootLog::BootLog(ApiClient& api, QWidget* parent) : QWidget(parent), api_(api) {
  tree_ = new QTreeWidget;
  tree_->setHeaderLabels({tr("Machine / time"), tr("Event"), tr("What happened")});
  tree_->header()->setStretchLastSection(true);
  tree_->header()->setSectionResizeMode(0, QHeaderView::ResizeToContents);
  tree_->header()->setSectionResizeMode(1, QHeaderView::ResizeToContents);
  auto* clear = new QPushButton(tr("Clear"));
  connect(clear, &QPushButton::clicked, this, [this] {
    tree_->clear();
    machines_.clear();
  });
  auto* layout = new QVBoxLayout(this);
  layout->addWidget(new QLabel(tr("Boots as they happen: each machine's requests, replies and files.")));
  layout->addWidget(tree_);
  layout->addWidget(clear, 0, Qt::AlignRight);
}

BootLog::~BootLog() {
  if (stream_) stream_->abort();
}

void BootLog::start() {
  if (stream_) {
    stream_->disconnect(this);
    stream_->abort();
    stream_->deleteLater();
  }
  pending_.clear();
  // The last hour first, so that a boot that just happened is there; then as it happens.
  if (machines_.isEmpty()) {
    const QString since = QDateTime::currentDateTimeUtc().addSecs(-3600).toString("yyyy-MM-ddTHH:mm:ss.zzzZ");
    api_.get("/api/v1/events?limit=2000&since=" + since, [this](const Result& r) {
      for (const auto& e : r.object().value("items").toArray())
        add_event(e.toObject());
    });
  }
  stream_ = api_.open_stream("/api/v1/events/stream");
  connect(stream_, &QNetworkReply::readyRead, this, &BootLog::read);
  connect(stream_, &QNetworkReply::finished, this, [this] {
    // The server went away or restarted: try again in a few seconds.
    if (stream_) stream_->deleteLater();
    QTimer::singleShot(3000, this, &BootLog::start);
  });
}

void BootLog::read() {
  pending_ += stream_->readAll();
  for (;;) {
    const auto end = pending_.indexOf("\n\n");
    if (end < 0) break;
    const QByteArray frame = pending_.left(end);
    pending_.remove(0, end + 2);
    for (const QByteArray& line : frame.split('\n')) {
      if (line.startsWith("data: ")) add_event(QJsonDocument::fromJson(line.mid(6)).object());
    }
  }
}

void BootLog::add_event(const QJsonObject& e) {
  const QString kind = e.value("kind").toString();
  const QString mac = e.value("mac").toString();
  const QString key = mac.isEmpty() ? e.value("ip").toString() : mac;
  if (key.isEmpty()) return;
  QTreeWidgetItem*& top = machines_[key];
  if (top == nullptr) {
    top = new QTreeWidgetItem(tree_, {key});
    top->setExpanded(true);
  }
  const QJsonObject detail = e.value("detail").toObject();
  if (detail.contains("hostname") && !detail.value("hostname").toString().isEmpty()) {
    top->setText(0, key + "  " + detail.value("hostname").toString());
  }
  auto* item = new QTreeWidgetItem(top, {e.value("at").toString().mid(11, 12), kind, summary(kind, detail)});
  if (is_failure(kind)) {
    for (int c = 0; c < 3; ++c)
      item->setForeground(c, QColor(0xb0, 0x00, 0x20));
    top->setForeground(0, QColor(0xb0, 0x00, 0x20));
  } else if (kind == "tftp.finish") {
    item->setForeground(2, QColor(0x1b, 0x5e, 0x20));
  }
  top->setText(1, kind);
  tree_->scrollToItem(item);
  emit event_added(kind, mac);
}

}  // namespace bk::admin
