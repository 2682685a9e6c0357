#include "api_client.hpp"

#include <QJsonArray>
#include <QNetworkReply>

namespace bk::admin {

ApiClient::ApiClient(QObject* parent) : QObject(parent) {}

void ApiClient::set_server(const QUrl& base, const QString& token) {
  base_ = base;
  token_ = token;
  set_state(State::disconnected, tr("not connected"));
}

QNetworkRequest ApiClient::request(const QString& path, const QString& type) const {
  QNetworkRequest r(QUrl(base_.toString(QUrl::StripTrailingSlash) + path));
  r.setRawHeader("Authorization", "Bearer " + token_.toUtf8());
  if (!type.isEmpty()) r.setHeader(QNetworkRequest::ContentTypeHeader, type);
  r.setTransferTimeout(30000);
  return r;
}

void ApiClient::get(const QString& path, Callback done) {
  finish(net_.get(request(path)), done);
}

void ApiClient::send(const QByteArray& method, const QString& path, const QJsonValue& body, Callback done) {
  const QByteArray bytes = body.isArray() ? QJsonDocument(body.toArray()).toJson(QJsonDocument::Compact)
                                          : QJsonDocument(body.toObject()).toJson(QJsonDocument::Compact);
  send_raw(method, path, body.isNull() ? QByteArray() : bytes, QStringLiteral("application/json"), done);
}

void ApiClient::send_raw(const QByteArray& method, const QString& path, const QByteArray& body,
                         const QString& type, Callback done) {
  finish(net_.sendCustomRequest(request(path, body.isEmpty() ? QString() : type), method, body), done);
}

QNetworkReply* ApiClient::upload(const QString& path, QIODevice* file, Callback done) {
  QNetworkReply* reply = net_.put(request(path, QStringLiteral("application/octet-stream")), file);
  finish(reply, done);
  return reply;
}

QNetworkReply* ApiClient::open_stream(const QString& path) {
  QNetworkRequest r = request(path);
  r.setRawHeader("Accept", "text/event-stream");
  r.setTransferTimeout(0);
  return net_.get(r);
}

void ApiClient::finish(QNetworkReply* reply, const Callback& done) {
  connect(reply, &QNetworkReply::finished, this, [this, reply, done] {
    reply->deleteLater();
    Result r;
    r.status = reply->attribute(QNetworkRequest::HttpStatusCodeAttribute).toInt();
    const QByteArray bytes = reply->readAll();
    if (r.status == 0) {
      r.detail = tr("cannot reach %1: %2").arg(base_.toString(), reply->errorString());
      set_state(State::unreachable, r.detail);
      if (done) done(r);
      return;
    }
    r.body = QJsonDocument::fromJson(bytes);
    if (!r.ok()) {
      const QJsonObject p = r.body.object();
      r.detail = p.value("detail").toString(QString::fromUtf8(bytes.left(200)));
      for (const auto& e : p.value("errors").toArray()) {
        const QJsonObject o = e.toObject();
        QString field = o.value("field").toString();
        // An import row's field comes as "machines[0]: ip"; the dialog knows "ip".
        if (const auto colon = field.lastIndexOf(": "); colon >= 0) field = field.mid(colon + 2);
        r.field_errors.insert(field, o.value("reason").toString());
      }
    }
    if (r.status == 401) {
      set_state(State::refused, tr("the server refused the token: %1").arg(r.detail));
    } else {
      set_state(State::connected, tr("connected to %1").arg(base_.toString()));
    }
    if (done) done(r);
  });
}

void ApiClient::set_state(State s, const QString& message) {
  const bool changed = s != state_ || message != message_;
  state_ = s;
  message_ = message;
  if (changed) emit state_changed(s, message);
}

}  // namespace bk::admin
