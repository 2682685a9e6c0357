#pragma once
// Server URL and token, remembered with QSettings. The token is never shown in clear.
#include <QDialog>

class QLabel;
class QLineEdit;

namespace bk::admin {

class ApiClient;

class ConnectDialog : public QDialog {
  Q_OBJECT
 public:
  ConnectDialog(ApiClient& api, QWidget* parent = nullptr);

  QLineEdit* url_edit() const { return url_; }
  QLineEdit* token_edit() const { return token_; }
  QLabel* message() const { return message_; }

  // Tries the server with these values; accepts the dialog when the token works.
  void try_connect();

 private:
  ApiClient& api_;
  QLineEdit* url_;
  QLineEdit* token_;
  QLabel* message_;
};

}  // namespace bk::admin
