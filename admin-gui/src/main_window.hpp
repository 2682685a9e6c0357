#pragma once
#include <QMainWindow>

class QLabel;
class QLineEdit;
class QTabWidget;
class QTableView;

namespace bk::admin {

class ApiClient;
class BootLog;
class DiscoveredView;
class MachineModel;
class ObjectsView;
class PreviewPanel;

class MainWindow : public QMainWindow {
  Q_OBJECT
 public:
  explicit MainWindow(ApiClient& api, QWidget* parent = nullptr);

  // Loads every view from the server (after connecting).
  void load();

  MachineModel* machines() const { return model_; }
  QTableView* machine_table() const { return table_; }
  QLineEdit* search() const { return search_; }
  QTabWidget* tabs() const { return tabs_; }
  DiscoveredView* discovered() const { return discovered_; }
  ObjectsView* subnets() const { return subnets_; }
  ObjectsView* images() const { return images_; }
  BootLog* boot_log() const { return log_; }
  PreviewPanel* preview() const { return preview_; }
  QLabel* connection() const { return connection_; }

  // The machines' bulk actions, on the selected rows: fields merged into each (PATCH).
  void patch_selected(const QJsonObject& fields);

 private:
  QList<QJsonObject> selected() const;

  ApiClient& api_;
  MachineModel* model_;
  QTableView* table_;
  QLineEdit* search_;
  QTabWidget* tabs_;
  DiscoveredView* discovered_;
  ObjectsView* subnets_;
  ObjectsView* images_;
  BootLog* log_;
  PreviewPanel* preview_;
  QLabel* connection_;
};

}  // namespace bk::admin
