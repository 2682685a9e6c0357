#pragma once
// The GUI's only way to the inventory: the REST API over QNetworkAccessManager. Every call is
// asynchronous and ends in a Result; the connection state follows what the answers say.
#include <QJsonDocument>
#include <QJsonObject>
#include <QMap>
#include <QNetworkAccessManager>
#include <QObject>
#include <QUrl>
#include <functional>

class QIODevice;
class QNetworkReply;

namespace bk::admin {

struct Result {
  int status = 0;  // HTTP status; 0 when the server was not reached
  QJsonDocument body;
  QString detail;                       // a problem's detail, or the network error
  QMap<QString, QString> field_errors;  // from a problem's "errors": field -> reason
  bool ok() const { return status >= 200 && status < 300; }
  QJsonObject object() const { return body.object(); }
};

class ApiClient : public QObject {
  Q_OBJECT
 public:
  enum class State { disconnected, connected, refused, unreachable };
  using Callback = std::function<void(const Result&)>;

  explicit ApiClient(QObject* parent = nullptr);

  void set_server(const QUrl& base, const QString& token);
  QUrl server() const { return base_; }
  State state() const { return state_; }
  const QString& state_message() const { return message_; }

  // path: "/api/v1/machines?limit=50". The callback runs on the GUI thread.
  void get(const QString& path, Callback done);
  void send(const QByteArray& method, const QString& path, const QJsonValue& body, Callback done);
  void send_raw(const QByteArray& method, const QString& path, const QByteArray& body, const QString& type,
                Callback done);
  // Streams `file` as the body; the reply reports uploadProgress.
  QNetworkReply* upload(const QString& path, QIODevice* file, Callback done);
  // A Server-Sent Events stream; the caller reads it and deletes it.
  QNetworkReply* open_stream(const QString& path);

 signals:
  void state_changed(bk::admin::ApiClient::State state, const QString& message);

 private:
  QNetworkRequest request(const QString& path, const QString& type = {}) const;
  void finish(QNetworkReply* reply, const Callback& done);
  void set_state(State s, const QString& message);

  QNetworkAccessManager net_;
  QUrl base_;
  QString token_;
  State state_ = State::disconnected;
  QString message_;
};

}  // namespace bk::admin
