#pragma once
// The GUI's views besides the machine table: discovered machines, subnets, images, the CSV
// import wizard and the boot preview. Each asks the API and shows what it answers.
#include <QJsonObject>
#include <QWidget>
#include <QWizard>

class QLabel;
class QLineEdit;
class QPlainTextEdit;
class QTableWidget;
class QTextBrowser;

namespace bk::admin {

class ApiClient;
class MachineDialog;

// Machines that asked and are not registered; "Register…" opens the machine dialog with the
// MAC filled in and the next free address of the right subnet, with the subnet's name pattern.
class DiscoveredView : public QWidget {
  Q_OBJECT
 public:
  explicit DiscoveredView(ApiClient& api, QWidget* parent = nullptr);
  void refresh();
  QTableWidget* table() const { return table_; }
  // Opens the register dialog for the selected row (the test drives the dialog it returns).
  MachineDialog* register_selected();

 signals:
  void refreshed();
  void registered();

 private:
  ApiClient& api_;
  QTableWidget* table_;
};

// Subnets or images: a table, and add/edit as the document form (JSON) with the server's
// refusal shown beneath; images also take an upload with a progress bar.
class ObjectsView : public QWidget {
  Q_OBJECT
 public:
  ObjectsView(ApiClient& api, QString collection, QStringList columns, QWidget* parent = nullptr);
  void refresh();
  QTableWidget* table() const { return table_; }

 signals:
  void refreshed();

 private:
  void edit(const QJsonObject& existing);
  void remove_selected();
  void upload_selected();

  ApiClient& api_;
  QString collection_;  // "subnets" or "images"
  QStringList columns_;
  QTableWidget* table_;
  QList<QJsonObject> rows_;
};

// What the server would answer the selected machine, and the files it would fetch.
class PreviewPanel : public QWidget {
  Q_OBJECT
 public:
  explicit PreviewPanel(ApiClient& api, QWidget* parent = nullptr);
  void show_machine(const QString& mac);
  QTextBrowser* text() const { return text_; }

 signals:
  void shown();

 private:
  ApiClient& api_;
  QTextBrowser* text_;
  QString mac_;
};

// Pick a CSV file -> the server's dry-run report per row -> import.
class ImportWizard : public QWizard {
  Q_OBJECT
 public:
  explicit ImportWizard(ApiClient& api, QWidget* parent = nullptr);
  void set_file(const QString& path);
  QTableWidget* report() const { return report_; }
  QLabel* summary() const { return summary_; }

 signals:
  void reported();
  void imported(bool ok);

 private:
  void run(bool dry_run);

  ApiClient& api_;
  QLineEdit* path_;
  QTableWidget* report_;
  QLabel* summary_;
  QByteArray csv_;
};

}  // namespace bk::admin
