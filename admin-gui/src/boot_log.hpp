#pragma once
// The live boot log: the server's event stream (Server-Sent Events) as a timeline per machine,
// BOOTP request -> reply -> each TFTP file -> done or failed, failures in colour.
#include <QHash>
#include <QPointer>
#include <QWidget>

class QNetworkReply;
class QTreeWidget;
class QTreeWidgetItem;

namespace bk::admin {

class ApiClient;

class BootLog : public QWidget {
  Q_OBJECT
 public:
  explicit BootLog(ApiClient& api, QWidget* parent = nullptr);
  ~BootLog() override;
  void start();  // (re)opens the stream
  QTreeWidget* tree() const { return tree_; }
  // One event as the API shows it; public so that the recent history can be added too.
  void add_event(const QJsonObject& e);

 signals:
  void event_added(const QString& kind, const QString& mac);

 private:
  void read();

  ApiClient& api_;
  QTreeWidget* tree_;
  QPointer<QNetworkReply> stream_;
  QByteArray pending_;
  QHash<QString, QTreeWidgetItem*> machines_;
};

}  // namespace bk::admin
