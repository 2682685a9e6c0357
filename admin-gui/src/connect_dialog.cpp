#include "connect_dialog.hpp"

#include <QDialogButtonBox>
#include <QFormLayout>
#include <QLabel>
#include <QLineEdit>
#include <QPushButton>
#include <QSettings>
#include <QVBoxLayout>

#include "api_client.hpp"

namespace bk::admin {

ConnectDialog::ConnectDialog(ApiClient& api, QWidget* parent) : QDialog(parent), api_(api) {
  setWindowTitle(tr("Connect to Bootkeeper"));
  QSettings settings;
  url_ = new QLineEdit(settings.value("server/url", "http://127.0.0.1:8067").toString());
  token_ = new QLineEdit(settings.value("server/token").toString());
  token_->setEchoMode(QLineEdit::Password);
  token_->setPlaceholderText(tr("from: bootkeeperd token create --role operator"));
  message_ = new QLabel;
  message_->setWordWrap(true);
  auto* form = new QFormLayout;
  form->addRow(tr("Server URL"), url_);
  form->addRow(tr("Token"), token_);
  auto* buttons = new QDialogButtonBox(QDialogButtonBox::Ok | QDialogButtonBox::Cancel);
  buttons->button(QDialogButtonBox::Ok)->setText(tr("Connect"));
  connect(buttons, &QDialogButtonBox::accepted, this, &ConnectDialog::try_connect);
  connect(buttons, &QDialogButtonBox::rejected, this, &QDialog::reject);
  auto* layout = new QVBoxLayout(this);
  layout->addLayout(form);
  layout->addWidget(message_);
  layout->addWidget(buttons);
}

void ConnectDialog::try_connect() {
  const QUrl url = QUrl::fromUserInput(url_->text().trimmed());
  if (!url.isValid() || (url.scheme() != "http" && url.scheme() != "https")) {
    message_->setText(tr("The server URL must look like http://127.0.0.1:8067"));
    return;
  }
  api_.set_server(url, token_->text().trimmed());
  message_->setText(tr("Connecting to %1…").arg(url.toString()));
  api_.get("/api/v1/machines?limit=1", [this, url](const Result& r) {
    if (r.ok()) {
      QSettings settings;
      settings.setValue("server/url", url.toString());
      settings.setValue("server/token", token_->text().trimmed());
      message_->setText(tr("Connected."));
      accept();
    } else if (r.status == 401) {
      message_->setText(tr("The server refused the token: %1").arg(r.detail));
    } else {
      message_->setText(r.detail.isEmpty() ? tr("The server answered %1").arg(r.status) : r.detail);
    }
  });
}

}  // namespace bk::admin
